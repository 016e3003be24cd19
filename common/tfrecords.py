"""TFRecord files read and written in plain Python (no TensorFlow, no Beam).

Records are framed as TFRecord specifies (little-endian length, masked CRC32C of the
length, data, masked CRC32C of the data); the CRCs are computed by the C
``google_crc32c`` (hardware CRC32C). ``.gz`` files are gzip-compressed.

Why ours and not Beam's ``apache_beam.io.tfrecordio``: Beam writes TFRecords well
and the components write their outputs with its ``WriteToTFRecord``; for reading,
ours was measured faster on a gzipped split of 100,000 small Examples (118 bytes
each; ``python -m benchmarks bench_codec``: one core of a shared 2-core machine, the
cases run in turn, best of 5 rounds; two runs):

==============================================================  ============  ============
reading outside Beam, records/s                                  run 1         run 2
==============================================================  ============  ============
``iter_tfrecords`` (this module)                                 177k          160k
Beam's ``_TFRecordUtil.read_record`` on ``gzip.open``            158k (0.89x)  109k (0.68x)
the same on Beam's ``FileSystems.open`` (``ReadFromTFRecord``'s)  94k (0.53x)   85k (0.53x)
==============================================================  ============  ============

Inside a Beam graph (DirectRunner, one worker, batches of 500 for the DoFns, best of
3 rounds): ``components.beam_glue.ReadShard`` over this reader, one task per file,
the batches then spread over the workers (``examples_beam.read_split_batches``),
59k records/s, against 45k for ``ReadAllFromTFRecord`` + ``BatchElements`` (Beam pays
its per-element cost twice, for the record and for the batching, and does not split
a TFRecord file either: it has no sync markers); reading a file as 4 interleaved
shards, which decompresses it 4 times, 33k. Errors here also name the file and the
record number, which Beam's do not.
"""
from __future__ import annotations

import gzip
import struct
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

import google_crc32c

__all__ = ["iter_tfrecords", "write_tfrecords", "CorruptRecord"]


class CorruptRecord(IOError):
    """A TFRecord file that is truncated or fails its checksums (names file and record)."""


def _masked_crc(data: bytes) -> int:
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@contextmanager
def _open(path: str, mode: str, opener: Callable = open):
    with opener(path, mode) as raw:
        if not path.endswith(".gz"):
            yield raw
        else:
            with gzip.GzipFile(fileobj=raw, mode=mode) as f:
                yield f


def iter_tfrecords(path: str, shard: int = 0, num_shards: int = 1, opener: Callable = open) -> Iterator[bytes]:
    """The records of a TFRecord file (``.gz``: gzip), every ``num_shards``-th from
    ``shard``. ``opener(path, mode)`` opens the file (the shell passes
    ``tfx.dsl.io.fileio.open`` for artifacts on any file system)."""
    with _open(path, "rb", opener) as f:
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


def write_tfrecords(path: str, records: Iterable[bytes], opener: Callable = open) -> int:
    """Write serialized records to a TFRecord file (``.gz``: gzip); returns the count."""
    n = 0
    with _open(path, "wb", opener) as f:
        for data in records:
            head = struct.pack("<Q", len(data))
            f.write(head + struct.pack("<I", _masked_crc(head)) + data + struct.pack("<I", _masked_crc(data)))
            n += 1
    return n
