"""The Example codec and TFRecord reading against what Beam and TensorFlow offer, same run.

1. Reading a gzipped split of 100,000 small Examples (the weak-labeling rows, ~118
   bytes each) outside Beam: ``common.tfrecords.iter_tfrecords`` against Beam's own
   record reader (``_TFRecordUtil.read_record``, what ``ReadFromTFRecord`` runs) on
   ``gzip.open`` and on Beam's ``FileSystems.open``.
2. The same file into batches of 500 inside a Beam graph (DirectRunner, one worker):
   ``beam_glue.ReadShard`` (1 and 4 shards per file) against ``ReadAllFromTFRecord`` +
   ``BatchElements``.

Every case runs in turn, several rounds, and the best time of each is kept: on a
shared machine a slow spell then hits every case alike.
3. Adding a label and two probabilities to serialized Examples (batches of 500):
   ``codec.add_features`` (append the canonical encoding by tfx_bsl) against
   decode + add columns + re-encode with tfx_bsl, and against a pure-Python wire encoder.
"""
from __future__ import annotations

import gzip
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))

N = int(os.environ.get("BENCH_CODEC_ROWS", 100_000))
BATCH = 500


def _rows(n: int) -> list[bytes]:
    from make_messages import make

    from datalife.common.codec import encode_rows

    return encode_rows(make(n, np.random.default_rng(0), 0))


def _read_outside(path: str) -> dict:
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.io.tfrecordio import _TFRecordUtil

    from datalife.common.tfrecords import iter_tfrecords

    def ours():
        assert sum(1 for _ in iter_tfrecords(path)) == N

    def beam_reader(opener):
        def run():
            n = 0
            with opener() as f:
                while _TFRecordUtil.read_record(f) is not None:
                    n += 1
            assert n == N
        return run

    cases = {"iter_tfrecords (ours)": ours,
             "Beam read_record on gzip.open": beam_reader(lambda: gzip.open(path, "rb")),
             "Beam read_record on FileSystems.open (ReadFromTFRecord's)": beam_reader(
                 lambda: FileSystems.open(path, compression_type=CompressionTypes.AUTO))}
    return _interleaved(cases, rounds=5)


def _interleaved(cases: dict, rounds: int) -> dict:
    """Best time of each case over ``rounds`` rounds that run every case in turn (on a
    shared machine, a slow spell then hits every case alike)."""
    best = {name: float("inf") for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def _batch_len(batch) -> int:
    return len(batch[1])


def _read_in_beam(path: str) -> dict:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from datalife.components.beam_glue import ReadShard

    def run(shards: int, spread: bool = False) -> None:
        opts = PipelineOptions(["--direct_num_workers=1", "--direct_running_mode=in_memory"])
        with beam.Pipeline(options=opts) as p:
            if shards:
                batches = (p | beam.Create([("train", path, i, shards) for i in range(shards)]) | beam.Reshuffle()
                           | beam.ParDo(ReadShard(BATCH)))
                if spread:
                    batches = batches | "SpreadBatches" >> beam.Reshuffle()
            else:
                batches = (p | beam.Create([path]) | beam.io.ReadAllFromTFRecord()
                           | beam.BatchElements(min_batch_size=BATCH, max_batch_size=BATCH)
                           | beam.Map(lambda b: ("train", b)))
            _ = batches | beam.Map(_batch_len) | beam.CombineGlobally(sum)

    return _interleaved({"ReadShard over iter_tfrecords (ours), 1 shard per file": lambda: run(1),
                         "ReadShard, 1 shard per file, batches spread (Reshuffle)": lambda: run(1, True),
                         "ReadShard, 4 interleaved shards per file": lambda: run(4),
                         "ReadAllFromTFRecord + BatchElements": lambda: run(0)}, rounds=3)


def _wire_encoder(features: dict) -> bytes:
    """The hand-written protobuf encoder the codec replaced (int and float lists only)."""
    def varint(n):
        n &= 0xFFFFFFFFFFFFFFFF
        out = bytearray()
        while True:
            b, n = n & 0x7F, n >> 7
            out.append(b | 0x80 if n else b)
            if not n:
                return bytes(out)

    def field(num, payload):
        return varint(num << 3 | 2) + varint(len(payload)) + payload

    entries = b""
    for name, (kind, values) in features.items():
        if kind == "int":
            feat = field(3, field(1, b"".join(varint(int(v)) for v in values)))
        else:
            feat = field(2, field(1, struct.pack(f"<{len(values)}f", *values)))
        entries += field(1, field(1, name.encode()) + field(2, feat))
    return field(1, entries)


def _add_features(raws: list[bytes]) -> dict:
    import pyarrow as pa

    from datalife.common.codec import add_features, decode_batch, encode_columns

    rng = np.random.default_rng(1)
    labels, probs = rng.integers(0, 2, len(raws)).tolist(), rng.random((len(raws), 2)).astype(np.float32)
    batches = range(0, len(raws), BATCH)

    def ours():
        for i in batches:
            add_features(raws[i:i + BATCH], {"label2": labels[i:i + BATCH], "probs": list(probs[i:i + BATCH])})

    def reencode():
        from tfx_bsl.coders import example_coder

        encoder = example_coder.RecordBatchToExamplesEncoder()
        for i in batches:
            rb = decode_batch(raws[i:i + BATCH])
            extra = encode_columns({"label2": labels[i:i + BATCH], "probs": list(probs[i:i + BATCH])})
            new = decode_batch(extra)
            encoder.encode(pa.RecordBatch.from_arrays(rb.columns + new.columns, rb.schema.names + new.schema.names))

    def wire():
        for i in batches:
            for j in range(i, min(i + BATCH, len(raws))):
                raws[j] + _wire_encoder({"label2": ("int", [labels[j]]), "probs": ("float", probs[j].tolist())})

    return _interleaved({"add_features (ours: append the tfx_bsl encoding)": ours,
                         "decode + add columns + re-encode (tfx_bsl)": reencode,
                         "append a pure-Python wire encoding": wire}, rounds=5)


def main() -> list[dict]:
    from benchmarks.common import report, single_core
    from datalife.common.tfrecords import write_tfrecords

    raws = _rows(N)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/split.tfrecord.gz"
        write_tfrecords(path, raws)
        single_core()
        for what, seconds in _read_outside(path).items():
            rows.append({"what": f"read outside Beam: {what}", "records": N, "seconds": seconds,
                         "records_per_s": N / seconds})
        for what, seconds in _read_in_beam(path).items():
            rows.append({"what": f"read in a Beam graph: {what}", "records": N, "seconds": seconds,
                         "records_per_s": N / seconds})
    sample = raws[:20_000]
    for what, seconds in _add_features(sample).items():
        rows.append({"what": what, "examples": len(sample), "seconds": seconds,
                     "examples_per_s": len(sample) / seconds})
    report("Example codec and TFRecord reading, one core", rows)
    return rows


if __name__ == "__main__":
    main()
