"""Uncertainty sampling (least confidence, margin, entropy) and random sampling.

Scores (higher = label first), over the classifier's probabilities ``p`` of one example:
least confidence ``1 - max p``; margin ``1 - (p(1) - p(2))`` (the two most likely
classes); entropy ``-sum p log p`` in nats. These are scikit-activeml's
``uncertainty_scores`` definitions (its tests are our oracle)."""
from __future__ import annotations

import numpy as np

from datalife.labeling.active.pool import Picks, Pool
from datalife.labeling.active.ranking import DIVERSE_TOP, NearDuplicateGuard, take_best

__all__ = ["uncertainty_scores", "UNCERTAINTY", "select_uncertain", "select_random", "describe_proba"]

UNCERTAINTY = ("least_confidence", "margin", "entropy")


def uncertainty_scores(proba: np.ndarray, method: str) -> np.ndarray:
    p = np.asarray(proba, dtype=np.float64)
    if method == "least_confidence":
        return 1.0 - p.max(axis=1)
    if method == "margin":
        if p.shape[1] < 2:
            return np.zeros(len(p))
        top2 = -np.partition(-p, 1, axis=1)[:, :2]
        return 1.0 - (top2[:, 0] - top2[:, 1])
    if method == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.nansum(-p * np.log(p), axis=1)
    raise ValueError(f"unknown uncertainty method {method!r}; expected one of {UNCERTAINTY}")


def _name(pool: Pool, c: int) -> str:
    return repr(pool.classes[c])


def describe_proba(pool: Pool, p: np.ndarray, method: str, score: float) -> str:
    """A sentence saying why this probability vector is uncertain."""
    top = np.argsort(-p, kind="stable")
    a, b = int(top[0]), int(top[1]) if len(top) > 1 else int(top[0])
    if method == "least_confidence":
        return f"least confident: the model's best guess {_name(pool, a)} has only p={p[a]:.2f}"
    if method == "margin":
        return (f"margin {1 - score:.3f}: the model can barely tell {_name(pool, a)} (p={p[a]:.2f}) "
                f"from {_name(pool, b)} (p={p[b]:.2f})")
    k = int((p > 0.05).sum())
    return (f"entropy {score:.2f} nats (of {np.log(len(p)):.2f} max): probability spread over {k} "
            f"classes, led by {_name(pool, a)} (p={p[a]:.2f}) and {_name(pool, b)} (p={p[b]:.2f})")


def select_uncertain(pool: Pool, n: int, guard: NearDuplicateGuard, method: str = "margin",
                     top: int = DIVERSE_TOP) -> Picks:
    """The ``n`` most uncertain unlabeled examples under ``method`` (diverse top-k:
    see ``ranking.take_best``; ``top=0`` for plain top-k)."""
    pool.require_model(method)
    rows, proba = pool.unlabeled, pool.proba
    scores = uncertainty_scores(proba, method)
    picks = Picks()
    for pos, note in take_best(pool.X, rows, scores, pool.rank_of(rows), n, guard, top, pool.seed):
        why = describe_proba(pool, proba[pos], method, scores[pos])
        picks.add(rows[pos], scores[pos], f"{why}; {note}" if note else why)
    return picks


def select_random(pool: Pool, n: int, guard: NearDuplicateGuard) -> Picks:
    """A seeded uniform sample: the unlabeled examples with the smallest key hashes."""
    rows = pool.unlabeled
    u = pool.hashes[rows].astype(np.float64) / 2.0 ** 64
    picks = Picks()
    for pos in guard.take(rows, iter(range(len(rows))), n):  # rows are in key-hash order
        picks.add(rows[pos], 1.0 - u[pos], f"random draw (seed {pool.seed}, by key): a baseline, "
                  f"not a judgement of the example")
    return picks
