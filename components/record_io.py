"""Worker-side record I/O without TensorFlow or TFX.

Beam workers (``direct_running_mode: multi_processing``, or a real cluster) unpickle
the DoFns that use this module; importing TensorFlow there costs ~15 s of CPU per
worker. Here TFRecord files are read in plain Python (with the CRCs checked by the
C ``google_crc32c``), batches of tf.train.Examples are decoded column-wise by
tfx_bsl's C++ decoder, and features are added to a serialized Example by appending
an encoded Example (protobuf merges the two; a repeated key takes the new value).
"""
from __future__ import annotations

import gzip
import hashlib
import struct
from collections.abc import Mapping
from typing import Iterator, Optional, Sequence

import apache_beam as beam
import google_crc32c
import pyarrow as pa

__all__ = ["iter_tfrecords", "ReadShard", "Columns", "example_key", "encode_example", "CorruptRecord"]


class CorruptRecord(IOError):
    pass


def _masked_crc(data: bytes) -> int:
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def iter_tfrecords(path: str, shard: int = 0, num_shards: int = 1) -> Iterator[bytes]:
    """The records of a TFRecord file (``.gz``: gzip), every ``num_shards``-th from ``shard``."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        i = 0
        while True:
            head = f.read(12)
            if not head:
                return
            if len(head) < 12:
                raise CorruptRecord(f"{path}: truncated record header at record {i}")
            length, length_crc = struct.unpack("<QI", head)
            if _masked_crc(head[:8]) != length_crc:
                raise CorruptRecord(f"{path}: bad length checksum at record {i}")
            if i % num_shards != shard:
                f.seek(length + 4, 1)
            else:
                data, tail = f.read(length), f.read(4)
                if len(data) != length or len(tail) != 4:
                    raise CorruptRecord(f"{path}: truncated data at record {i}")
                if _masked_crc(data) != struct.unpack("<I", tail)[0]:
                    raise CorruptRecord(f"{path}: bad data checksum at record {i}")
                yield data
            i += 1


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


# --- protobuf wire format of tf.train.Example, for the few features we append ---
def _varint(n: int) -> bytes:
    n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _feature(kind: str, values) -> bytes:
    if kind == "int":  # Feature.int64_list (3) -> Int64List.value (1), packed
        return _field(3, _field(1, b"".join(_varint(int(v)) for v in values)))
    if kind == "float":  # Feature.float_list (2) -> FloatList.value (1), packed fixed32
        return _field(2, _field(1, struct.pack(f"<{len(values)}f", *values)))
    if kind == "bytes":  # Feature.bytes_list (1) -> BytesList.value (1), repeated
        return _field(1, b"".join(_field(1, v if isinstance(v, bytes) else str(v).encode()) for v in values))
    raise ValueError(f"unknown feature kind {kind!r}")


def encode_example(features: dict[str, tuple[str, Sequence]]) -> bytes:
    """A serialized tf.train.Example of {name: (kind, values)}; append it to another
    serialized Example to add or replace those features."""
    entries = b"".join(_field(1, _field(1, name.encode()) + _field(2, _feature(kind, values)))
                       for name, (kind, values) in features.items())
    return _field(1, entries)
