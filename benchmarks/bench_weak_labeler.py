"""The WeakLabeler component (its executor on Beam's DirectRunner, no TFX
orchestration) on synthetic examples, vs plain Snorkel's LabelModel fitted on the
whole label matrix, in the same run.

Each example has 10 integer features ``v0..v9`` holding the votes of 10 conditionally
independent binary LFs (planted accuracies 0.65-0.95, coverages 0.2-0.6); the LF
module has 10 vectorised building-block LFs that read them, so the figure is the
component's own cost (read, decode, apply, combine vote statistics, fit and choose
the aggregator on a 20k-row dev split, attach labels, write), not the LFs'. Every
step runs in its own child process (peak RSS is per process):

- ``write``: the examples as gzipped TFRecords (``common.tfrecords``), not timed;
- ``component``: ``executor.run`` (all four aggregators, cross-fitted on dev); rows/s
  and peak RSS;
- ``snorkel``: the reference, the label matrix gathered into one process and
  Snorkel's ``LabelModel.fit`` with the same settings as the component's label-model
  candidate (what the former component did in one worker).

``python -m benchmarks bench_weak_labeler``; sizes with ``BENCH_WEAK_ROWS=1000000``
(comma-separated). The machine is shared: compare the ratio, not the seconds.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_label_fit import K, M, batch  # the same planted LF matrix
SIZES = [int(s) for s in os.environ.get("BENCH_WEAK_ROWS", "1000000").split(",")]
DEV_ROWS = 20_000
CHUNK = 100_000

LF_MODULE = '''"""10 LFs that read their votes from features v0..v9 (the benchmark's examples)."""
import numpy as np

from datalife.labeling.lfs import BatchLF


def _lf(j):
    field = f"v{j}"
    return BatchLF(f"lf{j}", lambda x: int(getattr(x, field)), field, 1,
                   lambda values: np.asarray(values, dtype=np.int64))


''' + "\n".join(f"lf{j} = _lf({j})" for j in range(M)) + "\n"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_write(n: int, root: str) -> dict:
    from datalife.common.codec import encode_columns
    from datalife.common.tfrecords import write_tfrecords

    root = Path(root)
    (root / "lfs").mkdir(parents=True, exist_ok=True)
    (root / "lfs" / "bench_lfs.py").write_text(LF_MODULE)
    for split, rows, seed0 in (("train", n, 0), ("dev", DEV_ROWS, 10**6)):
        d = root / "examples" / f"Split-{split}"
        d.mkdir(parents=True, exist_ok=True)
        for i, start in enumerate(range(0, rows, CHUNK)):
            L, y = batch(seed0 + i, min(CHUNK, rows - start))
            cols = {f"v{j}": L[:, j].tolist() for j in range(M)}
            if split == "dev":
                cols["label"] = y.tolist()
            write_tfrecords(str(d / f"part-{i:04d}.gz"), encode_columns(cols))
    return {"rows": n}


def child_component(n: int, root: str) -> dict:
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from tfx.types import artifact_utils, standard_artifacts

    from datalife.components.artifacts import ComponentReport, LabelMatrix
    from datalife.components.weak_labeler import executor
    from datalife.components.weak_labeler.spec import WeakLabelerConfig

    root = Path(root)

    def artifact(cls, name):
        a = cls()
        a.uri = str(root / name)
        (root / name).mkdir(parents=True, exist_ok=True)
        return a

    examples = artifact(standard_artifacts.Examples, "examples")
    examples.split_names = artifact_utils.encode_split_names(["train", "dev"])
    out = artifact(standard_artifacts.Examples, "out")
    matrix, report = artifact(LabelMatrix, "matrix"), artifact(ComponentReport, "report")
    cfg = WeakLabelerConfig(lf_module=str(root / "lfs" / "bench_lfs.py"), dev_split="dev", batch_size=500,
                            label_model={"seed": 0})
    base = rss_mb()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = ru.ru_utime + ru.ru_stime
    t0 = time.perf_counter()
    executor.run(examples, out, matrix, report, cfg.model_dump_json(),
                 beam.Pipeline(options=PipelineOptions(["--direct_num_workers=1"])))
    wall = time.perf_counter() - t0
    summary = json.loads((root / "report" / "report.json").read_text())
    ru = resource.getrusage(resource.RUSAGE_SELF)
    cpu = ru.ru_utime + ru.ru_stime - cpu0
    return {"rows": n + DEV_ROWS, "wall_s": wall, "rows_per_s": (n + DEV_ROWS) / wall, "cpu_s": cpu,
            "rows_per_cpu_s": (n + DEV_ROWS) / cpu, "baseline_rss_mb": base,
            "peak_rss_mb": rss_mb(), "chosen": summary["chosen"],
            "dev_accuracy": {k: round(v, 4) for k, v in summary["dev"]["accuracy"].items()},
            "rows_out": sum(s["rows_out"] for s in summary["splits"].values())}


def child_snorkel(n: int) -> dict:
    from snorkel.labeling.model import LabelModel

    base = rss_mb()
    t0 = time.perf_counter()
    L = np.vstack([batch(i, min(CHUNK, n - s))[0] for i, s in enumerate(range(0, n, CHUNK))])
    gather = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = LabelModel(cardinality=K, verbose=False)
    model.fit(L, n_epochs=100, lr=0.01, l2=1.0, optimizer="adam", prec_init=0.7, seed=0, progress_bar=False)
    fit = time.perf_counter() - t0
    probs = model.predict_proba(L)
    return {"rows": n, "gather_s": gather, "fit_s": fit, "fit_predict_s": time.perf_counter() - t0 + 0,
            "baseline_rss_mb": base, "peak_rss_mb": rss_mb(), "labels": int(len(probs))}


def run_child(*args) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_weak_labeler", "--child", *map(str, args)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"{args[0]} child failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> list[dict]:
    from benchmarks.common import report

    rows = []
    for n in SIZES:
        with tempfile.TemporaryDirectory(prefix="bench-weak-") as root:
            run_child("write", n, root)
            c = run_child("component", n, root)
        s = run_child("snorkel", n)
        rows.append({"what": "WeakLabeler executor (DirectRunner, 1 worker): read, LFs, vote-stats CombineFn, "
                             "4 aggregators chosen on dev, labels written", **c})
        rows.append({"what": "plain Snorkel LabelModel.fit on the gathered matrix (+ predict)", **s})
        rows.append({"what": "ratio", "rows": n, "component_wall_over_snorkel_fit": c["wall_s"] / s["fit_predict_s"],
                     "component_peak_rss_over_snorkel": c["peak_rss_mb"] / s["peak_rss_mb"]})
    report("weak_labeler component vs plain Snorkel (machine shared by up to 8 engineers)", rows)
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, n = sys.argv[2], int(sys.argv[3])
        if kind == "write":
            out = child_write(n, sys.argv[4])
        elif kind == "component":
            out = child_component(n, sys.argv[4])
        else:
            out = child_snorkel(n)
        print(json.dumps(out))
    else:
        main()
