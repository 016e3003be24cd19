"""Column types exactly as TFX 1.16's CsvExampleGen infers them, vectorised with Arrow.

TFX (``tfx_bsl.coders.csv_decoder._InferValueType``, applied to every cell as UTF-8
bytes) gives each cell a kind: an empty cell is UNKNOWN; a cell Python's ``int()``
accepts is INT when it fits in int64 and STRING when it does not; else a cell
``float()`` accepts is FLOAT; anything else is STRING. A column takes the highest kind
of its cells (UNKNOWN < INT < FLOAT < STRING). So ``"1.0"`` in an int column makes it
FLOAT, ``"NA"`` or ``"True"`` makes a column STRING, ``" 5"``, ``"+5"`` and ``"1_000"``
are ints, ``"nan"`` and ``"1e5"`` are floats, ``"0x10"`` is a string, and a column
with no value at all is UNKNOWN (every example gets an empty feature).

:func:`value_kind` is that rule for one cell. :func:`infer_kind` gets the same answer
for a whole column with a few Arrow casts, falling back to :func:`value_kind` on the
distinct values only where Arrow's parsers and Python's disagree (Arrow's int parser
also reads hexadecimal; Python also reads ``+``, blanks and ``_``; Arrow reads a
19+-digit integer as a float where TFX says STRING). :func:`convert` turns the cells
into int64 / float32 / bytes values with Python's ``int()`` / ``float()`` semantics
(float32 as ``tf.train.FloatList`` stores it) and marks the values that do not parse
as the column's type.
"""
from __future__ import annotations

import enum
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Kind", "value_kind", "infer_kind", "convert", "KIND_NAMES", "kind_from_name"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Kind(enum.IntEnum):
    """Same order and values as tfx_bsl's ``csv_decoder.ColumnType``."""

    UNKNOWN = -1
    INT = 0
    FLOAT = 1
    STRING = 2


KIND_NAMES = {Kind.UNKNOWN: "unknown", Kind.INT: "int", Kind.FLOAT: "float", Kind.STRING: "bytes"}


def kind_from_name(name: str) -> Kind:
    return {"int": Kind.INT, "float": Kind.FLOAT, "bytes": Kind.STRING}[name]


def value_kind(cell: bytes) -> Kind:
    """TFX's kind of one cell (its UTF-8 bytes)."""
    if not cell:
        return Kind.UNKNOWN
    try:
        value = int(cell)
    except ValueError:
        try:
            float(cell)
        except ValueError:
            return Kind.STRING
        return Kind.FLOAT
    return Kind.INT if INT64_MIN <= value <= INT64_MAX else Kind.STRING


def _arrow_cast(values: pa.Array, to: pa.DataType) -> Optional[pa.Array]:
    try:
        return pc.cast(values, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _has_hex(values: pa.Array) -> bool:
    return any(pc.any(pc.match_substring(values, x)).as_py() for x in ("x", "X"))


def _slow_kind(values: pa.Array, floor: Kind = Kind.UNKNOWN) -> Kind:
    best = floor
    for cell in pc.unique(values).to_pylist():
        best = max(best, value_kind(cell))
        if best == Kind.STRING:
            break
    return best


def infer_kind(values: pa.Array, sample: int = 64) -> Kind:
    """The kind of a column from its present (non-missing, non-empty) cells."""
    if len(values) == 0:
        return Kind.UNKNOWN
    # a column is at least the kind of any of its cells: a few cells decide STRING
    # columns at once and spare float columns a failing int cast
    floor = max(value_kind(c) for c in values.slice(0, sample).to_pylist())
    if floor == Kind.STRING:
        return Kind.STRING
    if floor == Kind.INT and _arrow_cast(values, pa.int64()) is not None:
        return Kind.INT if not _has_hex(values) else _slow_kind(values)
    if _arrow_cast(values, pa.float64()) is not None:
        # every cell has Arrow's float syntax; some are not in-range ints (those parse
        # with Arrow's int parser), so the column is FLOAT unless a cell is a pure
        # integer beyond int64, which TFX calls STRING: only those can be 19+ digits long.
        longest = pc.max(pc.binary_length(values)).as_py()
        if longest < 19:
            return Kind.FLOAT if floor <= Kind.FLOAT else floor
        long_cells = pc.filter(values, pc.greater_equal(pc.binary_length(values), 19))
        return _slow_kind(long_cells, Kind.FLOAT)
    return _slow_kind(values, floor)


def _python_convert(values: pa.Array, kind: Kind) -> tuple[np.ndarray, np.ndarray]:
    """Values through Python's int()/float() on the distinct cells; (values, bad)."""
    encoded = pc.dictionary_encode(values)
    dictionary = encoded.dictionary.to_pylist()
    out = np.zeros(len(dictionary), np.int64 if kind == Kind.INT else np.float64)
    bad = np.zeros(len(dictionary), bool)
    for i, cell in enumerate(dictionary):
        k = value_kind(cell)
        if kind == Kind.INT and k == Kind.INT:
            out[i] = int(cell)
        elif kind == Kind.FLOAT and k != Kind.UNKNOWN:
            try:
                out[i] = float(cell)
            except ValueError:
                bad[i] = True
        else:
            bad[i] = True
    idx = encoded.indices.to_numpy(zero_copy_only=False)
    return out[idx], bad[idx]


def convert(values: pa.Array, kind: Kind) -> tuple[pa.Array, Optional[np.ndarray]]:
    """Cells -> int64 / float32 / binary values of ``kind``; also a mask of the cells
    that do not parse as ``kind`` (None when all do; their values are then 0)."""
    if kind == Kind.STRING or kind == Kind.UNKNOWN:
        return values, None
    if kind == Kind.INT:
        cast = _arrow_cast(values, pa.int64())
        if cast is not None and not _has_hex(values):
            return cast, None
        ints, bad = _python_convert(values, kind)
        return pa.array(ints, pa.int64()), (bad if bad.any() else None)
    cast = _arrow_cast(values, pa.float64())
    if cast is None:
        floats, bad = _python_convert(values, kind)
        cast, bad = pa.array(floats, pa.float64()), (bad if bad.any() else None)
    else:
        bad = None
    return pc.cast(cast, pa.float32()), bad
