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


def write_shards(df, tmp: str, files: int) -> list[str]:
    """``df`` as ``files`` gzipped TFRecord files of string features (ExampleGen writes a
    split as several shards), each written once and reused by later runs."""
    from datalife.common.codec import encode_columns
    from datalife.common.tfrecords import write_tfrecords

    paths = [f"{tmp}/rows-{k:03d}-of-{files:03d}.tfrecord.gz" for k in range(files)]
    step = -(-len(df) // files)
    for k, path in enumerate(paths):
        if not os.path.exists(path):
            part = df.iloc[k * step:(k + 1) * step]
            cols = {c: [str(v) for v in part[c]] for c in part.columns}
            write_tfrecords(path, encode_columns(cols, {c: "bytes" for c in cols}))
    return paths


def bench_beam(df, workers: int, tmp: str, mode: str | None = None, files: int = 1, spread: bool = True) -> float:
    """The WeakLabeler's read + apply path: TFRecord files -> batches -> ApplyLFs. One read
    task per file; ``spread`` reshuffles the batches after the read (the component's LF
    pass does not: ``read_split_batches(spread_batches=False)``)."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from datalife.components.beam_glue import ReadShard
    from datalife.components.weak_labeler.beam_glue import ApplyLFs
    from datalife.components.weak_labeler.spec import WeakLabelerConfig

    paths = write_shards(df, tmp, files)
    config = WeakLabelerConfig(lf_module="datalife.labeling.examples.youtube_spam", id_field="COMMENT_ID")
    mode = mode or ("in_memory" if workers == 1 else "multi_processing")
    opts = PipelineOptions([f"--direct_num_workers={workers}", f"--direct_running_mode={mode}"])
    tasks = [("train", path, 0, 1) for path in paths]  # as examples_beam.read_split_batches
    t0 = time.perf_counter()
    with beam.Pipeline(options=opts) as p:
        batches = p | beam.Create(tasks) | beam.Reshuffle() | beam.ParDo(ReadShard(500))
        if spread:
            batches = batches | "SpreadBatches" >> beam.Reshuffle()
        _ = (batches | beam.ParDo(ApplyLFs(config.model_dump_json())) | beam.Map(_rows_of)
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
