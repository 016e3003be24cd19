"""The LF summary table, from vote statistics (so the component and the notebook API
build the same table): per LF its polarity (class names), coverage, overlaps and
conflicts on the fit splits (Snorkel's ``LFAnalysis`` definitions, computed from
pattern counts), its votes, right votes and accuracy on the dev split, and the
chosen aggregator's weight and estimated accuracy for it."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np

from datalife.labeling.lfs import ABSTAIN
from datalife.labeling.vote_patterns import Moments, PatternCounts, VoteStats, split_counts

__all__ = ["pattern_lf_stats", "lf_summary_rows", "label_counts"]


def pattern_lf_stats(pc: PatternCounts, cardinality: int) -> dict:
    """Per LF: ``coverage``, ``overlaps``, ``conflicts`` (shares of rows, as Snorkel's
    LFAnalysis) and ``votes`` ([m, k] counts), from pattern counts."""
    P, c = pc.patterns, pc.counts.astype(float)
    n = c.sum()
    voted = P != ABSTAIN
    n_voting = voted.sum(axis=1)
    labels = [set(row[row != ABSTAIN].tolist()) for row in P]
    conflicted = np.array([len(s) > 1 for s in labels], bool)
    votes = np.zeros((P.shape[1], cardinality), np.int64)
    for j in range(P.shape[1]):
        np.add.at(votes[j], P[voted[:, j], j].astype(np.int64), pc.counts[voted[:, j]])
    return {"coverage": (voted * c[:, None]).sum(axis=0) / n,
            "overlaps": ((voted & (n_voting[:, None] > 1)) * c[:, None]).sum(axis=0) / n,
            "conflicts": ((voted & conflicted[:, None]) * c[:, None]).sum(axis=0) / n,
            "votes": votes}


def lf_summary_rows(stats: VoteStats, lf_names: Sequence[str], class_names: Sequence[str],
                    fit_splits: Sequence[str] = ("train",), dev_split: Optional[str] = None, aggregate=None,
                    faults: Optional[Mapping[str, int]] = None) -> list[dict]:
    """One dict per LF (see the module docstring). ``aggregate`` is an
    ``AggregateFit``; ``faults`` counts, per LF, the rows where it raised."""
    k = stats.cardinality
    train = split_counts(stats, fit_splits)
    if isinstance(train, Moments):
        votes = train.votes
        s = {"coverage": votes.sum(axis=1) / max(train.n_rows, 1), "overlaps": [None] * len(lf_names),
             "conflicts": [None] * len(lf_names), "votes": votes}
    else:
        s = pattern_lf_stats(train, k)
    dev = stats.counts(dev_split) if dev_split else None
    chosen = aggregate.chosen if aggregate is not None else None
    weights = chosen.lf_weights() if chosen is not None else None
    estimated = chosen.lf_accuracies() if chosen is not None else None
    rows = []
    for j, name in enumerate(lf_names):
        row = {"lf": name,
               "polarity": [class_names[c] for c in np.nonzero(s["votes"][j])[0]],
               "coverage": float(s["coverage"][j]),
               "overlaps": None if s["overlaps"][j] is None else float(s["overlaps"][j]),
               "conflicts": None if s["conflicts"][j] is None else float(s["conflicts"][j])}
        if dev is not None:
            hit = dev.patterns[:, j] != ABSTAIN
            n = int(dev.counts[hit].sum())
            right = int(dev.counts[hit & (dev.patterns[:, j] == dev.gold)].sum())
            row.update(dev_votes=n, dev_correct=right, dev_accuracy=(right / n) if n else None)
        if weights is not None:
            row["weight"] = float(weights[j])
        if estimated is not None:
            row["estimated_accuracy"] = float(estimated[j])
        if faults is not None:
            row["faults"] = int(faults.get(name, 0))
        rows.append(row)
    return rows


def label_counts(labels: Sequence[int], sources: Sequence[str], class_names: Sequence[str]) -> dict:
    """``{source: {class name: count}}`` of produced labels (-1 counted as 'none')."""
    out: dict = {}
    for label, source in zip(labels, sources):
        name = class_names[int(label)] if label >= 0 else "none"
        out.setdefault(source, {}).setdefault(name, 0)
        out[source][name] += 1
    return out
