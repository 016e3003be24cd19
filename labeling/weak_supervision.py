"""From a whole label matrix to labels, probabilities and an analysis report.

``label_rows`` is the step that needs every row at once (the label model is fitted
on the full matrix). Rows are sorted by key first, so its result depends only on the
data and the seed, never on how the rows were batched or distributed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np
from snorkel.labeling import LFAnalysis

from datalife.common.accounting import Rule
from datalife.common.strict import seed_or_default
from datalife.labeling.label_model import (LabelModelSpec, accuracy, fit_label_model, lf_table, majority_vote,
                                           probs_to_labels)
from datalife.labeling.lfs import ABSTAIN

__all__ = ["LabeledRow", "WeakLabels", "label_rows", "RULES"]

# per split: every row is written out or dropped because every LF abstained
RULES = [Rule("rows_in", ("rows_out", "dropped_all_abstain"))]


@dataclass(frozen=True)
class LabeledRow:
    key: str
    split: str
    votes: tuple[int, ...]
    faults: tuple[int, ...] = ()  # indexes of the LFs that raised on this row (fault-tolerant mode)
    gold: Optional[int] = None  # dev label, on the dev split only


@dataclass
class WeakLabels:
    keys: list[str]
    splits: list[str]
    L: np.ndarray
    labels: np.ndarray
    probs: np.ndarray
    keep: np.ndarray  # False where the row is dropped (all LFs abstained and drop_abstained)
    report: dict = field(default_factory=dict)

    def by_key(self) -> dict[str, tuple[int, list[float], bool]]:
        return {k: (int(lbl), [float(p) for p in pr], bool(kp))
                for k, lbl, pr, kp in zip(self.keys, self.labels, self.probs, self.keep)}


def label_rows(rows: Sequence[LabeledRow], lf_names: Sequence[str], spec: LabelModelSpec,
               fit_splits: Sequence[str] = ("train",), dev_split: Optional[str] = None,
               drop_abstained: bool = False) -> WeakLabels:
    rows = sorted(rows, key=lambda r: (r.key, r.split))
    if not rows:
        raise ValueError("no examples to label")
    keys, splits = [r.key for r in rows], np.array([r.split for r in rows])
    L = np.array([r.votes for r in rows], dtype=np.int64).reshape(len(rows), len(lf_names))
    bad = (L < ABSTAIN) | (L >= spec.cardinality)
    if bad.any():  # on any split, not only the fit splits (Snorkel would index out of range)
        i, j = map(int, np.argwhere(bad)[0])
        raise ValueError(f"labeling function {lf_names[j]!r} voted {int(L[i, j])}, outside 0..{spec.cardinality - 1} "
                         f"(cardinality {spec.cardinality}), on example {keys[i]!r} of split {splits[i]!r}")
    fit_mask = np.isin(splits, list(fit_splits))
    if not fit_mask.any():
        raise ValueError(f"no examples in the fit splits {list(fit_splits)}; splits present: {sorted(set(splits))}")
    if (L[fit_mask] == ABSTAIN).all():
        raise ValueError(f"no labeling function voted on any of the {int(fit_mask.sum())} rows of the fit splits "
                         f"{list(fit_splits)}: every label would be a coin flip")
    model = fit_label_model(L[fit_mask], spec)
    probs = model.predict_proba(L)
    labels = probs_to_labels(probs, keys, spec.tie_break)
    all_abstain = (L == ABSTAIN).all(axis=1)
    keep = ~all_abstain if drop_abstained else np.ones(len(rows), bool)

    faults = {name: 0 for name in lf_names}
    for r in rows:
        for j in r.faults:
            faults[lf_names[j]] += 1
    weights = model.get_weights()
    report = {
        "lf_names": list(lf_names),
        "label_model": {**spec.model_dump(mode="json"), "seed": seed_or_default(spec.seed),
                        "fit_splits": list(fit_splits), "fit_rows": int(fit_mask.sum())},
        "lf_faults": faults,
        "splits": {},
    }
    for split in sorted(set(splits)):
        m = splits == split
        Ls = L[m]
        report["splits"][split] = {
            "rows_in": int(m.sum()),
            "rows_out": int(keep[m].sum()),
            "dropped_all_abstain": int((~keep[m]).sum()),
            "all_abstain": int(all_abstain[m].sum()),
            "coverage": float(LFAnalysis(Ls).label_coverage()),
            "overlap": float(LFAnalysis(Ls).label_overlap()),
            "conflict": float(LFAnalysis(Ls).label_conflict()),
            "lfs": lf_table(Ls, lf_names, weights=weights),
        }
    if dev_split is not None:
        m = splits == dev_split
        gold_rows = [r.gold for r, mm in zip(rows, m) if mm]
        if not m.any() or any(g is None for g in gold_rows):
            raise ValueError(f"dev split {dev_split!r} has {int(m.sum())} rows, "
                             f"{sum(g is None for g in gold_rows)} without a dev label")
        Y = np.array(gold_rows, dtype=np.int64)
        mv = majority_vote(L[m], spec, [k for k, mm in zip(keys, m) if mm])
        covered = ~all_abstain[m]
        report["dev"] = {
            "split": dev_split,
            "rows": int(m.sum()),
            "label_model_accuracy": accuracy(labels[m], Y),
            "majority_vote_accuracy": accuracy(mv, Y),
            # on the rows at least one LF voted on (the rest are tie-broken by key hash)
            "label_model_accuracy_covered": accuracy(labels[m][covered], Y[covered]),
            "majority_vote_accuracy_covered": accuracy(mv[covered], Y[covered]),
            "coverage": float(LFAnalysis(L[m]).label_coverage()),
            "lfs": lf_table(L[m], lf_names, Y=Y, weights=weights),
        }
    return WeakLabels(keys, list(splits), L, labels, probs, keep, report)
