"""Fit the candidate aggregators from vote statistics, score them on the dev split,
choose one, and say why; plus the warnings a person should read.

The selection rule (``fit_aggregate``):

- ``aggregator: auto`` with a dev split: every candidate that can be fitted is scored
  by its dev accuracy (hard labels, a tie between t classes counted 1/t) and the best
  one is chosen; an exact tie goes to the earlier (simpler) candidate in
  ``candidates``. An aggregator that learns from the dev split's gold labels
  (weighted vote; the label model's dev-based prior and class balance) is scored by
  ``folds``-fold cross-fitting on the dev rows, so it is never scored on labels it
  was fitted to. Majority vote is always a candidate, so the choice is never worse
  than majority vote on the dev split.
- ``score_on: covered`` scores only the dev rows some LF voted on: use it when an
  end model labels the rest (the aggregate then only teaches it).
- ``aggregator: auto`` without a dev split: majority vote. Nothing without gold
  labels can show that a model beats majority vote (on YouTube spam Snorkel's
  LabelModel lost to it with every LF set we tried); a warning says to add a dev split.
- ``aggregator: <name>``: that one; with a dev split all candidates are still scored
  and a warning says so when the named one is below majority vote.

Errors (``WeakLabelingError``) and warnings (a list of dicts with ``code``,
``message`` and, where it applies, ``lf``) cover the inputs Snorkel would crash on
or silently turn into coin flips: no rows, no votes at all, one class only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import numpy as np

from datalife.labeling.aggregators import (AGGREGATORS, Aggregator, AggregatorUnavailable, expected_accuracy,
                                           make_aggregator)
from datalife.labeling.label_model import ABSTAIN  # (lfs.py would import Snorkel)
from datalife.labeling.vote_patterns import Moments, PatternCounts, VoteStats, split_counts

__all__ = ["AggregateSpec", "AggregateFit", "WeakLabelingError", "fit_aggregate", "dev_folds", "class_name_list",
           "pick_best",
           "DEFAULT_CANDIDATES"]

DEFAULT_CANDIDATES = ("majority_vote", "weighted_vote", "dawid_skene", "label_model")


class WeakLabelingError(ValueError):
    """The votes cannot give labels (no rows, no votes, a bad split); the message says why."""


@dataclass(frozen=True)
class AggregateSpec:
    aggregator: str = "auto"  # auto | majority_vote | weighted_vote | dawid_skene | label_model
    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    score_on: str = "all"  # all | covered (dev rows some LF voted on)
    folds: int = 5  # cross-fitting folds for aggregators that learn from dev labels
    seed: int = 0
    options: Mapping[str, Mapping] = field(default_factory=dict)  # per aggregator: constructor options

    def __post_init__(self):
        names = set(AGGREGATORS)
        if self.aggregator != "auto" and self.aggregator not in names:
            raise ValueError(f"aggregator must be 'auto' or one of {sorted(names)}, got {self.aggregator!r}")
        bad = [c for c in self.candidates if c not in names] + [o for o in self.options if o not in names]
        if bad:
            raise ValueError(f"unknown aggregator(s) {bad}; choose from {sorted(names)}")
        if "majority_vote" not in self.candidates:
            raise ValueError("candidates must include majority_vote (the baseline the choice must not fall below)")
        if self.score_on not in ("all", "covered"):
            raise ValueError(f"score_on must be 'all' or 'covered', got {self.score_on!r}")
        if self.folds < 2:
            raise ValueError(f"folds must be >= 2, got {self.folds}")

    def make(self, name: str, cardinality: int) -> Aggregator:
        opts = dict(self.options.get(name, {}))
        if name in ("label_model",):
            opts.setdefault("seed", self.seed)
        return make_aggregator(name, cardinality, **opts)


@dataclass
class AggregateFit:
    chosen: Aggregator
    reason: str
    candidates: list  # one dict per candidate: name, fitted, dev_accuracy, ..., chosen, note
    warnings: list
    fit_rows: int
    dev_rows: int
    fitted: dict  # name -> fitted Aggregator (the chosen one included)

    def table(self) -> list[dict]:
        return self.candidates


def class_name_list(cardinality: int, class_names: Optional[Sequence[str]]) -> list[str]:
    if class_names is None:
        return [str(c) for c in range(cardinality)]
    names = [str(c) for c in class_names]
    if len(names) != cardinality or len(set(names)) != cardinality:
        raise ValueError(f"class_names must be {cardinality} distinct names, got {list(class_names)}")
    return names


def dev_folds(dev: PatternCounts, folds: int, seed: int) -> list[tuple[PatternCounts, PatternCounts]]:
    """(fit part, held-out part) pairs over the dev rows: rows are expanded in the
    statistics' canonical pattern order, permuted with ``seed`` and dealt round-robin,
    so the folds depend on the data and the seed only."""
    idx = np.repeat(np.arange(dev.n_patterns), dev.counts)
    order = np.random.default_rng(seed).permutation(len(idx))
    fold_of = np.empty(len(idx), np.int64)
    fold_of[order] = np.arange(len(idx)) % folds
    pairs = []
    for f in range(folds):
        held = np.bincount(idx[fold_of == f], minlength=dev.n_patterns)
        rest = dev.counts - held

        def part(c):
            keep = c > 0
            return PatternCounts(dev.patterns[keep], c[keep].astype(np.int64), dev.gold[keep])

        pairs.append((part(rest), part(held)))
    return pairs


def pick_best(rows: Sequence[Mapping], key: str) -> str:
    """The aggregator with the highest ``key``; among equals (within 1e-12) the first
    in ``rows`` (candidates are listed simplest first)."""
    best = max(r[key] for r in rows)
    return next(r["aggregator"] for r in rows if r[key] >= best - 1e-12)


def _score(agg: Aggregator, dev: PatternCounts, covered_only: bool) -> tuple[float, float]:
    probs = agg.predict_proba(dev.patterns)
    covered = (dev.patterns != ABSTAIN).any(axis=1)
    return (expected_accuracy(probs, dev.gold, dev.counts),
            expected_accuracy(probs, dev.gold, dev.counts, covered))


def _cross_fitted(spec: AggregateSpec, name: str, k: int, train, dev: PatternCounts) -> tuple[float, float]:
    right_all = right_cov = n_all = n_cov = 0.0
    for fit_part, held in dev_folds(dev, spec.folds, spec.seed):
        if held.n_rows == 0:
            continue
        agg = spec.make(name, k).fit(train, fit_part if fit_part.n_rows else None)
        a, c = _score(agg, held, False)
        covered = (held.patterns != ABSTAIN).any(axis=1)
        n = held.n_rows
        nc = float(held.counts[covered].sum())
        right_all += a * n
        n_all += n
        if nc:
            right_cov += c * nc
            n_cov += nc
    return right_all / n_all, (right_cov / n_cov if n_cov else float("nan"))


def _check_votes(train, dev: Optional[PatternCounts], k: int, lf_names: Sequence[str], names: list[str],
                 fit_splits: Sequence[str]) -> list[dict]:
    warnings = []
    if isinstance(train, PatternCounts):
        P, c = train.patterns, train.counts
        votes = np.zeros((P.shape[1], k), np.int64)
        for j in range(P.shape[1]):
            hit = P[:, j] != ABSTAIN
            np.add.at(votes[j], P[hit, j].astype(np.int64), c[hit])
    else:
        votes = train.votes
    if votes.sum() == 0:
        raise WeakLabelingError(
            f"no labeling function voted on any of the {train.n_rows:,} rows of the fit splits {list(fit_splits)}: "
            f"every label would be a coin flip. Check that the LFs read the right fields "
            f"({', '.join(lf_names)}) and that they return class ids, not -1, when they fire")
    voted_classes = np.nonzero(votes.sum(axis=0))[0]
    if len(voted_classes) == 1:
        warnings.append({"code": "one_class_voted", "message": (
            f"the labeling functions only ever voted class {names[voted_classes[0]]!r} on the fit splits: every "
            f"covered row gets it, no model can learn how the classes differ, and the end model needs two classes. "
            f"Add LFs for the other class(es)")})
    for j, name in enumerate(lf_names):
        if votes[j].sum() == 0:
            warnings.append({"code": "lf_never_votes", "lf": name, "message": (
                f"labeling function {name!r} never voted on the fit splits {list(fit_splits)}: it has no effect")})
    if dev is not None:
        P = dev.patterns
        for j, name in enumerate(lf_names):
            hit = P[:, j] != ABSTAIN
            n = int(dev.counts[hit].sum())
            if n == 0:
                warnings.append({"code": "lf_no_dev_votes", "lf": name, "message": (
                    f"labeling function {name!r} never voted on the dev split: its accuracy is unknown")})
                continue
            acc = float(dev.counts[hit & (P[:, j] == dev.gold)].sum() / n)
            if acc < 1.0 / k:
                warnings.append({"code": "lf_worse_than_chance", "lf": name, "message": (
                    f"labeling function {name!r} is right on {acc:.0%} of its {n} dev votes, below chance "
                    f"({1 / k:.0%}): check its rule or its class")})
    return warnings


def fit_aggregate(stats: VoteStats, lf_names: Sequence[str], fit_splits: Sequence[str] = ("train",),
                  dev_split: Optional[str] = None, spec: AggregateSpec = AggregateSpec(),
                  class_names: Optional[Sequence[str]] = None) -> AggregateFit:
    """Fit the candidates from the statistics of ``fit_splits``, score them on
    ``dev_split`` (with gold labels), choose one (see the module docstring)."""
    k = stats.cardinality
    names = class_name_list(k, class_names)
    if len(lf_names) != stats.n_lfs:
        raise ValueError(f"{len(lf_names)} LF names for statistics of {stats.n_lfs} LFs")
    present = stats.split_names()
    train = split_counts(stats, fit_splits)
    if train is None or train.n_rows == 0:
        raise WeakLabelingError(f"no examples in the fit splits {list(fit_splits)}; splits present: {present}")
    dev = None
    if dev_split is not None:
        if dev_split in fit_splits:
            raise WeakLabelingError(f"dev split {dev_split!r} must not be one of the fit splits {list(fit_splits)}")
        dev = stats.counts(dev_split)
        if dev is None or dev.n_rows == 0:
            raise WeakLabelingError(f"dev split {dev_split!r} has no examples; splits present: {present}")
        if dev.gold is None:
            raise WeakLabelingError(f"dev split {dev_split!r} has no gold labels")
    warnings = _check_votes(train, dev, k, lf_names, names, fit_splits)
    if isinstance(train, Moments):
        warnings.append({"code": "pattern_cap", "message": (
            f"the fit splits have more than max_patterns={stats.max_patterns:,} distinct vote patterns: fitted "
            f"from moments; dawid_skene (which needs patterns) is skipped")})

    cands = list(spec.candidates)
    if spec.aggregator != "auto" and spec.aggregator not in cands:
        cands.append(spec.aggregator)
    if dev is None:
        cands = [c for c in cands if c == "majority_vote" or c == spec.aggregator]
    covered_only = spec.score_on == "covered"
    rows, fitted = [], {}
    for name in cands:
        row = {"aggregator": name, "fitted": False, "dev_accuracy": None, "dev_accuracy_covered": None,
               "cross_fitted": False, "chosen": False, "note": ""}
        try:
            agg = spec.make(name, k).fit(train, dev)
        except AggregatorUnavailable as exc:
            row["note"] = str(exc)
            rows.append(row)
            continue
        fitted[name] = agg
        row["fitted"] = True
        if dev is not None:
            if agg.uses_dev_labels(dev):
                row["dev_accuracy"], row["dev_accuracy_covered"] = _cross_fitted(spec, name, k, train, dev)
                row["cross_fitted"] = True
            else:
                row["dev_accuracy"], row["dev_accuracy_covered"] = _score(agg, dev, False)
        rows.append(row)

    key = "dev_accuracy_covered" if covered_only else "dev_accuracy"
    scored = [r for r in rows if r["fitted"] and r[key] is not None and not np.isnan(r[key])]
    mv = next(r for r in rows if r["aggregator"] == "majority_vote")
    if spec.aggregator != "auto":
        if spec.aggregator not in fitted:
            note = next(r["note"] for r in rows if r["aggregator"] == spec.aggregator)
            raise WeakLabelingError(f"aggregator {spec.aggregator!r} cannot be fitted: {note}")
        chosen = spec.aggregator
        reason = f"{chosen} as configured"
        mine = next(r for r in rows if r["aggregator"] == chosen)
        if dev is not None and mine[key] is not None and mv[key] is not None and mine[key] < mv[key]:
            warnings.append({"code": "below_majority_vote", "message": (
                f"the configured aggregator {chosen} scores {mine[key]:.3f} on the dev split, below majority vote "
                f"({mv[key]:.3f}); aggregator: auto would choose the best")})
    elif dev is None:
        chosen = "majority_vote"
        reason = ("majority vote: no dev split, and without gold labels nothing can show that a model beats "
                  "majority vote")
        warnings.append({"code": "no_dev_split", "message": (
            "no dev split: majority vote is used. Label 100-200 examples as a dev split so that datalife can "
            "score weighted vote, Dawid-Skene and Snorkel's label model and choose the best")})
    else:
        chosen = pick_best(scored, key)
        best = next(r[key] for r in scored if r["aggregator"] == chosen)
        others = ", ".join(f"{r['aggregator']} {r[key]:.3f}" for r in scored if r["aggregator"] != chosen)
        what = "dev accuracy on covered rows" if covered_only else "dev accuracy"
        reason = (f"{chosen}: highest {what} ({best:.3f}; {others or 'no other candidate'})"
                  + ("; cross-fitted" if next(r for r in rows if r["aggregator"] == chosen)["cross_fitted"] else ""))
    for r in rows:
        r["chosen"] = r["aggregator"] == chosen
    return AggregateFit(fitted[chosen], reason, rows, warnings, train.n_rows, 0 if dev is None else dev.n_rows,
                        fitted)
