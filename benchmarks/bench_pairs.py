"""Contrastive pairs: on load_digits' raw pixels (0-255), positive pairs are closer
than negatives (mean distances per kind, ROC AUC of -distance, a linear probe on
|a - b| trained on half the pairs); and pairs per second through the pandas API
(no reference library: a throughput figure only)."""
from __future__ import annotations

import time

import numpy as np

POLICY = [{"op": "rotate", "degrees": [-10, 10]}, {"op": "gaussian_noise", "std": [5, 15]}]


def digits() -> list[dict]:
    import pandas as pd
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from datalife.transforms.pairs import PAIR_KINDS, make_pairs, pair_images

    d = load_digits()
    df = pd.DataFrame({"y": d.target}, index=[f"d{i}" for i in range(len(d.target))])
    images = {k: np.round(d.images[i] * 255 / 16).astype(np.uint8) for i, k in enumerate(df.index)}
    p = make_pairs(df, "y", count=4000, positive_fraction=0.5, views_fraction=0.5, seed=3)
    A, B = pair_images(p, images, POLICY, seed=3)
    A = np.stack(A).reshape(len(p), -1).astype(float)
    B = np.stack(B).reshape(len(p), -1).astype(float)
    dist = np.linalg.norm(A - B, axis=1)
    y = p["pair_label"].to_numpy()
    idx = np.random.default_rng(0).permutation(len(p))
    tr, te = idx[:2000], idx[2000:]
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(np.abs(A - B)[tr], y[tr])
    row = {f"mean_dist_{k}": float(dist[(p["pair_kind"] == k).to_numpy()].mean()) for k in PAIR_KINDS}
    row.update({"what": "load_digits, 4,000 pairs (1,000 views, 1,000 same class, 2,000 different)",
                "auc_minus_distance": roc_auc_score(y, -dist),
                "linear_probe_auc": roc_auc_score(y[te], probe.decision_function(np.abs(A - B)[te]))})
    return [row]


def speed(n: int = 200_000, pairs: int = 1_000_000) -> list[dict]:
    import pandas as pd

    from datalife.transforms.pairs import make_pairs

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": rng.integers(0, 10, n)}, index=[f"ex{i}" for i in range(n)])
    t0 = time.perf_counter()
    p = make_pairs(df, "y", count=pairs, seed=1)
    dt = time.perf_counter() - t0
    return [{"what": f"make_pairs, {n:,} examples, 10 classes, {pairs:,} pairs (keys)", "seconds": dt,
             "pairs_per_s": len(p) / dt}]


def main() -> list[dict]:
    from benchmarks.common import report

    rows = digits() + speed()
    report("contrastive pairs (shared 2-core machine)", rows)
    return rows


if __name__ == "__main__":
    main()
