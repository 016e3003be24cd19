"""Fit Snorkel's LabelModel on a label matrix and analyse the labeling functions.

``fit_label_model`` sorts nothing itself: callers pass rows in a canonical order
(the weak labeler sorts by example key), so the same seed gives the same model
whatever the Beam parallelism was.
"""
from __future__ import annotations

import hashlib
from typing import Literal, Optional, Sequence

import numpy as np
from pydantic import Field, model_validator

from datalife.common.strict import FrozenModel, seed_or_default

__all__ = ["LabelModelSpec", "fit_label_model", "lf_table", "accuracy", "majority_vote", "probs_to_labels"]

TIE_TOLERANCE = 1e-5
ABSTAIN = -1  # Snorkel's abstain vote, as labeling.lfs.ABSTAIN (not imported: lfs imports Snorkel)


class LabelModelSpec(FrozenModel):
    """Snorkel's LabelModel and how its probabilities become labels, declared once: the
    weak labeler's config embeds it as ``label_model`` and the report shows it as it is.
    ``seed`` None means the pipeline's seed (:data:`~datalife.common.strict.DEFAULT_SEED`
    outside a pipeline). ``epochs``, ``lr``, ``l2`` None: the weak labeler's label-model
    candidate keeps its own defaults (``aggregators.SnorkelLabelModel``); the whole-matrix
    ``fit_label_model`` uses Snorkel's (500, 0.01, 0)."""

    cardinality: int = Field(2, ge=2)
    epochs: Optional[int] = Field(None, ge=1)
    lr: Optional[float] = Field(None, gt=0)
    l2: Optional[float] = Field(None, ge=0)
    class_balance: Optional[tuple[float, ...]] = None
    tie_break: Literal["abstain", "random"] = "random"  # Snorkel's tie_break_policy, per example key
    seed: Optional[int] = None

    @model_validator(mode="after")
    def _balance(self):
        if self.class_balance is not None:
            if len(self.class_balance) != self.cardinality or abs(sum(self.class_balance) - 1) > 1e-6:
                raise ValueError(f"class_balance must have {self.cardinality} shares summing to 1, "
                                 f"got {list(self.class_balance)}")
        return self


def fit_label_model(L: np.ndarray, spec: LabelModelSpec) -> "LabelModel":  # noqa: F821 (snorkel.labeling.model.LabelModel)
    from snorkel.labeling.model import LabelModel  # Snorkel (and torch) only when fitting: `datalife check` stays fast

    if L.ndim != 2 or L.shape[0] == 0:
        raise ValueError(f"the label matrix to fit is empty or not 2-D: shape {L.shape}")
    if L.shape[1] < 3:
        raise ValueError(f"Snorkel's LabelModel needs at least 3 labeling functions, got {L.shape[1]}")
    if L.max(initial=ABSTAIN) >= spec.cardinality:
        raise ValueError(f"a labeling function voted {int(L.max())}, outside 0..{spec.cardinality - 1} "
                         f"(cardinality {spec.cardinality})")
    model = LabelModel(cardinality=spec.cardinality, verbose=False)
    model.fit(L, n_epochs=500 if spec.epochs is None else spec.epochs, lr=0.01 if spec.lr is None else spec.lr,
              l2=0.0 if spec.l2 is None else spec.l2, seed=seed_or_default(spec.seed), progress_bar=False,
              class_balance=list(spec.class_balance) if spec.class_balance else None)
    return model


def _key_hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def probs_to_labels(probs: np.ndarray, keys: Sequence[str], tie_break: str) -> np.ndarray:
    """Hard labels from class probabilities. Ties (within 1e-5) are broken per example:
    ``abstain`` gives -1; ``random`` picks among the tied classes by a hash of the
    example's key. (Snorkel's own "random" hashes the row's *position*, so a row's label
    would change with the rows around it; a key makes it a property of the example.)"""
    top = probs.max(axis=1, keepdims=True)
    tied = np.abs(probs - top) < TIE_TOLERANCE
    labels = probs.argmax(axis=1).astype(np.int64)
    for i in np.nonzero(tied.sum(axis=1) > 1)[0]:
        options = np.nonzero(tied[i])[0]
        labels[i] = ABSTAIN if tie_break == "abstain" else options[_key_hash(keys[i]) % len(options)]
    return labels


def majority_vote(L: np.ndarray, spec: LabelModelSpec, keys: Sequence[str]) -> np.ndarray:
    from snorkel.labeling.model import MajorityLabelVoter

    probs = MajorityLabelVoter(cardinality=spec.cardinality, verbose=False).predict_proba(L)
    return probs_to_labels(probs, keys, spec.tie_break)


def accuracy(pred: np.ndarray, gold: np.ndarray) -> float:
    """Share of rows predicted right; an abstained prediction (-1) counts as wrong."""
    gold = np.asarray(gold)
    return float((np.asarray(pred) == gold).mean()) if len(gold) else float("nan")


def lf_table(L: np.ndarray, names: Sequence[str], Y: Optional[np.ndarray] = None,
             weights: Optional[np.ndarray] = None) -> list[dict]:
    """Per LF: polarity, coverage, overlaps, conflicts (Snorkel's LFAnalysis), and with
    gold labels ``Y`` its empirical accuracy; with ``weights`` the label model's weight."""
    from snorkel.labeling import LFAnalysis

    analysis = LFAnalysis(L)
    polarity = analysis.lf_polarities()
    cover, overlap, conflict = analysis.lf_coverages(), analysis.lf_overlaps(), analysis.lf_conflicts()
    acc = analysis.lf_empirical_accuracies(Y) if Y is not None and len(Y) else None
    rows = []
    for j, name in enumerate(names):
        row = {"name": name, "polarity": [int(p) for p in polarity[j]], "coverage": float(cover[j]),
               "overlaps": float(overlap[j]), "conflicts": float(conflict[j])}
        if acc is not None:
            row["empirical_accuracy"] = None if np.isnan(acc[j]) else float(acc[j])
        if weights is not None:
            row["learned_weight"] = float(weights[j])
        rows.append(row)
    return rows
