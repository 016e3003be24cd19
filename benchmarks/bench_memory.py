"""Peak RSS against data size (issue 18, item 2): does a component's memory grow with
the rows? Each size runs in a fresh process (peak RSS of that size alone).

- the time-series windower at 1M and 10M rows (``BENCH_MEM_WINDOW_ROWS``, comma
  separated), through its executor on the DirectRunner (1 worker, in_memory), the
  generated hourly series of ``bench_windows``;
- the label unifier at 10k and 100k generated images (``BENCH_MEM_IMAGES``): YOLO
  labels (one file per image, so a file is never a whole dataset) and 32 x 32 PNGs,
  through its executor on the DirectRunner (1 worker);
- the windower's shuffle in pure Beam (``BENCH_MEM_SHUFFLE_ROWS``; runners in
  ``BENCH_MEM_SHUFFLE_RUNNERS``: ``direct``, ``beam`` = the portable path with Beam's own
  job service, ``datalife`` = with datalife's): elements sent to the GroupByKey vs
  handed out, no datalife code on the worker;
- the weak labeler's LF step on the DirectRunner, multi_processing with 1 and 2
  workers (``BENCH_MEM_LF_ROWS``; the split as ``BENCH_MEM_LF_FILES`` shards, 8 by
  default), the read + apply path of ``bench_labeling`` as the component runs it.

What it cannot separate: the DirectRunner keeps every PCollection between two stages
in the process's memory (it is a test runner), so its process RSS includes whole
stages' data even when no DoFn holds more than a block; the figure that stays flat is
the largest group a worker holds (reported beside it). A distributed runner (Flink,
Spark, Dataflow) streams bundles between stages instead.
"""
from __future__ import annotations

import os
import shutil
import time

WINDOW_ROWS = [int(n) for n in os.environ.get("BENCH_MEM_WINDOW_ROWS", "1000000,10000000").split(",") if n]
IMAGES = [int(n) for n in os.environ.get("BENCH_MEM_IMAGES", "").split(",") if n]
BEAM_ROWS = [int(n) for n in os.environ.get("BENCH_MEM_BEAM_ROWS", "").split(",") if n]
LF_ROWS = [int(n) for n in os.environ.get("BENCH_MEM_LF_ROWS", "").split(",") if n]
LF_FILES = int(os.environ.get("BENCH_MEM_LF_FILES", 8))
PORTABLE_ROWS = [int(n) for n in os.environ.get("BENCH_MEM_PORTABLE_ROWS", "").split(",") if n]
SHUFFLE_ROWS = [int(n) for n in os.environ.get("BENCH_MEM_SHUFFLE_ROWS", "").split(",") if n]
SHUFFLE_RUNNERS = os.environ.get("BENCH_MEM_SHUFFLE_RUNNERS", "direct,beam,datalife").split(",")

# Pure Beam, no datalife code on the worker: the windower's graph (batches reshuffled,
# each series' first and last time as a dict side input, rows keyed to 20k-row blocks, a
# row near a block's start also sent to the block before, flattened with one key per
# block, GroupByKey), counting the row copies sent to the GroupByKey and handed out.
SHUFFLE_CODE = """
import json, sys, tempfile, time
from pathlib import Path
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from datalife.pipeline.portable import local_portable_services
from datalife.pipeline.engines import JOB_SERVER_TIMEOUT
rows, batch, block, span = {rows}, 1000, 20000, 48
def make(b, rows=rows, batch=batch):  # constants bound here: the worker has no __main__ globals
    for i in range(b * batch, min(rows, (b + 1) * batch)):
        yield "", (i, (0.5 * i, 0.25 * i), (0.5 * i,), None)
def keyed(kv, lo, block=block, span=span):
    s, r = kv
    i = r[0] - lo[s][0]
    for blk in range(max(0, (i - span + 1) // block), i // block + 1):
        yield (s, blk), r
def block_keys(kv, block=block):
    s, (first, last) = kv
    for blk in range((last - first) // block + 1):
        yield (s, blk), None
def min_max(pairs):  # (first, last) pairs -> one (a plain callable combines them)
    pairs = list(pairs)
    return min(p[0] for p in pairs), max(p[1] for p in pairs)
out = Path(tempfile.mkdtemp()) / "counts.json"
def write(d, out=out):
    import json
    out.write_text(json.dumps(d))
def run(args):
    with beam.Pipeline(options=PipelineOptions(args)) as p:
        rows_ = p | beam.Create(range(-(-rows // batch))) | "Spread" >> beam.Reshuffle() | beam.FlatMap(make)
        bounds = rows_ | "Times" >> beam.Map(lambda kv: (kv[0], (kv[1][0], kv[1][0]))) | beam.CombinePerKey(min_max)
        copies = rows_ | "ToGrid" >> beam.FlatMap(keyed, beam.pvalue.AsDict(bounds))
        blocks = bounds | "Blocks" >> beam.FlatMap(block_keys)
        sent = copies | "Sent" >> beam.combiners.Count.Globally()
        got = ((copies, blocks) | "RowsAndBlocks" >> beam.Flatten() | beam.GroupByKey()
               | beam.Map(lambda kv: sum(1 for v in kv[1] if v is not None)) | "Grouped" >> beam.CombineGlobally(sum))
        _ = ((sent | "S" >> beam.Map(lambda n: ("sent", n))), (got | "G" >> beam.Map(lambda n: ("grouped", n)))) | beam.Flatten() \
            | beam.combiners.ToDict() | beam.Map(write)
t0 = time.perf_counter()
runner = {runner!r}
result_extra = {{}}
if runner == "direct":
    run(["--direct_num_workers=1"])
else:
    module = {{"beam": "apache_beam.runners.portability.local_job_service_main",
              "datalife": "datalife.pipeline.beam_job_service"}}[runner]
    import threading, psutil
    peak, stop = [0.0], threading.Event()
    def poll(services):
        while not stop.is_set():
            try:
                pool = psutil.Process(services.processes["worker_pool"].pid)
                peak[0] = max(peak[0], sum(c.memory_info().rss for c in pool.children(recursive=True)) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.2)
    with local_portable_services(Path(tempfile.mkdtemp()), job_service_module=module) as services:
        threading.Thread(target=poll, args=(services,), daemon=True).start()
        run(services.beam_args() + ["--sdk_worker_parallelism=1", f"--job_server_timeout={{JOB_SERVER_TIMEOUT}}"])
        stop.set()
    result_extra["sdk_worker_peak_rss_mb"] = peak[0]
print("RESULT", json.dumps({{"seconds": time.perf_counter() - t0, **json.loads(out.read_text()), **result_extra}}))
"""

PORTABLE_CODE = """
import json, os, resource, shutil, tempfile, threading, time
from pathlib import Path
import numpy as np, psutil, apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from tfx.types import standard_artifacts
from datalife.common.codec import encode_columns
from datalife.common.tfrecords import write_tfrecords
from datalife.components.artifacts import ComponentReport
from datalife.components.time_series_windower import executor
from datalife.components.time_series_windower.spec import WindowerConfig
from datalife.pipeline.portable import local_portable_services
from datalife.pipeline.engines import JOB_SERVER_TIMEOUT
rows = {rows}
tmp = Path(tempfile.mkdtemp())
ex = standard_artifacts.Examples(); ex.uri = str(tmp / "in"); ex.split_names = '["train"]'
os.makedirs(ex.uri + "/Split-train")
rng = np.random.default_rng(0)
temp = np.cumsum(rng.normal(0, 0.3, rows)).astype(np.float32)
order = rng.permutation(rows)
shards = 8  # several files, so the runner can split the read
for k in range(shards):
    idx = order[k::shards]
    chunks = (idx[c:c + 100000] for c in range(0, len(idx), 100000))
    write_tfrecords(ex.uri + f"/Split-train/data-{{k}}.gz", (e for part in chunks for e in encode_columns(
        {{"ts": (part.astype(np.int64) * 3600).tolist(), "temp": temp[part].astype(float).tolist(),
          "hum": (temp[part].astype(float) * 0.5).tolist()}}, {{"ts": "int", "temp": "float", "hum": "float"}})))
out = standard_artifacts.Examples(); out.uri = str(tmp / "out")
rep = ComponentReport(); rep.uri = str(tmp / "rep")
cfg = WindowerConfig.model_validate({{"timestamp": {{"column": "ts"}}, "step_seconds": 3600,
    "features": ["temp", "hum"], "targets": ["temp"], "window": {{"history": 24, "targets": 24, "shift": 24}},
    "block_rows": 20000}})
peaks = {{"sdk_workers": 0.0, "job_service": 0.0, "launcher": 0.0}}
stop = threading.Event()
def poll(services):
    me = psutil.Process()
    while not stop.is_set():
        try:
            pool = psutil.Process(services.processes["worker_pool"].pid)
            workers = sum(c.memory_info().rss for c in pool.children(recursive=True))
            job = psutil.Process(services.processes["job_service"].pid).memory_info().rss
            peaks["sdk_workers"] = max(peaks["sdk_workers"], workers / 2**20)
            peaks["job_service"] = max(peaks["job_service"], job / 2**20)
            peaks["launcher"] = max(peaks["launcher"], me.memory_info().rss / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.2)
result = {{"rows": rows}}
try:
    with local_portable_services(tmp / "services") as services:
        t = threading.Thread(target=poll, args=(services,), daemon=True); t.start()
        t0 = time.perf_counter()
        try:
            executor.run(ex, out, rep, cfg.model_dump_json(),
                         beam.Pipeline(options=PipelineOptions(services.beam_args() + ["--sdk_worker_parallelism=1", f"--job_server_timeout={{JOB_SERVER_TIMEOUT}}"])))
            result["windows"] = json.load(open(rep.uri + "/report.json"))["counts"]["windows_out"]
        except Exception as exc:  # the peaks until then are still measured; the failure is reported
            result["error"] = f"{{type(exc).__name__}}: {{exc}}"[:600]
        result["seconds"] = time.perf_counter() - t0
        stop.set(); t.join()
finally:
    shutil.rmtree(tmp, ignore_errors=True)  # 10M rows are 200 MB of input
result.update({{"sdk_worker_peak_rss_mb": peaks["sdk_workers"], "job_service_peak_rss_mb": peaks["job_service"],
      "launcher_peak_rss_mb": peaks["launcher"], "largest_group_rows": 20000 + 48 - 1}})
print("RESULT", json.dumps(result))
"""


def windower() -> list[dict]:
    from benchmarks.bench_windows import _component_once

    rows = []
    for n in WINDOW_ROWS:
        t0 = time.perf_counter()
        r = _component_once(n)
        r["process_seconds"] = time.perf_counter() - t0
        rows.append(r)
        print("DONE", r, flush=True)  # each size as it completes (a 10M run takes long on a shared machine)
    if len(rows) >= 2:
        for r in rows:
            r["rss_vs_smallest"] = r["peak_rss_mb"] / rows[0]["peak_rss_mb"]
    return rows


def _unifier_once(n: int) -> dict:
    """One label unifier run on ``n`` generated images, in a fresh process."""
    import json
    import subprocess
    import sys

    code = f"""
import json, os, resource, shutil, tempfile, time
import cv2, numpy as np, apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from tfx.types import standard_artifacts
from datalife.components.artifacts import ComponentReport
from datalife.components.label_unifier import executor
from datalife.components.label_unifier.spec import LabelUnifierConfig
n = {n}
tmp = tempfile.mkdtemp()
os.makedirs(tmp + "/images"); os.makedirs(tmp + "/labels")
open(tmp + "/labels/classes.txt", "w").write("car\\nperson\\n")
rng = np.random.default_rng(0)
base = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
for i in range(n):
    img = base.copy(); img[0, 0] = (i % 256, (i // 256) % 256, i // 65536)
    cv2.imwrite(f"{{tmp}}/images/im{{i:06d}}.png", img)
    open(f"{{tmp}}/labels/im{{i:06d}}.txt", "w").write(f"{{i % 2}} 0.5 0.5 0.25 0.25\\n")
cfg = LabelUnifierConfig.model_validate({{"classes": ["car", "person"], "sources": [{{"name": "gen", "format": "yolo",
    "path": tmp + "/labels", "images": tmp + "/images", "options": {{"images": tmp + "/images"}}}}]}})
ex = standard_artifacts.Examples(); ex.uri = tmp + "/out"
rep = ComponentReport(); rep.uri = tmp + "/rep"; os.makedirs(rep.uri)
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
executor.run(ex, rep, cfg.model_dump_json(), beam.Pipeline(options=PipelineOptions(["--direct_num_workers=1"])))
dt = time.perf_counter() - t0
totals = json.load(open(rep.uri + "/report.json"))["totals"]
shutil.rmtree(tmp, ignore_errors=True)  # 100k images and label files
print("RESULT", json.dumps({{"images": n, "seconds": dt, "images_out": totals.get("images_out"),
      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_run_mb": base_rss / 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(out.stderr[-3000:])


def unifier() -> list[dict]:
    rows = []
    for n in IMAGES:
        rows.append(_unifier_once(n))
        print("DONE", rows[-1], flush=True)
    for r in rows:
        r["rss_vs_smallest"] = r["peak_rss_mb"] / rows[0]["peak_rss_mb"]
    return rows


def _beam_shape_once(n: int, shape: str) -> dict:
    """A pure-Beam pipeline with no datalife code, in a fresh process: ``n`` rows made in a
    worker (the launcher holds none), 1,000 series. ``windower``: the windower's shape
    (per-series min/max as a dict side input, rows keyed to (series, 20k-row block),
    GroupByKey, one count per block); ``fused``: the same rows counted by a combiner only
    (no side input, no GroupByKey: one fused stage). No DoFn keeps anything."""
    import json
    import subprocess
    import sys

    code = f"""
import json, resource, time
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
n, shape = {n}, {shape!r}
def make(_):
    for i in range(n):
        yield str(i % 1000), (float(i // 1000) * 3600.0, (0.5 * i, 0.25 * i), (0.5 * i,), None)
def grid(kv, lo):
    s, r = kv
    yield (s, int((r[0] - lo[s]) // 3600.0) // 20000), r
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
with beam.Pipeline(options=PipelineOptions(["--direct_num_workers=1"])) as p:
    rows = p | beam.Impulse() | "Make" >> beam.FlatMap(make)
    if shape == "fused":
        _ = rows | beam.combiners.Count.Globally()
    else:
        lo = rows | beam.Map(lambda kv: (kv[0], kv[1][0])) | beam.CombinePerKey(min)
        _ = (rows | beam.FlatMap(grid, beam.pvalue.AsDict(lo)) | beam.GroupByKey()
             | beam.Map(lambda kv: len(list(kv[1]))) | beam.CombineGlobally(sum))
print("RESULT", json.dumps({{"rows": n, "shape": shape, "seconds": time.perf_counter() - t0,
      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_run_mb": base / 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(out.stderr[-3000:])


def beam_shape() -> list[dict]:
    rows = []
    for shape in ("fused", "windower"):
        for n in BEAM_ROWS:
            rows.append(_beam_shape_once(n, shape))
            print("DONE", rows[-1], flush=True)
    return rows


def windower_portable() -> list[dict]:
    """The windower on Beam's portable path (a job service and an SDK worker pool in
    processes of their own, as a cluster runs it): peak RSS of the SDK worker process
    (what a cluster worker holds), apart from the job service (here Beam's local
    runner, which keeps every PCollection between stages in its memory; Flink and Spark
    stream or spill them) and the launcher. Polled every 0.2 s with psutil."""
    import json
    import subprocess
    import sys

    rows = []
    for n in PORTABLE_ROWS:
        out = subprocess.run([sys.executable, "-c", PORTABLE_CODE.format(rows=n)], capture_output=True, text=True,
                             env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        got = [json.loads(line[7:]) for line in out.stdout.splitlines() if line.startswith("RESULT ")]
        if not got:
            raise RuntimeError(out.stderr[-3000:])
        rows.append(got[0])
        print("DONE", rows[-1], flush=True)
    for r in rows:
        r["worker_rss_vs_smallest"] = r["sdk_worker_peak_rss_mb"] / rows[0]["sdk_worker_peak_rss_mb"]
    return rows


def shuffle_check() -> list[dict]:
    """``SHUFFLE_CODE`` at each size on the DirectRunner, on the portable path with Beam's
    own job service and with datalife's (Beam's plus the dead-worker fix): the elements
    the GroupByKey received vs handed out (written to a file by the worker, read back)."""
    import json
    import subprocess
    import sys

    rows = []
    for n in SHUFFLE_ROWS:
        for runner in SHUFFLE_RUNNERS:
            out = subprocess.run([sys.executable, "-c", SHUFFLE_CODE.format(rows=n, runner=runner)],
                                 capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
            got = [json.loads(line[7:]) for line in out.stdout.splitlines() if line.startswith("RESULT ")]
            row = {"rows": n, "runner": runner, **(got[0] if got else {"error": out.stderr[-1500:]})}
            if got:
                row["lost"] = row["sent"] - row["grouped"]
            rows.append(row)
            print("DONE", row, flush=True)
    return rows


def lf_step() -> list[dict]:
    """The LF pass as the component runs it: a split written as ``BENCH_MEM_LF_FILES``
    shards (ExampleGen writes several), one read task per shard, batches applied where
    they were read (no reshuffle). multi_processing with 1 and 2 workers, the same
    files, each run once after a warm-up run that also writes them."""
    import tempfile

    from benchmarks.bench_labeling import bench_beam, make_frame

    rows = []
    for n in LF_ROWS:
        df = make_frame(n)
        tmp = tempfile.mkdtemp()
        kw = {"files": LF_FILES, "spread": False}
        try:
            bench_beam(df, 1, tmp, "multi_processing", **kw)  # warm-up (writes the shards, fills the page cache)
            t1 = bench_beam(df, 1, tmp, "multi_processing", **kw)
            t2 = bench_beam(df, 2, tmp, "multi_processing", **kw)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        rows.append({"rows": n, "files": LF_FILES, "seconds_1_worker": t1, "seconds_2_workers": t2,
                     "speedup": t1 / t2, "load_after": os.getloadavg()[0]})
        print("DONE", rows[-1], flush=True)
    return rows


def main() -> list[dict]:
    from benchmarks.common import report

    out = []
    if WINDOW_ROWS:
        w = windower()
        report("windower peak RSS by rows (DirectRunner, 1 worker, fresh process per size)", w)
        out += w
    if IMAGES:
        u = unifier()
        report("label unifier peak RSS by images (DirectRunner, 1 worker, fresh process per size)", u)
        out += u
    if BEAM_ROWS:
        b = beam_shape()
        report("pure Beam, no datalife code: peak RSS by rows (DirectRunner, 1 worker, fresh process per size)", b)
        out += b
    if PORTABLE_ROWS:
        w = windower_portable()
        report("windower on the portable path: peak RSS of the SDK worker, job service and launcher", w)
        out += w
    if SHUFFLE_ROWS:
        sh = shuffle_check()
        report("the windower's shuffle in pure Beam: elements sent to the GroupByKey vs handed out", sh)
        out += sh
    if LF_ROWS:
        lf = lf_step()
        report("weak labeler LF step, DirectRunner multi_processing: 1 vs 2 workers", lf)
        out += lf
    return out


if __name__ == "__main__":
    main()
