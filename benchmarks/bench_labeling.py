"""Labeling-function application: 100,000 rows x 10 LFs (the YouTube spam LFs).

- Snorkel's PandasLFApplier (the reference), one core;
- datalife's core (``apply_batch`` on batches of 500), one core;
- datalife's Beam path (the WeakLabeler's DoFn on serialized tf.Examples) on the
  DirectRunner with 1 and 2 workers (multi_processing).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))

N_ROWS = int(os.environ.get("BENCH_LF_ROWS", 100_000))


def make_frame(n: int) -> pd.DataFrame:
    from make_messages import make

    return pd.DataFrame(make(n, np.random.default_rng(0), 0))


def bench_core(df, lfs) -> float:
    from datalife.labeling.applier import apply_batch

    cols = {"CONTENT": df["CONTENT"].tolist()}
    keys = df["COMMENT_ID"].tolist()
    t0 = time.perf_counter()
    for i in range(0, len(df), 500):
        apply_batch(lfs, {k: v[i:i + 500] for k, v in cols.items()}, keys[i:i + 500])
    return time.perf_counter() - t0


def _rows_of(batch) -> int:
    """Rows in one of ApplyLFs' vote batches."""
    return len(batch.raws)


def bench_beam(df, workers: int, tmp: str, mode: str | None = None) -> float:
    """The WeakLabeler's read + apply path: TFRecord file -> batches -> ApplyLFs."""
    import apache_beam as beam
    import tensorflow as tf
    from apache_beam.options.pipeline_options import PipelineOptions

    from datalife.components.beam_glue import ReadShard
    from datalife.components.weak_labeler.beam_glue import ApplyLFs
    from datalife.components.weak_labeler.spec import WeakLabelerConfig

    path = f"{tmp}/rows.tfrecord.gz"
    if not os.path.exists(path):
        with tf.io.TFRecordWriter(path, options="GZIP") as w:
            for row in df.to_dict("records"):
                f = {k: tf.train.Feature(bytes_list=tf.train.BytesList(value=[str(v).encode()]))
                     for k, v in row.items()}
                w.write(tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString())
    config = WeakLabelerConfig(lf_module="datalife.labeling.examples.youtube_spam", id_field="COMMENT_ID")
    mode = mode or ("in_memory" if workers == 1 else "multi_processing")
    opts = PipelineOptions([f"--direct_num_workers={workers}", f"--direct_running_mode={mode}"])
    tasks = [("train", path, 0, 1)]  # as examples_beam.read_split_batches: one task per file, batches spread
    t0 = time.perf_counter()
    with beam.Pipeline(options=opts) as p:
        _ = (p | beam.Create(tasks) | beam.Reshuffle() | beam.ParDo(ReadShard(500))
             | "SpreadBatches" >> beam.Reshuffle() | beam.ParDo(ApplyLFs(config.model_dump_json())) | beam.Map(_rows_of)
             | beam.CombineGlobally(sum))
    return time.perf_counter() - t0


def main() -> list[dict]:
    from snorkel.labeling import PandasLFApplier

    from benchmarks.common import report, single_core
    from datalife.labeling.lf_loader import load_lfs

    df = make_frame(N_ROWS)
    lfs = load_lfs("datalife.labeling.examples.youtube_spam")
    rows = []
    import tempfile

    tmp = tempfile.mkdtemp()
    t_beam2 = bench_beam(df, 2, tmp)  # before pinning this process to one core
    t_beam1p = bench_beam(df, 1, tmp, "multi_processing")
    single_core()
    t0 = time.perf_counter()
    PandasLFApplier(lfs).apply(df, progress_bar=False)
    t_snorkel = time.perf_counter() - t0
    t_core = bench_core(df, lfs)
    t_beam1 = bench_beam(df, 1, tmp)
    for name, t in (("snorkel PandasLFApplier (1 core)", t_snorkel), ("datalife core (1 core)", t_core),
                    ("datalife Beam DirectRunner, in_memory", t_beam1),
                    ("datalife Beam DirectRunner, multi_processing, 1 worker", t_beam1p),
                    ("datalife Beam DirectRunner, multi_processing, 2 workers", t_beam2)):
        rows.append({"what": name, "rows": N_ROWS, "lfs": len(lfs), "seconds": t, "rows_per_s": N_ROWS / t,
                     "x_snorkel": t_snorkel / t})
    report("labeling functions: 100k rows x 10 LFs", rows)
    return rows


if __name__ == "__main__":
    main()
