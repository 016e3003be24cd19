"""Each example's final label, probabilities and ``label_source``: per batch, so the
component's DoFn and the notebook API call the same function.

``label_source`` names the step that produced the label:

- the aggregator's name (``majority_vote``, ``weighted_vote``, ``dawid_skene``,
  ``label_model``): the label aggregated from the LF votes;
- ``end_model``: the discriminative end model (``from_end_model``: ``all`` every
  example; ``uncovered`` only those no LF voted on; ``none`` no example);
- ``gold``: the example's own gold label (dev rows, with ``gold_overrides``).

Hard labels come from the probabilities; ties (within 1e-5) are broken per example
by a hash of its key (``tie_break: random``) or left as -1 (``abstain``).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from datalife.labeling.label_model import probs_to_labels

__all__ = ["final_labels", "choose_end_model_use", "FROM_END_MODEL"]

FROM_END_MODEL = ("all", "uncovered", "none")


def choose_end_model_use(agg_probs: np.ndarray, end_probs: np.ndarray, covered: np.ndarray,
                         gold: np.ndarray) -> tuple[str, dict]:
    """``from_end_model: auto`` on the dev rows: ``all`` (the end model labels every
    example), ``uncovered`` (the aggregate labels the rows some LF voted on, the end
    model the rest) or ``none`` (the aggregate labels every example), whichever is
    most accurate (ties in that order). The end model never trains on dev rows, so the
    comparison is honest. Returns the choice and the three accuracies."""
    from datalife.labeling.aggregators import expected_accuracy

    covered = np.asarray(covered, bool)
    mixed = np.where(covered[:, None], agg_probs, end_probs)
    scores = {"all": expected_accuracy(end_probs, gold), "uncovered": expected_accuracy(mixed, gold),
              "none": expected_accuracy(agg_probs, gold)}
    best = max(scores.values())
    return next(k for k in FROM_END_MODEL if scores[k] >= best - 1e-12), scores


def final_labels(agg_probs: np.ndarray, covered: np.ndarray, keys: Sequence[str], aggregator: str,
                 end_probs: Optional[np.ndarray] = None, from_end_model: str = "all",
                 gold: Optional[np.ndarray] = None, gold_overrides: bool = False,
                 tie_break: str = "random") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels [n], probs [n, k], label_source [n] as str) of a batch."""
    if from_end_model not in FROM_END_MODEL:
        raise ValueError(f"from_end_model must be one of {FROM_END_MODEL}, got {from_end_model!r}")
    probs = np.array(agg_probs, dtype=float, copy=True)
    source = np.full(len(probs), aggregator, dtype=object)
    if end_probs is not None and from_end_model != "none":
        use = np.ones(len(probs), bool) if from_end_model == "all" else ~np.asarray(covered, bool)
        probs[use] = end_probs[use]
        source[use] = "end_model"
    labels = probs_to_labels(probs, list(keys), tie_break)
    if gold is not None and gold_overrides:
        gold = np.asarray(gold, np.int64)
        has = gold >= 0
        labels[has] = gold[has]
        probs[has] = np.eye(probs.shape[1])[gold[has]]
        source[has] = "gold"
    return labels, probs, source.astype(str)
