"""Which split each row goes to: never its position, always its content or its key.

:class:`HashSplit` is TFX's ExampleGen rule, bit for bit: the bucket is the SHA-256 of
the example's deterministic serialization (or, with ``partition_feature_name``, of that
feature's serialized ``Feature`` message) as a 256-bit integer modulo the total of the
hash buckets; the split is the first whose cumulative bucket count exceeds it. So a row
lands in the same split whichever engine (``arrow`` or ``tfx``) reads the file, and in
the same split whatever file, chunk or worker it comes from. Identical rows share a
split (their hashes are equal).

:class:`FixedSplit` is an input split (``input_splits``: one file pattern per split).

A split rule sees a :class:`RowBatch` (typed columns and serialized examples of the
rows that passed every check) and returns a split index per row; -1 sends a row to
quarantine (reason ``no_split``). Time splits (issue 17: a timestamp column or date
parts and ``until`` dates) are another rule with the same ``assign``.
"""
from __future__ import annotations

import hashlib
from operator import methodcaller
from dataclasses import dataclass
from typing import Optional, Protocol, Sequence

import numpy as np

__all__ = ["RowBatch", "SplitRule", "HashSplit", "FixedSplit", "TimeSplit"]


@dataclass
class RowBatch:
    columns: dict  # name -> typed large_list array (int64 / float32 / binary) of the rows
    encoded: object  # encode.Encoded: .records (serialized examples), .feature_bytes(name)

    def __len__(self) -> int:
        return len(self.encoded)


class SplitRule(Protocol):
    names: Sequence[str]

    def assign(self, batch: RowBatch) -> np.ndarray:
        """Index into ``names`` for every row (int64), -1 for none."""


def _buckets(values, total: int) -> np.ndarray:
    """TFX's bucket: int(sha256(value).hexdigest(), 16) % total, with the 256-bit
    remainder taken limb by limb in NumPy (one C-level hashing pass, no Python per row)."""
    digests = b"".join(map(methodcaller("digest"), map(hashlib.sha256, values)))
    limbs = np.frombuffer(digests, ">u4").reshape(len(values), 8).astype(np.uint64)
    r = np.zeros(len(values), np.uint64)
    m = np.uint64(total)
    for k in range(8):
        r = ((r << np.uint64(32)) | limbs[:, k]) % m
    return r.astype(np.int64)


@dataclass(frozen=True)
class HashSplit:
    """TFX's hash-bucket split: ``buckets`` = [(name, hash_buckets), ...] in order."""

    buckets: tuple
    key: Optional[str] = None  # TFX's partition_feature_name

    def __post_init__(self):
        if not 0 < sum(n for _, n in self.buckets) < 2**31:
            raise ValueError(f"hash buckets must add up to between 1 and 2**31, got {self.buckets}")

    @property
    def names(self) -> tuple:
        return tuple(name for name, _ in self.buckets)

    def assign(self, batch: RowBatch) -> np.ndarray:
        counts = np.array([n for _, n in self.buckets], np.int64)
        edges = np.cumsum(counts)
        if self.key:
            source = batch.encoded.feature_bytes(self.key).to_numpy(zero_copy_only=False)
        else:
            source = batch.encoded.values()
        bucket = _buckets(source, int(edges[-1]))
        return np.searchsorted(edges, bucket, side="right")


@dataclass(frozen=True)
class FixedSplit:
    name: str

    @property
    def names(self) -> tuple:
        return (self.name,)

    def assign(self, batch: RowBatch) -> np.ndarray:
        return np.zeros(len(batch), np.int64)


def _first_values(arr) -> list:
    """The first value of each row of a large_list column (None when empty)."""
    return [v[0] if v else None for v in arr.to_pylist()]


@dataclass(frozen=True)
class TimeSplit:
    """Split by time: ``bounds`` = [(name, end), ...] in time order, ``end`` an exclusive
    ISO timestamp (None: open-ended, only for the last split). A row's time is its
    ``column`` (ISO text, or int seconds since the epoch) or its date ``parts``
    ([(unit, column), ...] with units year, month, day, hour, minute). A row whose time is
    missing, does not parse, or lies after the last end goes to no split (quarantined
    with reason ``no_split``)."""

    bounds: tuple
    column: Optional[str] = None
    parts: tuple = ()

    @property
    def names(self) -> tuple:
        return tuple(name for name, _ in self.bounds)

    def times(self, batch: RowBatch) -> np.ndarray:
        """Nanoseconds since the epoch per row (NaT: no usable time), as datetime64[ns]."""
        import pandas as pd

        if self.column is not None:
            values = _first_values(batch.columns[self.column])
            if values and all(isinstance(v, (int, type(None))) for v in values):
                return pd.to_datetime(pd.Series(values, dtype="float64"), unit="s", errors="coerce").to_numpy()
            text = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values]
            return pd.to_datetime(pd.Series(text, dtype="object"), errors="coerce").to_numpy()
        frame = pd.DataFrame({unit: pd.to_numeric(pd.Series(_first_values(batch.columns[col]), dtype="object"),
                                                  errors="coerce") for unit, col in self.parts})
        for unit in ("month", "day"):
            if unit not in frame:
                frame[unit] = 1
        return pd.to_datetime(frame, errors="coerce").to_numpy()

    def assign(self, batch: RowBatch) -> np.ndarray:
        t = self.times(batch).astype("datetime64[ns]")
        ends = [np.datetime64(end, "ns") for _, end in self.bounds if end is not None]
        idx = np.searchsorted(np.array(ends, "datetime64[ns]"), t, side="right").astype(np.int64)
        idx[np.isnat(t) | (idx >= len(self.bounds))] = -1
        return idx
