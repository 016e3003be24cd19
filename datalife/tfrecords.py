"""TFRecord files and tf.train.Example bytes in plain Python (no TensorFlow, no Beam).

Records are framed as TFRecord specifies (length, masked CRC32C of the length, data,
masked CRC32C of the data; CRCs by the C ``google_crc32c``). ``encode_example`` writes
the protobuf wire format of a tf.train.Example for a few features; appended to another
serialized Example it adds or replaces them (protobuf merges the two).
"""
from __future__ import annotations

import gzip
import struct
from typing import Iterable, Iterator, Sequence

import google_crc32c

__all__ = ["iter_tfrecords", "write_tfrecords", "encode_example", "CorruptRecord"]


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


def write_tfrecords(path: str, records: Iterable[bytes]) -> int:
    """Write serialized records to a TFRecord file (``.gz``: gzip); returns the count."""
    opener = gzip.open if path.endswith(".gz") else open
    n = 0
    with opener(path, "wb") as f:
        for data in records:
            head = struct.pack("<Q", len(data))
            f.write(head + struct.pack("<I", _masked_crc(head)) + data + struct.pack("<I", _masked_crc(data)))
            n += 1
    return n
