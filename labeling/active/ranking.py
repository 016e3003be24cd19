"""Walk candidates best-first (higher score first, ties by the seeded key hash) without
sorting a million scores when a batch needs a hundred, and keep near-duplicates out of
one batch.

Near-duplicate rule: two examples are near-duplicates when the Euclidean distance of
their feature vectors is at most ``radius``; by default the radius is 5% of the median
distance between two pool examples (measured on up to 2,000 pairs taken in the seeded
key order), so exact copies and near copies are caught whatever the feature scale.
No two examples of one batch are near-duplicates, and no example closer than the radius
to an earlier pick of the same batch is taken; each skip is counted.

Diverse top-k (``take_diverse``, the default of the score-based strategies): the
``top x batch`` best-scored candidates are clustered into ``batch`` k-means clusters and
each cluster gives its best candidate, so one batch does not pile into one corner of
the feature space (Zhdanov 2019, "Diverse mini-batch active learning"); ``top = 0``
is plain top-k (scikit-activeml's and modAL's behaviour), near-duplicate rule kept."""
from __future__ import annotations

from typing import Iterator

import numpy as np

__all__ = ["walk", "near_duplicate_radius", "NearDuplicateGuard", "DEDUP_FRACTION", "take_best", "DIVERSE_TOP"]

DEDUP_FRACTION = 0.05
DIVERSE_TOP = 5


def walk(scores: np.ndarray, tiebreak: np.ndarray, first: int = 1024) -> Iterator[int]:
    """Positions of ``scores`` best-first (ties: smaller ``tiebreak`` first). The first
    ``first`` (plus every tie at the cut) are sorted at once, the rest only if reached."""
    n = len(scores)
    if n == 0:
        return
    scores = np.asarray(scores, dtype=np.float64)
    if n > 2 * first:
        cut = np.partition(scores, n - first)[n - first]
        head = np.flatnonzero(scores >= cut)
        rest = np.flatnonzero(scores < cut)
    else:
        head, rest = np.arange(n), np.empty(0, dtype=np.int64)
    for part in (head, rest):
        if len(part):
            yield from part[np.lexsort((tiebreak[part], -scores[part]))].tolist()


def near_duplicate_radius(X: np.ndarray, order: np.ndarray, fraction: float = DEDUP_FRACTION,
                          pairs: int = 2000) -> float:
    """``fraction`` of the median distance between pool examples (pairs in key order)."""
    m = min(len(order) // 2, pairs)
    if m == 0:
        return 0.0
    a, b = order[:m], order[m:2 * m]
    d = np.sqrt(((X[a].astype(np.float64) - X[b]) ** 2).sum(axis=1))
    return float(fraction * np.median(d))


class NearDuplicateGuard:
    """The rows picked so far in one batch; refuses a row within ``radius`` of any of them."""

    def __init__(self, X: np.ndarray, radius: float):
        self.X, self.radius = X, float(radius)
        self._r2 = self.radius ** 2
        self.picked: list[int] = []
        self._picked_set: set[int] = set()
        self._coords = np.empty((0, X.shape[1]), dtype=np.float64)
        self.skipped = 0

    def admits(self, row: int) -> bool:
        if row in self._picked_set:
            return False
        if not self.picked:
            return True
        d2 = ((self._coords - self.X[row]) ** 2).sum(axis=1)
        return bool(d2.min() > self._r2)

    def nearest_picked(self, row: int) -> float:
        if not self.picked:
            return float("inf")
        return float(np.sqrt(((self._coords - self.X[row]) ** 2).sum(axis=1).min()))

    def add(self, row: int) -> None:
        self.picked.append(int(row))
        self._picked_set.add(int(row))
        self._coords = np.vstack([self._coords, self.X[row][None, :].astype(np.float64)])

    def take(self, rows: np.ndarray, positions: Iterator[int], n: int) -> list[int]:
        """Up to ``n`` positions from ``positions`` (indexing ``rows``) whose rows are no
        near-duplicate of a pick; the picks are recorded."""
        out: list[int] = []
        if n <= 0:
            return out
        for pos in positions:
            row = int(rows[pos])
            if row in self._picked_set:
                continue  # already in the batch (picked by an earlier pass): not a near-duplicate
            if self.admits(row):
                self.add(row)
                out.append(pos)
                if len(out) == n:
                    break
            else:
                self.skipped += 1
        return out


def take_best(X: np.ndarray, rows: np.ndarray, scores: np.ndarray, tiebreak: np.ndarray, n: int,
              guard: NearDuplicateGuard, top: int = DIVERSE_TOP, seed: int = 0) -> list[tuple[int, str]]:
    """Up to ``n`` (position in ``rows``, note) pairs, best first: diverse top-k when
    ``top`` > 0 (the note names the cluster), plain top-k otherwise (empty note)."""
    from datalife.labeling.active.clustering import kmeans_labels

    order = walk(scores, tiebreak, first=max(1024, 8 * n, top * n))
    if top <= 0 or n <= 1:
        return [(p, "") for p in guard.take(rows, order, n)]
    head = []
    for pos in order:
        if guard.admits(int(rows[pos])):
            head.append(pos)
            if len(head) == top * n:
                break
        else:
            guard.skipped += 1
    head = np.asarray(head, dtype=np.int64)
    if len(head) <= n:
        return [(p, "") for p in guard.take(rows, iter(head.tolist()), n)]
    labels, _ = kmeans_labels(X, rows[head], n, seed)  # head is best-first, so is each cluster
    out = []
    firsts = [int(np.flatnonzero(labels == c)[0]) for c in range(int(labels.max()) + 1)]
    for i in sorted(firsts):
        c = labels[i]
        members = head[labels == c]
        got = guard.take(rows, iter(members.tolist()), 1)
        if got:
            out.append((got[0], f"best of k-means cluster {c} ({len(members)} of the top {len(head)} candidates)"))
    if len(out) < n:  # near-duplicates inside clusters: fill from the rest of the head, best first
        out += [(p, "filling the batch") for p in guard.take(rows, iter(head.tolist()), n - len(out))]
    return out
