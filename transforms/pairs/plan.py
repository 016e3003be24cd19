"""The pair plan of one split, from its class counts only: how many pairs of each
kind, and how many each class anchors (in proportion to its size, largest remainders
first). Inside a class, the example of rank r (by priority) anchors
A // n + (r < A mod n) pairs of a kind, so every example anchors about as many."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from datalife.transforms.pairs.spec import PAIR_KINDS, PairSpec

__all__ = ["PairPlan", "make_pair_plan", "apportion", "PairError"]


class PairError(ValueError):
    """Bad input or an impossible request (names the split, class and numbers)."""


def apportion(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` split in proportion to ``weights`` (largest remainders; ties by name)."""
    w = {c: v for c, v in weights.items() if v > 0}
    out = {c: 0 for c in weights}
    if not total:
        return out
    s = sum(w.values())
    base = {c: total * v // s for c, v in w.items()}
    rem = sorted(w, key=lambda c: (-(total * w[c] % s), c))
    for c in rem[:total - sum(base.values())]:
        base[c] += 1
    out.update(base)
    return out


@dataclass(frozen=True)
class PairPlan:
    split: str
    counts: dict[str, int]
    totals: dict[str, int]  # kind -> pairs
    anchors: dict[str, dict[str, int]]  # kind -> class -> pairs anchored by the class

    def per_anchor(self, kind: str, cls: str, ranks: np.ndarray) -> np.ndarray:
        a, n = self.anchors[kind].get(cls, 0), self.counts[cls]
        return np.full(len(ranks), a // n if n else 0, dtype=np.int64) + (np.asarray(ranks) < (a % n if n else 0))

    def to_dict(self) -> dict:
        return asdict(self)


def make_pair_plan(split: str, counts: dict[str, int], spec: PairSpec) -> PairPlan:
    counts = {str(c): int(n) for c, n in counts.items()}
    if spec.classes is not None:
        outside = [c for c in counts if c not in spec.classes]
        if outside:
            raise PairError(f"split {split!r}: label {outside[0]!r} ({counts[outside[0]]} examples) is outside the "
                            f"vocabulary {spec.classes}")
        counts = {c: counts.get(c, 0) for c in spec.classes}
    counts = dict(sorted(counts.items()))
    n = sum(counts.values())
    total = spec.pairs_for(split, n)
    n_pos = int(total * spec.positive_fraction + 0.5)
    n_views = int(n_pos * spec.views_fraction + 0.5)
    totals = {"views": n_views, "same_class": n_pos - n_views, "different_class": total - n_pos}
    if total and not n:
        raise PairError(f"split {split!r} has no labeled examples for {total} pairs")
    if totals["same_class"] and not any(v >= 2 for v in counts.values()):
        raise PairError(f"split {split!r}: {totals['same_class']} same-class pairs need a class with 2 or more "
                        f"examples; counts {counts}")
    if totals["different_class"] and sum(v > 0 for v in counts.values()) < 2:
        raise PairError(f"split {split!r}: {totals['different_class']} different-class pairs need 2 or more "
                        f"classes with examples; counts {counts}")
    anchors = {
        "views": apportion(totals["views"], counts),
        "same_class": apportion(totals["same_class"], {c: v for c, v in counts.items() if v >= 2}),
        "different_class": apportion(totals["different_class"], counts),
    }
    assert set(anchors) == set(PAIR_KINDS)
    return PairPlan(split, counts, totals, anchors)
