"""Region-based selection: partition the feature space into regions (k-means over the
unlabeled examples), give each region a share of the batch in proportion to its
uncertainty mass (the sum of the inner strategy's scores of its unlabeled examples,
each raised to ``power``, 4 by default, so a region of very uncertain examples
outweighs a large region of mildly uncertain ones; largest remainder, capped by the
region's size), then run the inner strategy inside
each region. The batch is spread over the space where the model is unsure instead of
piling into the single most uncertain corner."""
from __future__ import annotations

import numpy as np

from datalife.labeling.active.committee import COMMITTEE, committee_proba, mean_kl, vote_entropy
from datalife.labeling.active.clustering import KMEANS_SAMPLE, kmeans_labels
from datalife.labeling.active.pool import Picks, Pool
from datalife.labeling.active.ranking import NearDuplicateGuard, walk
from datalife.labeling.active.strategies import UNCERTAINTY, describe_proba, uncertainty_scores

__all__ = ["allocate", "select_regions"]


def allocate(mass: np.ndarray, capacity: np.ndarray, n: int) -> np.ndarray:
    """Integer quotas summing to ``min(n, capacity.sum())``, proportional to ``mass``
    (Hamilton's largest-remainder rule; ties to the lower region id), none above its
    ``capacity``; what a full region cannot take is shared out again."""
    capacity = np.asarray(capacity, dtype=np.int64)
    mass = np.where(capacity > 0, np.maximum(np.asarray(mass, dtype=np.float64), 0.0), 0.0)
    quota = np.zeros(len(mass), dtype=np.int64)
    left = int(min(n, capacity.sum()))
    while left > 0:
        room = capacity - quota
        w = np.where(room > 0, mass, 0.0)
        if w.sum() <= 0:
            w = (room > 0).astype(np.float64)  # no uncertainty left: spread evenly over open regions
        share = left * w / w.sum()
        add = np.minimum(np.floor(share).astype(np.int64), room)
        extra = left - int(add.sum())
        frac = np.where(room - add > 0, share - np.floor(share), -1.0)
        for r in np.argsort(-frac, kind="stable")[:extra]:
            if frac[r] >= 0:
                add[r] += 1
        quota += add
        left -= int(add.sum())
    return quota


def _inner_scores(pool: Pool, inner: str) -> np.ndarray:
    if inner in UNCERTAINTY:
        return uncertainty_scores(pool.proba, inner)
    probas = committee_proba(pool)
    if inner == "qbc_kl":
        return mean_kl(probas)
    return vote_entropy(probas.argmax(axis=2), pool.n_classes)


def select_regions(pool: Pool, n: int, guard: NearDuplicateGuard, inner: str = "margin",
                   n_regions: int | None = None, power: float = 4.0, sample: int = KMEANS_SAMPLE) -> Picks:
    if inner not in UNCERTAINTY + COMMITTEE:
        raise ValueError(f"regions: inner strategy {inner!r} is not one of {UNCERTAINTY + COMMITTEE}")
    pool.require_model(f"regions({inner})")
    rows = pool.unlabeled
    scores = _inner_scores(pool, inner)
    labels, _ = kmeans_labels(pool.X, rows, n_regions or max(2, n), pool.seed, sample)
    R = int(labels.max()) + 1
    mass = np.bincount(labels, weights=scores ** power, minlength=R)
    count = np.bincount(labels, minlength=R)
    quota = allocate(mass, count, n)
    picks = Picks(info={"regions": R})
    total = mass.sum() or 1.0
    short = 0
    for r in np.argsort(-mass, kind="stable"):
        want = int(quota[r]) + short
        if want == 0:
            continue
        pos_r = np.flatnonzero(labels == r)
        got = guard.take(rows[pos_r], walk(scores[pos_r], pool.rank_of(rows[pos_r])), want)
        short = want - len(got)
        for p in pos_r[got]:
            head = (f"region {r} of {R} ({count[r]} unlabeled, {mass[r] / total:.0%} of the uncertainty "
                    f"-> {quota[r]} of the batch)")
            why = describe_proba(pool, pool.proba[p], inner, scores[p]) if inner in UNCERTAINTY \
                else f"{inner} {scores[p]:.3f}"
            picks.add(rows[p], scores[p], f"{head}: {why}", group=int(r))
    return picks
