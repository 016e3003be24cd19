"""Fitting label aggregators from accumulated vote statistics, 1M and 10M rows x 10 LFs.

Synthetic binary votes of 10 conditionally independent LFs (planted accuracies
0.65-0.95, coverages 0.2-0.6), generated batch by batch with a per-batch seed, so no
process ever holds the label matrix. Each size runs in its own child process (peak RSS
is per process):

- ``stats``: the CombineFn's work, ``add_batch`` per batch into 4 accumulators dealt
  round-robin (as Beam's workers would hold them), ``merge_stats``, ``compact_stats``;
  then ``fit_aggregate`` with a 20k-row dev split (all four aggregators, cross-fitted
  scores). rows/s of accumulation (batches of 500, the component's default, and of
  100k), fit seconds, peak RSS.
- ``snorkel``: the reference, Snorkel's ``LabelModel.fit`` on the whole matrix (the
  former component gathered the matrix into one worker), with the same settings; at
  1M rows by default, 10M with ``BENCH_SNORKEL_10M=1``.

``python -m benchmarks bench_label_fit``; sizes with ``BENCH_FIT_ROWS=1000000,10000000``.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

M, K = 10, 2
ACC = np.array([0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.9, 0.8, 0.7])
COV = np.array([0.2, 0.3, 0.4, 0.5, 0.6, 0.3, 0.4, 0.5, 0.2, 0.6])
SIZES = [int(s) for s in os.environ.get("BENCH_FIT_ROWS", "1000000,10000000").split(",")]
LM_OPTIONS = dict(epochs=100, lr=0.01, l2=1.0, optimizer="adam", prec_init=0.7, class_balance="uniform", seed=0)


def batch(i: int, n: int):
    rng = np.random.default_rng([7, i])
    y = (rng.random(n) < 0.4).astype(np.int64)
    right = rng.random((n, M)) < ACC
    L = np.where(right, y[:, None], 1 - y[:, None])
    return np.where(rng.random((n, M)) < COV, L, -1), y


def warm_up() -> None:
    """First optimizer construction imports torch._dynamo (seconds): keep it out of the timings."""
    from snorkel.labeling.model import LabelModel

    LabelModel(cardinality=K, verbose=False).fit(np.array([[0, 1, -1], [1, 0, 0], [0, 0, 1]]), n_epochs=1,
                                                 optimizer="adam", progress_bar=False)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_stats(n: int) -> dict:
    from datalife.labeling.aggregate_select import AggregateSpec, fit_aggregate
    from datalife.labeling.vote_patterns import add_batch, compact_stats, empty_stats, merge_stats

    warm_up()
    out = {"rows": n, "baseline_rss_mb": rss_mb()}
    for size in (500, 100_000):
        if size == 500 and n > 1_000_000:
            continue  # per-call overhead measured at 1M
        accs = [empty_stats(K, M) for _ in range(4)]
        t_add = 0.0
        for i, start in enumerate(range(0, n, max(size, 100_000))):
            L, _ = batch(i, min(max(size, 100_000), n - start))
            t0 = time.perf_counter()
            for j in range(0, len(L), size):
                add_batch(accs[(j // size) % 4], L[j:j + size], "train")
            t_add += time.perf_counter() - t0
        t0 = time.perf_counter()
        stats = compact_stats(merge_stats(merge_stats(accs[0], accs[1]), merge_stats(accs[2], accs[3])))
        t_add += time.perf_counter() - t0
        out[f"accumulate_rows_per_s_batch{size}"] = n / t_add
    L, y = batch(10**6, 20_000)
    add_batch(stats, L, "dev", y)
    out["patterns"] = stats.counts("train").n_patterns
    t0 = time.perf_counter()
    fit = fit_aggregate(stats, [f"lf{j}" for j in range(M)], ["train"], "dev",
                        AggregateSpec(options={"label_model": LM_OPTIONS}))
    out["fit_s"] = time.perf_counter() - t0
    out["chosen"] = fit.chosen.name
    out["dev_accuracy"] = {r["aggregator"]: round(r["dev_accuracy"], 4) for r in fit.candidates}
    ds = fit.fitted["dawid_skene"]
    out["dawid_skene_max_accuracy_error"] = float(np.abs(ds.lf_accuracies() - ACC).max())
    out["peak_rss_mb"] = rss_mb()
    # the probabilities the stats-fitted label model gives the 1M-row reference (for equality)
    lm = fit.fitted["label_model"]
    from datalife.labeling.aggregators import SnorkelLabelModel
    from datalife.labeling.vote_patterns import split_counts

    nodev = SnorkelLabelModel(K, **LM_OPTIONS).fit(split_counts(stats, ["train"]), None)
    out["lm_probs_head"] = nodev.predict_proba(batch(0, 1000)[0]).tolist()
    del lm
    return out


def child_snorkel(n: int) -> dict:
    from snorkel.labeling.model import LabelModel

    warm_up()
    out = {"rows": n, "baseline_rss_mb": rss_mb()}
    t0 = time.perf_counter()
    L = np.vstack([batch(i, min(100_000, n - s))[0] for i, s in enumerate(range(0, n, 100_000))])
    out["gather_s"] = time.perf_counter() - t0
    model = LabelModel(cardinality=K, verbose=False)
    t0 = time.perf_counter()
    o = LM_OPTIONS
    model.fit(L, n_epochs=o["epochs"], lr=o["lr"], l2=o["l2"], optimizer=o["optimizer"], prec_init=o["prec_init"],
              seed=o["seed"], class_balance=[0.5, 0.5], progress_bar=False)
    out["fit_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = rss_mb()
    out["lm_probs_head"] = model.predict_proba(batch(0, 1000)[0]).tolist()
    return out


def run_child(kind: str, n: int) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_label_fit", "--child", kind, str(n)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> list[dict]:
    from benchmarks.common import report

    rows = []
    ref = {}
    for n in SIZES:
        s = run_child("stats", n)
        rows.append({"what": "datalife stats (CombineFn core) + fit_aggregate", "rows": n,
                     "accumulate_rows_per_s": s["accumulate_rows_per_s_batch100000"],
                     "accumulate_rows_per_s_batch500": s.get("accumulate_rows_per_s_batch500", float("nan")),
                     "fit_s": s["fit_s"], "patterns": s["patterns"], "baseline_rss_mb": s["baseline_rss_mb"],
                     "peak_rss_mb": s["peak_rss_mb"], "chosen": s["chosen"],
                     "ds_max_acc_err": s["dawid_skene_max_accuracy_error"]})
        ref[("stats", n)] = s
        if n <= 1_000_000 or os.environ.get("BENCH_SNORKEL_10M") == "1":
            r = run_child("snorkel", n)
            rows.append({"what": "snorkel LabelModel.fit on the whole matrix (reference)", "rows": n,
                         "gather_s": r["gather_s"], "fit_s": r["fit_s"], "baseline_rss_mb": r["baseline_rss_mb"],
                         "peak_rss_mb": r["peak_rss_mb"],
                         "max_prob_diff_vs_stats_fit": float(np.abs(np.array(r["lm_probs_head"])
                                                                    - np.array(s["lm_probs_head"])).max())})
    report("label aggregation fitted from statistics: 10 LFs x 1M / 10M rows", rows)
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        fn = child_stats if sys.argv[2] == "stats" else child_snorkel
        print(json.dumps(fn(int(sys.argv[3]))))
    else:
        main()
