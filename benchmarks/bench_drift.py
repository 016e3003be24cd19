"""Drift detection power and false alarms (``transforms/drift.py``).

100 seeded trials of two N(0, 1) samples of n = 5,000 rows: the current sample shifted
by 0.1 SD (power) or not (false alarms). Compared in the same run: our two-sample KS
test (``ks_pvalue`` 0.02, the default), the Jensen-Shannon divergence of 10-bucket
histograms at TFDV's usual 0.1 threshold, and that same divergence at the 1-SD shift
where it starts to fire. Targets: >= 95% detected, <= 5% false alarms. Also the time
of one comparison (KS + JS) of two 5,000-row columns.
"""
from __future__ import annotations

import os
import time

import numpy as np

from benchmarks.common import report

TRIALS = int(os.environ.get("BENCH_DRIFT_TRIALS", 100))
N = int(os.environ.get("BENCH_DRIFT_N", 5000))


def trial_samples(trial: int, shift: float, n: int = N, seed: int = 17):
    rng = np.random.default_rng([seed, trial])
    return rng.normal(size=n), rng.normal(size=n) + shift


def rates(shift: float, trials: int = TRIALS, n: int = N) -> dict:
    from datalife.transforms.drift import Thresholds, js_divergence, ks_test

    th = Thresholds()
    ks = js = 0
    t0 = time.perf_counter()
    for t in range(trials):
        a, b = trial_samples(t, shift, n)
        ks += ks_test(a, b)[1] < th.ks_pvalue
        js += js_divergence(a, b) > th.js
    return {"shift_sd": shift, "n": n, "trials": trials, "ks_detected": ks / trials, "js_detected": js / trials,
            "ms_per_comparison": 1000 * (time.perf_counter() - t0) / trials}


def main() -> None:
    rows = [rates(0.1), rates(0.0), rates(1.0)]
    report("drift", rows)
    power, false_alarms = rows[0]["ks_detected"], rows[1]["ks_detected"]
    print(f"KS power at 0.1 SD: {power:.0%} (target >= 95%), false alarms: {false_alarms:.0%} (target <= 5%)")


if __name__ == "__main__":
    main()
