"""Time-series windowing.

1. Core: windows per second of ``make_windows`` against
   ``tf.keras.utils.timeseries_dataset_from_array`` on the same array (100,000 rows x
   10 features, 24 h history + 24 h targets), one core, in the same run.
2. Component: the windower's Beam graph (DirectRunner) on generated hourly series of
   250k, 500k and 1M rows: wall time, rows/s, peak RSS of the process, and the largest
   group a worker holds (``block_rows + span - 1`` rows, independent of the series length).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

N_CORE = int(os.environ.get("BENCH_WIN_ROWS", 100_000))
SIZES = [int(s) for s in os.environ.get("BENCH_WIN_SIZES", "250000,500000,1000000").split(",")]


def bench_core() -> list[dict]:
    import tensorflow as tf

    from datalife.transforms.windows import WindowSpec, make_windows

    rng = np.random.default_rng(0)
    x = rng.normal(size=(N_CORE, 10)).astype(np.float32)
    spec = WindowSpec(history=24, targets=24, shift=24)
    t0 = time.perf_counter()
    starts, inputs, targets, _ = make_windows(x, spec, target_values=x[:, :2])
    t_ours = time.perf_counter() - t0
    n_windows = len(starts)
    t0 = time.perf_counter()
    ds_in = tf.keras.utils.timeseries_dataset_from_array(x[: N_CORE - 24], None, sequence_length=24,
                                                         batch_size=256)
    ds_tgt = tf.keras.utils.timeseries_dataset_from_array(x[24:, :2], None, sequence_length=24, batch_size=256)
    k = sum(int(a.shape[0]) for a, _ in zip(ds_in, ds_tgt))
    t_keras = time.perf_counter() - t0
    return [{"what": "keras timeseries_dataset_from_array", "windows": k, "seconds": t_keras,
             "windows_per_s": k / t_keras, "x_keras": 1.0},
            {"what": "datalife make_windows", "windows": n_windows, "seconds": t_ours,
             "windows_per_s": n_windows / t_ours, "x_keras": t_keras / t_ours}]


def _component_once(rows: int) -> dict:
    """Run in a fresh process so that peak RSS belongs to this size alone."""
    code = f"""
import json, os, resource, time, tempfile
import numpy as np, tensorflow as tf, apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from tfx.types import standard_artifacts
from datalife.components.artifacts import ComponentReport
from datalife.components.time_series_windower import executor
from datalife.components.time_series_windower.spec import WindowerConfig
rows = {rows}
tmp = tempfile.mkdtemp()
ex = standard_artifacts.Examples(); ex.uri = tmp + "/in"; ex.split_names = '["train"]'
os.makedirs(ex.uri + "/Split-train")
rng = np.random.default_rng(0)
temp = np.cumsum(rng.normal(0, 0.3, rows)).astype(np.float32)
with tf.io.TFRecordWriter(ex.uri + "/Split-train/data.gz", options="GZIP") as w:
    for i in rng.permutation(rows):
        f = {{"ts": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(i) * 3600])),
             "temp": tf.train.Feature(float_list=tf.train.FloatList(value=[temp[i]])),
             "hum": tf.train.Feature(float_list=tf.train.FloatList(value=[temp[i] * 0.5]))}}
        w.write(tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString())
out = standard_artifacts.Examples(); out.uri = tmp + "/out"
rep = ComponentReport(); rep.uri = tmp + "/rep"
cfg = WindowerConfig.model_validate({{"timestamp": {{"column": "ts"}}, "step_seconds": 3600,
    "features": ["temp", "hum"], "targets": ["temp"], "window": {{"history": 24, "targets": 24, "shift": 24}},
    "block_rows": 20000}})
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
executor.run(ex, out, rep, cfg.model_dump_json(), beam.Pipeline(options=PipelineOptions(["--direct_num_workers=1"])))
dt = time.perf_counter() - t0
counts = json.load(open(tmp + "/rep/report.json"))["counts"]
print("RESULT", json.dumps({{"rows": rows, "seconds": dt, "rows_per_s": rows / dt,
      "windows": counts["windows_out"], "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
      "rss_before_run_mb": base / 1024, "largest_group_rows": 20000 + 48 - 1}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            import json

            return json.loads(line[7:])
    raise RuntimeError(out.stderr[-3000:])


def main() -> list[dict]:
    from benchmarks.common import report, single_core

    single_core()
    core = bench_core()
    report(f"windowing core: {N_CORE} rows x 10 features, 24 + 24 steps", core)
    comp = [_component_once(n) for n in SIZES]
    report("windower component (DirectRunner, 1 worker)", comp)
    return core + comp


if __name__ == "__main__":
    main()
