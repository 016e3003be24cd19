"""The pairs one class's examples anchor, from their keys and ranks and the plan: the
partner of each pair is named by (class, rank), so a graph joins it with the example
of that rank (a join on (split, class, rank), no gather); the draws come from
(seed, kind, anchor key, j)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from datalife.transforms.keyed_order import key_hashes, key_text, mix, unit
from datalife.transforms.pairs.plan import PairPlan
from datalife.transforms.pairs.spec import PAIR_KINDS

__all__ = ["Anchored", "anchored_pairs", "pair_ids"]


@dataclass
class Anchored:
    """Pairs anchored by some examples of one class (positions index the inputs)."""
    kind: np.ndarray  # index into PAIR_KINDS
    anchor: np.ndarray  # position of the anchor among the inputs
    j: np.ndarray  # the anchor's j-th pair of this kind
    b_class: list  # partner's class
    b_rank: np.ndarray  # partner's rank in its class
    view_a: np.ndarray
    view_b: np.ndarray


def _repeat(per: np.ndarray):
    anchor = np.repeat(np.arange(len(per)), per)
    starts = np.cumsum(per) - per
    return anchor, np.arange(int(per.sum())) - np.repeat(starts, per)


def anchored_pairs(keys: Sequence, ranks: np.ndarray, cls: str, plan: PairPlan, seed: int) -> Anchored:
    """Every pair the given examples of class ``cls`` (with their ranks in the class)
    anchor; any subset of the class gives the same pairs for its members."""
    ranks = np.asarray(ranks, dtype=np.int64)
    n = plan.counts[cls]
    others = [c for c in plan.counts if c != cls and plan.counts[c] > 0]
    cum = np.cumsum([plan.counts[c] for c in others]) if others else np.zeros(0, np.int64)
    parts = []
    for ki, kind in enumerate(PAIR_KINDS):
        per = plan.per_anchor(kind, cls, ranks)
        if not per.sum():
            continue
        anchor, j = _repeat(per)
        h = key_hashes(seed, [keys[i] for i in np.flatnonzero(per)], f"pair:{kind}")
        h = np.repeat(h, per[per > 0])
        u1, u2 = unit(mix(h, 2 * j)), unit(mix(h, 2 * j + 1))
        zeros = np.zeros(len(anchor), np.int64)
        if kind == "views":
            b_class, b_rank, va, vb = [cls] * len(anchor), ranks[anchor], 2 * j + 1, 2 * j + 2
        elif kind == "same_class":
            step = 1 + np.minimum((u1 * (n - 1)).astype(np.int64), n - 2)
            b_class, b_rank, va, vb = [cls] * len(anchor), (ranks[anchor] + step) % n, zeros, zeros
        else:
            pick = np.minimum(np.searchsorted(cum, u1 * cum[-1], side="right"), len(others) - 1)
            sizes = np.array([plan.counts[c] for c in others])[pick]
            b_class = [others[p] for p in pick]
            b_rank, va, vb = np.minimum((u2 * sizes).astype(np.int64), sizes - 1), zeros, zeros
        parts.append(Anchored(np.full(len(anchor), ki, np.int8), anchor, j, b_class, b_rank, va, vb))
    if not parts:
        e = np.zeros(0, np.int64)
        return Anchored(np.zeros(0, np.int8), e, e, [], e, e, e)
    return Anchored(*(np.concatenate([getattr(p, f) for p in parts]) if f != "b_class" else
                      sum((p.b_class for p in parts), []) for f in Anchored.__dataclass_fields__))


def pair_ids(kind: np.ndarray, anchor_keys: Sequence, j: np.ndarray) -> list[str]:
    return [f"{PAIR_KINDS[k]}|{key_text(a)}|{int(i)}" for k, a, i in zip(kind, anchor_keys, j)]
