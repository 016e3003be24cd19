"""Worker-side record I/O without TensorFlow or TFX.

Beam workers (``direct_running_mode: multi_processing``, or a real cluster) unpickle
the DoFns that use this module; importing TensorFlow there costs ~15 s of CPU per
worker. Here TFRecord files are read in plain Python (with the CRCs checked by the
C ``google_crc32c``), batches of tf.train.Examples are decoded column-wise by
tfx_bsl's C++ decoder, and features are added to a serialized Example by appending
an encoded Example (protobuf merges the two; a repeated key takes the new value).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Optional, Sequence

import apache_beam as beam
import pyarrow as pa

from datalife.tfrecords import CorruptRecord, encode_example, iter_tfrecords

__all__ = ["iter_tfrecords", "ReadShard", "Columns", "example_key", "content_keys", "encode_example",
           "CorruptRecord"]


class ReadShard(beam.DoFn):
    """(split, path, shard, num_shards) -> (split, [serialized, ...]) batches."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size

    def process(self, task):
        split, path, shard, num_shards = task
        batch = []
        for record in iter_tfrecords(path, shard, num_shards):
            batch.append(record)
            if len(batch) == self.batch_size:
                yield split, batch
                batch = []
        if batch:
            yield split, batch


def _plain(values):
    """One feature's values as LFs see them: None when empty, a scalar when single,
    text for bytes (UTF-8, undecodable bytes replaced)."""
    if not values:
        return None
    if isinstance(values[0], bytes):
        values = [v.decode("utf-8", errors="replace") for v in values]
    return values[0] if len(values) == 1 else values


class Columns(Mapping):
    """A batch of serialized tf.train.Examples as {feature: [value per example]},
    decoded by tfx_bsl into Arrow once and converted per column on first access."""

    def __init__(self, raws: Sequence[bytes], decoder=None):
        from tfx_bsl.coders import example_coder

        decoder = decoder or example_coder.ExamplesToRecordBatchDecoder()
        self.batch: pa.RecordBatch = decoder.DecodeBatch(list(raws))
        self._names = list(self.batch.schema.names)
        self._cache = {}

    def __getitem__(self, name):
        if name not in self._cache:
            if name not in self._names:
                raise KeyError(name)
            self._cache[name] = [_plain(v) for v in self.batch.column(name).to_pylist()]
        return self._cache[name]

    def raw_column(self, name: str) -> list[Optional[tuple[str, list]]]:
        """(kind, values) of every example's feature (None where absent), for copying
        it: kind is int, float or bytes."""
        if name not in self._names:
            return [None] * self.batch.num_rows
        value_type = self.batch.schema.field(name).type.value_type
        kind = ("int" if pa.types.is_integer(value_type) else
                "float" if pa.types.is_floating(value_type) else "bytes")
        return [None if v is None else (kind, v) for v in self.batch.column(name).to_pylist()]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


def example_key(serialized: bytes, id_value=None) -> str:
    """A stable key: the example's id (if any) and a fingerprint of its bytes."""
    digest = hashlib.sha256(serialized).hexdigest()[:16]
    return digest if id_value is None else f"{id_value}|{digest}"


def content_keys(cols: Columns) -> list[str]:
    """A key per example of a batch from its content alone: SHA-256 of the example
    re-encoded with its features in name order. The serialized bytes are no such key:
    protobuf writes a feature map in no fixed order, and Transform's output comes out
    in a different order from process to process (seen on Beam's portable path, where
    the same examples hashed differently and so drew different augmentations)."""
    names = sorted(cols)
    columns = [cols.raw_column(n) for n in names]
    return [hashlib.sha256(encode_example({n: col[i] for n, col in zip(names, columns) if col[i] is not None}))
            .hexdigest() for i in range(cols.batch.num_rows)]
