"""Fit Snorkel's LabelModel on a label matrix and analyse the labeling functions.

``fit_label_model`` sorts nothing itself: callers pass rows in a canonical order
(the weak labeler sorts by example key), so the same seed gives the same model
whatever the Beam parallelism was.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from snorkel.labeling import LFAnalysis
from snorkel.labeling.model import LabelModel, MajorityLabelVoter

from datalife.labeling.lfs import ABSTAIN

__all__ = ["LabelModelSpec", "fit_label_model", "lf_table", "accuracy", "majority_vote", "probs_to_labels"]

TIE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class LabelModelSpec:
    cardinality: int = 2
    epochs: int = 500
    lr: float = 0.01
    l2: float = 0.0
    class_balance: Optional[tuple[float, ...]] = None
    tie_break: str = "random"  # Snorkel's tie_break_policy: abstain | random
    seed: int = 42


def fit_label_model(L: np.ndarray, spec: LabelModelSpec) -> LabelModel:
    if L.ndim != 2 or L.shape[0] == 0:
        raise ValueError(f"the label matrix to fit is empty or not 2-D: shape {L.shape}")
    if L.shape[1] < 3:
        raise ValueError(f"Snorkel's LabelModel needs at least 3 labeling functions, got {L.shape[1]}")
    if L.max(initial=ABSTAIN) >= spec.cardinality:
        raise ValueError(f"a labeling function voted {int(L.max())}, outside 0..{spec.cardinality - 1} "
                         f"(cardinality {spec.cardinality})")
    model = LabelModel(cardinality=spec.cardinality, verbose=False)
    model.fit(L, n_epochs=spec.epochs, lr=spec.lr, l2=spec.l2, seed=spec.seed, progress_bar=False,
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
