"""Hybrid: diversity while labels are few, margin later.

With few labels a classifier's uncertainty is unreliable and typical, well-spread
examples teach more (TypiClust's "low budget" regime); with more labels the margin
around the decision boundary does. The share of the batch picked for diversity falls
linearly from 1 below ``low`` labels per class to 0 at ``high`` labels per class (class
count = the vocabulary's size; ``low == high`` is a hard switch); the rest is picked
for margin.

- diversity phase: TypiClust over ``n_labeled + 2 x batch`` clusters, uncovered
  clusters ranked by size x (mean margin uncertainty) ** ``gamma`` once a classifier
  can be fitted (plain TypiClust before: labels of fewer than two classes);
- margin phase: margin sampling, diverse top-k (the most uncertain example of each of
  ``batch`` k-means clusters of the ``top x batch`` top candidates), no near-duplicate
  of earlier picks.

Defaults (diversity share from 1 at 4 labels per class to 0 at 6, ``gamma`` = 2, diverse
top-k over the 10 x batch most uncertain) were chosen on the digits protocol with seeds
100-119 (a grid of switch points, ``gamma``, ``k`` and ``top``), then measured on the
benchmark's seeds 0-9 (benchmarks/bench_active.py): TypiClust leads margin at 5 labels
per class, margin leads from 10; other data may want another switch point."""
from __future__ import annotations

import numpy as np

from datalife.labeling.active.diversity import select_typiclust
from datalife.labeling.active.strategies import select_uncertain
from datalife.labeling.active.pool import Picks, Pool
from datalife.labeling.active.ranking import NearDuplicateGuard

__all__ = ["diversity_share", "select_hybrid"]

LOW, HIGH, GAMMA, TOP = 4.0, 6.0, 2.0, 10


def diversity_share(n_labeled: int, n_classes: int, low: float = LOW, high: float = HIGH) -> float:
    per_class = n_labeled / max(1, n_classes)
    if high <= low:
        return 1.0 if per_class < high else 0.0
    return float(np.clip((high - per_class) / (high - low), 0.0, 1.0))


def select_hybrid(pool: Pool, n: int, guard: NearDuplicateGuard, low: float = LOW, high: float = HIGH,
                  gamma: float = GAMMA, k: int = 20, top: int = TOP) -> Picks:
    share = diversity_share(len(pool.labeled), pool.n_classes, low, high)
    model_ok = len(pool.labeled_classes) >= 2
    if not model_ok:
        share = 1.0
    n_div = int(round(share * n))
    picks = Picks(info={"diversity_share": share, "diversity_picks": 0, "margin_picks": 0})
    phase = (f"{len(pool.labeled)} labels for {pool.n_classes} classes"
             + ("" if model_ok else ", fewer than two classes labeled"))
    if n_div:
        div = select_typiclust(pool, n_div, guard, k=k, gamma=gamma, extra_clusters=n)
        for r, s, why, g in zip(div.rows, div.scores, div.reasons, div.groups):
            picks.add(r, s, f"diversity phase ({share:.0%} of the batch; {phase}): {why}", g)
        picks.info["diversity_picks"] = len(div.rows)
    rest = n - len(picks.rows)
    if rest > 0 and model_ok:
        mar = select_uncertain(pool, rest, guard, "margin", top=top)
        for r, s, why in zip(mar.rows, mar.scores, mar.reasons):
            picks.add(r, s, f"margin phase ({1 - share:.0%} of the batch; {phase}): {why}")
        picks.info["margin_picks"] = len(mar.rows)
    return picks
