"""The active sampler's peak memory on a pool of embeddings (issue 14): ``n`` examples
with a 384-value embedding (as the text embedder writes), 1% labeled, through the
component's executor on the DirectRunner (1 worker), each size in a fresh process.

The selection needs the whole pool at once (a classifier and k-means over every
example), so the component's bound is the pool's feature matrix: n x d float32 (1.5 KB
a row at d = 384), held once while the decoded blocks are freed as they are copied in,
plus the DirectRunner's copy of the input batches. The figure to compare is peak RSS
minus the RSS before the run, against n x d x 4 bytes.

``python -m benchmarks bench_active_memory`` (``BENCH_ACTIVE_MEM_ROWS``, default
``50000,200000``)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROWS = [int(n) for n in os.environ.get("BENCH_ACTIVE_MEM_ROWS", "50000,200000").split(",") if n]
DIM = 384

CODE = """
import json, os, resource, tempfile, time, shutil
import numpy as np
from pathlib import Path
from tfx.types import artifact_utils, standard_artifacts
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from datalife.common.tfrecords import write_tfrecords
from datalife.common.codec import encode_example
from datalife.components.active_sampler.component import ActiveSampler
from datalife.components.artifacts import ComponentReport, LabelingBatch
n, dim = {n}, {dim}
tmp = Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)
centers = rng.normal(0, 1, (10, dim)).astype(np.float32)
y = rng.integers(0, 10, n)
ex = standard_artifacts.Examples(); ex.uri = str(tmp / "examples")
(tmp / "examples" / "Split-train").mkdir(parents=True)
def rows():
    for i in range(n):
        v = centers[y[i]] + rng.normal(0, 1.0, dim).astype(np.float32)
        yield encode_example({{"id": f"r{{i}}", "label": int(y[i]) if i % 100 == 0 else -1, "embedding": v.tolist()}})
write_tfrecords(str(tmp / "examples" / "Split-train" / "data_tfrecord-00000.gz"), rows())
ex.split_names = artifact_utils.encode_split_names(["train"])
out = {{"selected_examples": [standard_artifacts.Examples()], "labeling_batch": [LabelingBatch()],
       "report": [ComponentReport()]}}
for key, [a] in out.items():
    a.uri = str(tmp / "out" / key); Path(a.uri).mkdir(parents=True)
cfg = {{"splits": ["train"], "embedding_field": "embedding", "key_field": "id", "label_field": "label",
       "strategy": "margin", "batch_size": 100, "seed": 0}}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0, c0 = time.perf_counter(), time.process_time()
ctx = BaseBeamExecutor.Context(beam_pipeline_args=["--direct_num_workers=1", "--direct_running_mode=in_memory"],
                               tmp_dir=str(tmp / "beam"))
ActiveSampler.EXECUTOR_SPEC.executor_class(ctx).Do({{"examples": [ex]}}, out, {{"config": json.dumps(cfg)}})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sel = json.load(open(tmp / "out" / "report" / "report.json"))["counts"]
shutil.rmtree(tmp)
print("RESULT", json.dumps({{"rows": n, "dim": dim, "seconds": time.perf_counter() - t0,
      "cpu_seconds": time.process_time() - c0, "peak_rss_mb": peak / 1024, "rss_before_run_mb": base / 1024,
      "run_rss_mb": (peak - base) / 1024, "matrix_mb": n * dim * 4 / 2**20, "selected": sel.get("rows_selected")}}))
"""


def once(n: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CODE.format(n=n, dim=DIM)], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(out.stderr[-3000:])


def main() -> list[dict]:
    from benchmarks.common import report

    rows = [once(n) for n in ROWS]
    for r in rows:
        r["run_rss_per_matrix"] = r["run_rss_mb"] / r["matrix_mb"]
    report(f"active sampler peak memory, {DIM}-value embeddings, 1% labeled (DirectRunner, 1 worker)", rows)
    return rows


if __name__ == "__main__":
    main()
