"""The state one selection works on: features, partial labels, keys, the seeded key
order, the class vocabulary and (fitted on demand, once) the classifier's
probabilities for the unlabeled rows; and ``Picks``, what a strategy returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

import numpy as np

from datalife.labeling.active.classifier import (DEFAULT_CLASSIFIER, SelectionError, make_classifier,
                                                 predict_proba_aligned)
from datalife.labeling.active.order import hash_order, key_hashes

__all__ = ["Pool", "Picks"]


@dataclass
class Pool:
    """``X`` (n, d) features of every usable row; ``y`` (n,) class ids, -1 = unlabeled;
    ``keys`` (n,) example keys; ``classes`` the vocabulary (``y`` indexes it)."""

    X: np.ndarray
    y: np.ndarray
    keys: np.ndarray
    classes: tuple
    seed: int = 0
    classifier: str = DEFAULT_CLASSIFIER
    classifier_params: Optional[dict] = None
    hashes: Optional[np.ndarray] = None

    def __post_init__(self):
        if self.hashes is None:
            self.hashes = key_hashes(self.keys, self.seed)

    @cached_property
    def labeled(self) -> np.ndarray:
        return np.flatnonzero(self.y >= 0)

    @cached_property
    def unlabeled(self) -> np.ndarray:
        """Unlabeled rows in the seeded key order (the order every walk uses)."""
        rows = np.flatnonzero(self.y < 0)
        return rows[hash_order(self.hashes[rows])]

    @cached_property
    def order(self) -> np.ndarray:
        """All rows in the seeded key order."""
        return hash_order(self.hashes)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @cached_property
    def labeled_classes(self) -> np.ndarray:
        return np.unique(self.y[self.labeled])

    def rank_of(self, rows: np.ndarray) -> np.ndarray:
        """Tie-break key for ``rows``: their hash (smaller first)."""
        return self.hashes[rows]

    def require_model(self, strategy: str) -> None:
        if len(self.labeled_classes) < 2:
            have = ", ".join(repr(self.classes[c]) for c in self.labeled_classes) or "none"
            raise SelectionError(
                f"strategy {strategy!r} trains a classifier and needs labeled examples of at least two "
                f"classes; the labels cover {len(self.labeled_classes)} ({have}). Label a few examples of "
                f"other classes first, or use a diversity strategy ('typiclust', 'kmeans', 'hybrid', 'random').")

    def fit(self, rows: Optional[np.ndarray] = None, y: Optional[np.ndarray] = None, seed: Optional[int] = None):
        """A classifier fitted on ``rows`` (default: every labeled row) in key order."""
        rows = self.labeled if rows is None else rows
        est = make_classifier(self.classifier, self.classifier_params, self.seed if seed is None else seed)
        try:
            est.fit(self.X[rows], self.y[rows] if y is None else y)
        except ValueError as exc:
            raise SelectionError(f"classifier {self.classifier}: fit on {len(rows)} labeled rows failed: {exc}") \
                from None
        return est

    @cached_property
    def model(self):
        rows = self.labeled[hash_order(self.hashes[self.labeled])]
        return self.fit(rows)

    @cached_property
    def proba(self) -> np.ndarray:
        """(len(unlabeled), n_classes) probabilities of the unlabeled rows, in ``unlabeled`` order."""
        return predict_proba_aligned(self.model, self.X[self.unlabeled], self.n_classes)


@dataclass
class Picks:
    """Selected rows (indices into the pool) with one score, one reason and one group
    (cluster / region id, -1 if none) each; ``info`` holds counts for the summary."""

    rows: list = field(default_factory=list)
    scores: list = field(default_factory=list)
    reasons: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    info: dict = field(default_factory=dict)

    def add(self, row: int, score: float, reason: str, group: int = -1) -> None:
        self.rows.append(int(row))
        self.scores.append(float(score))
        self.reasons.append(reason)
        self.groups.append(int(group))
