"""Label propagation at scale, against scikit-learn's LabelSpreading, same run.

Data: Gaussian blobs, 16 features, 10 overlapping centres (``bench_knn.make_blobs16``),
1% of the rows labeled (seeded). Each case runs in its own process (its own peak RSS);
scikit-learn is time-boxed.

- ours, default: ``propagate_labels`` with the default specs (kNN k=7: exact up to 50k
  rows, faiss IVF above; symmetric heat-kernel graph, alpha 0.9), 1 thread;
- ours, sklearn graph: ``graph="sklearn"``, alpha 0.2, max_iter 30, tol 1e-3 (the
  parameters of ``LabelSpreading(kernel="knn")``), neighbours from the same search;
- sklearn knn: ``LabelSpreading(kernel="knn", n_neighbors=7)``;
- sklearn rbf: ``LabelSpreading(kernel="rbf")`` (dense n x n) at 10k only.

Reported: wall and CPU seconds, peak RSS, accuracy against the blob centres on the
unlabeled rows, and agreement of hard labels with sklearn knn where it finished.
``python -m benchmarks bench_propagation [--quick]`` (quick: 10k and 100k).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks.bench_knn import make_blobs16, peak_rss_mb

SIZES = (10_000, 100_000, 300_000, 1_000_000)
SKLEARN_SIZES = (10_000, 100_000, 300_000)
TIMEOUT = {"sklearn_knn": 900, "sklearn_rbf": 600}


def _labels(y: np.ndarray) -> np.ndarray:
    n = len(y)
    idx = np.random.default_rng(0).choice(n, n // 100, replace=False)
    labels = np.full(n, -1)
    labels[idx] = y[idx]
    return labels


def _child(case: str, n: int, out: str) -> dict:
    x, y = make_blobs16(n)
    labels = _labels(y)
    base = peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    extra = {}
    if case.startswith("ours"):
        from datalife.labeling.propagation.knn_graph import KnnSpec
        from datalife.labeling.propagation.spreading import SpreadSpec, propagate_labels

        spread = SpreadSpec() if case == "ours_default" else SpreadSpec(alpha=0.2, max_iter=30, tol=1e-3,
                                                                        graph="sklearn")
        p = propagate_labels(x, labels, 10, knn_spec=KnnSpec(k=7, threads=1), spread_spec=spread)
        pred = p.label
        extra = {"knn": p.knn_method, "iterations": p.n_iter, "converged": p.converged}
    else:
        from sklearn.semi_supervised import LabelSpreading

        model = LabelSpreading(kernel="knn", n_neighbors=7, n_jobs=1) if case == "sklearn_knn" else \
            LabelSpreading(kernel="rbf")
        pred = model.fit(x, labels).transduction_
        extra = {"iterations": int(model.n_iter_)}
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    np.save(out, pred)
    un = labels < 0
    return {"case": case, "rows": n, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_rss_mb(),
            "data_rss_mb": base, "accuracy": float((pred[un] == y[un]).mean()), **extra}


def run_case(case: str, n: int, folder: str) -> tuple[dict, np.ndarray | None]:
    out = os.path.join(folder, f"{case}_{n}.npy")
    cmd = [sys.executable, "-m", "benchmarks.bench_propagation", "--child", case, str(n), out]
    timeout = TIMEOUT.get(case, 1800)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"case": case, "rows": n, "note": f"stopped after {timeout} s (time box)"}, None
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1]
        return {"case": case, "rows": n, "note": f"failed: {tail[:200]}"}, None
    return json.loads(proc.stdout.strip().splitlines()[-1]), np.load(out)


def main(quick: bool = False) -> list[dict]:
    from benchmarks.common import report

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for n in SIZES[:2] if quick else SIZES:
            cases = ["ours_default", "ours_sklearn_graph"]
            if n in SKLEARN_SIZES:
                cases.append("sklearn_knn")
            if n == 10_000:
                cases.append("sklearn_rbf")
            preds = {}
            for case in cases:
                row, preds[case] = run_case(case, n, folder)
                rows.append(row)
            ref = preds.get("sklearn_knn")
            for row in rows[-len(cases):]:
                pred = preds.get(row["case"])
                if ref is not None and pred is not None and row["case"] != "sklearn_knn":
                    un = _labels(make_blobs16(n)[1]) < 0
                    row["agreement_with_sklearn_knn"] = float((pred[un] == ref[un]).mean())
                print("  ", row, flush=True)
    report("label spreading, blobs 16-d, 10 classes, 1% labeled (1 thread; shared 2-core machine)", rows)
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]), sys.argv[4])))
    else:
        main(quick="--quick" in sys.argv)
