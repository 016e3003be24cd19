"""SMOTE for one class: neighbours within the class, and synthetic points seeded per
(source key, synthetic index), so the points do not depend on the order the class's
rows arrive in.

A graph gathers ONE class's feature matrix for this: n rows x d features x 8 bytes
(float64), plus the neighbour table (n x k x 8 bytes) and scikit-learn's tree (about
another n x d x 8): about n x (2d + k + 1) x 8 bytes in all (10,000 x 20 with k = 5:
3.6 MB; 1,000,000 x 20: 360 MB). The synthetic points are made in chunks (``points``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from datalife.transforms.keyed_order import key_hashes, key_text, mix, order_in_bucket, priorities, unit
from datalife.transforms.rebalance.plan import RebalanceError

__all__ = ["neighbours", "Synthetics", "plan_synthetics", "points", "check_features"]


def check_features(X: np.ndarray, names: Sequence[str], label: str, keys: Sequence) -> None:
    """Raise naming the class, the feature, how many rows and the first key when a
    feature is missing (NaN) or infinite."""
    bad = ~np.isfinite(X)
    if bad.any():
        col = int(np.flatnonzero(bad.any(axis=0))[0])
        rows = np.flatnonzero(bad[:, col])
        raise RebalanceError(f"SMOTE needs finite numeric features: class {label!r}, feature {names[col]!r} is "
                             f"missing or not finite in {len(rows)} of {len(X)} rows (first key "
                             f"{key_text(keys[rows[0]])!r}); impute it first or use oversample")


def neighbours(X: np.ndarray, k: int) -> np.ndarray:
    """(n, k) indices of each row's k nearest other rows (Euclidean), nearest first:
    scikit-learn's ``NearestNeighbors(k + 1).kneighbors(X)`` with the row itself
    removed (even when a duplicate point precedes it)."""
    from sklearn.neighbors import NearestNeighbors

    n = len(X)
    if n <= k:
        raise RebalanceError(f"k_neighbors={k} needs at least {k + 1} rows, got {n}")
    ind = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X, return_distance=False)
    keep = ind != np.arange(n)[:, None]
    keep[~(~keep).any(axis=1), -1] = False  # self not among the k + 1: drop the farthest
    return ind[keep].reshape(n, k)


@dataclass
class Synthetics:
    """The synthetic points of one class, as row indices into its matrix: point
    ``X[base] + gap * (X[partner] - X[base])`` is the ``copy``-th synthetic of ``base``."""
    base: np.ndarray
    partner: np.ndarray
    copy: np.ndarray
    gap: np.ndarray
    neighbours: np.ndarray


def plan_synthetics(X: np.ndarray, keys: Sequence, n_new: int, k: int, seed: int,
                    nn: Optional[np.ndarray] = None) -> Synthetics:
    """Which points to make: every row is the base of n_new // n synthetics and the
    n_new % n rows with the smallest priorities of one more; synthetic j of a base
    draws its neighbour and its gap from (seed, base key, j)."""
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    order = order_in_bucket(priorities(seed, keys), keys)  # rows in priority order: one order for any arrival
    if nn is None:
        nn_sorted = neighbours(X[order], k)
        nn = np.empty_like(nn_sorted)
        nn[order] = order[nn_sorted]
    if n_new == 0:
        e = np.zeros(0, dtype=np.int64)
        return Synthetics(e, e, e, np.zeros(0), nn)
    per = np.full(n, n_new // n, dtype=np.int64)
    per[order[:n_new % n]] += 1
    base = np.repeat(np.arange(n), per)
    starts = np.cumsum(per) - per
    copy = np.arange(len(base)) - np.repeat(starts, per) + 1
    h = key_hashes(seed, keys, "smote")[base]
    col = np.minimum((unit(mix(h, 2 * copy)) * k).astype(np.int64), k - 1)
    gap = unit(mix(h, 2 * copy + 1))
    return Synthetics(base, nn[base, col], copy, gap, nn)


def points(X: np.ndarray, syn: Synthetics, rows: slice = slice(None), out: Optional[np.ndarray] = None) -> np.ndarray:
    """The synthetic points (a chunk of them with ``rows``), written into ``out`` if given."""
    X = np.asarray(X, dtype=np.float64)
    b, p, g = syn.base[rows], syn.partner[rows], syn.gap[rows]
    out = X[p] if out is None else np.take(X, p, axis=0, out=out)
    base = X[b]
    out -= base
    out *= g[:, None]
    out += base
    return out
