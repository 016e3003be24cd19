"""Contrastive pairs, the pure core: from labeled examples, positive pairs (two
augmented views of one example, or two examples of one class) and negative pairs
(two classes), with exact counts and ratio, never across splits.

- ``spec``: :class:`PairSpec` (count or per_example, positive_fraction, views_fraction, seed, policy);
- ``plan``: class counts -> pairs per kind and per anchoring class;
- ``partners``: the pairs some examples of a class anchor, partners named by (class, rank);
- ``frame``: the pandas API :func:`make_pairs`, :func:`pair_images`, :func:`check_pairs`;
- ``chart``: :func:`pairs_png`, pairs per kind and per (label a, label b).
"""
from datalife.transforms.pairs.chart import pairs_png
from datalife.transforms.pairs.frame import check_pairs, make_pairs, pair_images
from datalife.transforms.pairs.plan import PairError, PairPlan, apportion, make_pair_plan
from datalife.transforms.pairs.spec import FIELDS, PAIR_KINDS, PairSpec

__all__ = ["make_pairs", "pairs_png", "pair_images", "check_pairs", "PairSpec", "PairPlan", "make_pair_plan", "apportion",
           "PairError", "PAIR_KINDS", "FIELDS"]
