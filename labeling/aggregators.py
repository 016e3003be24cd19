"""Label aggregators: votes of labeling functions -> class probabilities.

Every aggregator is fitted from sufficient statistics (:mod:`vote_patterns`), never
from rows: ``fit(train, dev, cardinality)`` takes the fit splits' pattern counts (or
their moments past the pattern cap) and the dev split's (votes, gold) pattern counts
(or None), and ``predict_proba(L)`` maps any label-matrix rows (patterns included) to
``[n, k]`` probabilities. Rows no LF voted on get the aggregator's prior (uniform for
the votes; the class balance for the models that have one).

- ``majority_vote``: each vote counts 1; ties split evenly (as Snorkel's
  ``MajorityLabelVoter``).
- ``weighted_vote``: each LF's vote weighs ``log((k-1) a / (1-a))``, the log-odds of
  its dev accuracy ``a`` smoothed with ``smoothing`` pseudo-counts (the naive-Bayes
  weight of an LF whose errors are spread evenly); needs a dev split.
- ``dawid_skene``: EM over a class prior and each LF's class-conditional confusion
  (abstain included as an outcome), Dirichlet smoothing, started from majority vote.
- ``label_model``: Snorkel's ``LabelModel`` fitted from the overlap matrix ``O`` (all
  it uses) with better-conditioned defaults than Snorkel's (measured on YouTube spam,
  see the README): the class balance from the dev split's gold labels (add-one
  smoothed) instead of uniform, each LF's precision prior from its smoothed dev
  accuracy instead of 0.7 for all, Adam, and a centred L2 pull (``l2=1``) towards that
  prior. Without a dev split: uniform balance and precision 0.7 (LF vote shares are a
  biased estimate of the class balance: unipolar LFs over-represent the classes they
  detect).

``uses_dev_labels`` says whether a fitted aggregator learned from the dev split's
gold labels; the selection rule then scores it by cross-fitting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

from datalife.labeling.label_model import ABSTAIN  # (lfs.py would import Snorkel)
from datalife.labeling.vote_patterns import Moments, PatternCounts

__all__ = ["AGGREGATORS", "Aggregator", "MajorityVote", "WeightedVote", "DawidSkene", "SnorkelLabelModel",
           "AggregatorUnavailable", "class_votes", "make_aggregator", "expected_accuracy", "argmax_sets",
           "TIE_TOLERANCE"]

TIE_TOLERANCE = 1e-5
Train = Union[PatternCounts, Moments]


class AggregatorUnavailable(ValueError):
    """This aggregator cannot be fitted on these statistics (the message says why)."""


def class_votes(L: np.ndarray, k: int, weights: Optional[np.ndarray] = None) -> np.ndarray:
    """``[n, k]``: (weighted) number of LFs voting each class on each row."""
    L = np.asarray(L)
    n, m = L.shape
    out = np.zeros((n, k))
    w = np.ones(m) if weights is None else np.asarray(weights, float)
    for j in range(m):
        v = L[:, j]
        hit = v != ABSTAIN
        out[np.nonzero(hit)[0], v[hit]] += w[j]
    return out


def argmax_sets(probs: np.ndarray) -> np.ndarray:
    """``[n, k]`` bool: the classes within TIE_TOLERANCE of the row's best."""
    return np.abs(probs - probs.max(axis=1, keepdims=True)) < TIE_TOLERANCE


def expected_accuracy(probs: np.ndarray, gold: np.ndarray, counts: Optional[np.ndarray] = None,
                      mask: Optional[np.ndarray] = None) -> float:
    """Accuracy of the hard labels of ``probs`` with ties broken uniformly at random,
    in expectation (a row tied between t classes, gold among them, scores 1/t); rows
    weighted by ``counts`` (pattern counts); only rows in ``mask``. NaN on no rows."""
    top = argmax_sets(probs)
    gold = np.asarray(gold, np.int64)
    score = top[np.arange(len(gold)), gold] / top.sum(axis=1)
    w = np.ones(len(gold)) if counts is None else np.asarray(counts, float)
    if mask is not None:
        w = w * mask
    return float((score * w).sum() / w.sum()) if w.sum() else float("nan")


@dataclass
class Aggregator:
    """Base: ``fit`` from statistics, ``predict_proba`` on rows, ``describe`` for the report."""

    cardinality: int = 2
    name = "aggregator"
    needs_dev = False
    needs_patterns = False
    needs_train = True

    def fit(self, train: Optional[Train], dev: Optional[PatternCounts]) -> "Aggregator":
        if self.needs_dev and (dev is None or dev.n_rows == 0):
            raise AggregatorUnavailable(f"{self.name} needs a dev split with gold labels")
        if self.needs_patterns and not isinstance(train, PatternCounts):
            raise AggregatorUnavailable(f"{self.name} needs vote patterns and the fit splits went past the "
                                        "pattern cap (only moments were kept)")
        if self.needs_train and (train is None or train.n_rows == 0):
            raise AggregatorUnavailable(f"{self.name}: no rows in the fit splits")
        self._fit(train, dev)
        return self

    def _fit(self, train: Train, dev: Optional[PatternCounts]) -> None:
        pass

    def predict_proba(self, L: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def uses_dev_labels(self, dev: Optional[PatternCounts]) -> bool:
        return False

    def lf_weights(self) -> Optional[np.ndarray]:
        """What each LF's vote weighs (for the LF table); None when not meaningful."""
        return None

    def lf_accuracies(self) -> Optional[np.ndarray]:
        """Each LF's accuracy when it votes, as the model estimates it (no gold used)."""
        return None

    def describe(self) -> dict:
        return {"name": self.name}


@dataclass
class MajorityVote(Aggregator):
    name = "majority_vote"

    def predict_proba(self, L):
        votes = class_votes(L, self.cardinality)
        top = argmax_sets(votes)
        return top / top.sum(axis=1, keepdims=True)

    def lf_weights(self):
        return None


@dataclass
class WeightedVote(Aggregator):
    smoothing: float = 1.0  # pseudo-counts of right and wrong votes added to each LF's dev record
    name = "weighted_vote"
    needs_dev = True
    needs_train = False  # weights come from the dev split alone
    weights: np.ndarray = field(default=None, repr=False)
    dev_accuracy: np.ndarray = field(default=None, repr=False)  # NaN for an LF that never voted on dev
    smoothed_accuracy: np.ndarray = field(default=None, repr=False)

    def uses_dev_labels(self, dev):
        return True

    def _fit(self, train, dev):
        k, P = self.cardinality, dev.patterns
        voted = P != ABSTAIN
        right = (P == dev.gold[:, None]) & voted
        n_votes = (voted * dev.counts[:, None]).sum(axis=0)
        n_right = (right * dev.counts[:, None]).sum(axis=0)
        a = (n_right + self.smoothing) / (n_votes + 2 * self.smoothing)
        self.dev_accuracy = np.where(n_votes > 0, n_right / np.maximum(n_votes, 1), np.nan)
        self.smoothed_accuracy = a
        self.weights = np.log((k - 1) * a / (1 - a))

    def predict_proba(self, L):
        score = class_votes(L, self.cardinality, self.weights)
        score -= score.max(axis=1, keepdims=True)
        e = np.exp(score)
        return e / e.sum(axis=1, keepdims=True)

    def lf_weights(self):
        return self.weights

    def describe(self):
        return {"name": self.name, "smoothing": self.smoothing}


@dataclass
class DawidSkene(Aggregator):
    smoothing: float = 1.0  # Dirichlet pseudo-count on every confusion cell and the prior
    model_abstain: bool = True  # abstaining is an outcome that depends on the class (one-class LFs need it)
    max_iter: int = 200
    tol: float = 1e-7
    name = "dawid_skene"
    needs_patterns = True
    prior: np.ndarray = field(default=None, repr=False)  # [k]
    confusion: np.ndarray = field(default=None, repr=False)  # [m, k true, k+1 outcomes]; outcome 0 = abstain
    n_iter: int = 0

    def _log_posterior(self, L):
        L = np.asarray(L, np.int64) + 1  # outcome index: 0 = abstain
        logc = np.log(self.confusion)  # [m, k, k+1]
        if not self.model_abstain:
            logc[:, :, 0] = 0.0  # an abstain says nothing about the class
        lp = np.tile(np.log(self.prior), (len(L), 1))
        for j in range(L.shape[1]):
            lp += logc[j][:, L[:, j]].T
        return lp

    def _posterior(self, L):
        lp = self._log_posterior(L)
        lp -= lp.max(axis=1, keepdims=True)
        q = np.exp(lp)
        return q / q.sum(axis=1, keepdims=True)

    def _m_step(self, outcomes, counts, q):
        k, m = self.cardinality, outcomes.shape[1]
        wq = q * counts[:, None]  # [P, k]
        self.prior = (wq.sum(axis=0) + self.smoothing) / (wq.sum() + k * self.smoothing)
        conf = np.full((m, k, k + 1), self.smoothing, float)
        for j in range(m):
            for v in range(k + 1):
                hit = outcomes[:, j] == v
                if hit.any():
                    conf[j, :, v] += wq[hit].sum(axis=0)
        self.confusion = conf / conf.sum(axis=2, keepdims=True)

    def _fit(self, train, dev):
        outcomes = train.patterns.astype(np.int64) + 1
        counts = train.counts.astype(float)
        q = MajorityVote(self.cardinality).predict_proba(train.patterns)
        self._m_step(outcomes, counts, q)
        for it in range(1, self.max_iter + 1):
            q = self._posterior(train.patterns)
            old = self.confusion
            self._m_step(outcomes, counts, q)
            self.n_iter = it
            if np.abs(self.confusion - old).max() < self.tol:
                break

    def predict_proba(self, L):
        return self._posterior(L)

    def lf_accuracies(self):
        k = self.cardinality
        right = np.array([[self.confusion[j, y, y + 1] for y in range(k)] for j in range(len(self.confusion))])
        voting = 1 - self.confusion[:, :, 0]
        return (right * self.prior).sum(axis=1) / (voting * self.prior).sum(axis=1)

    def lf_weights(self):
        return self.lf_accuracies()

    def describe(self):
        return {"name": self.name, "smoothing": self.smoothing, "iterations": self.n_iter,
                "class_balance": [float(p) for p in self.prior]}


def _stats_label_model_class():
    """Snorkel's LabelModel, fitted from an overlap matrix instead of rows (built
    lazily: importing Snorkel's model pulls in torch)."""
    import torch
    from snorkel.labeling.model import LabelModel

    class StatsLabelModel(LabelModel):
        """``fit_stats(overlap, n_rows, ...)``: the same optimisation as ``fit(L)``.
        Snorkel's fit reads L only to get its shape, ``O = onehot(L).T @ onehot(L) / n``
        and LF coverages for display; here ``O`` comes from the statistics (integer
        counts in float64, so bitwise the same) and a one-row stub stands in for L."""

        def fit_stats(self, overlap: np.ndarray, n_rows: int, **kwargs) -> None:
            m = overlap.shape[0] // self.cardinality
            self._stats = (np.asarray(overlap, float), int(n_rows))
            threads = torch.get_num_threads()
            torch.set_num_threads(1)  # a [m*k, m*k] problem: threads only add contention (25x slower here)
            try:
                self.fit(np.full((1, m), ABSTAIN, dtype=np.int64), progress_bar=False, **kwargs)
            finally:
                self._stats = None  # predict_proba then works on rows as in Snorkel
                torch.set_num_threads(threads)
            # what LFAnalysis(L).lf_coverages() gives on the rows (get_weights divides by it)
            self.coverage = np.diag(overlap).reshape(m, self.cardinality).sum(axis=1) / n_rows

        def _set_constants(self, L):
            super()._set_constants(L)
            if getattr(self, "_stats", None) is not None:
                self.n = self._stats[1]

        def _generate_O(self, L, higher_order=False):
            if getattr(self, "_stats", None) is None:
                return super()._generate_O(L, higher_order)
            n = self.n
            self.n = L.shape[0]  # the stub: only builds Snorkel's clique index (c_data)
            self._get_augmented_label_matrix(L, higher_order=higher_order)
            self.n = n
            self.d = self.m * self.cardinality
            self.O = torch.from_numpy(self._stats[0] / self.n).float().to(self.config.device)

    return StatsLabelModel


@dataclass
class SnorkelLabelModel(Aggregator):
    epochs: int = 100  # with Adam and l2=1 converged by 100 on every LF set tested (within 0.001 of 2,000)
    lr: float = 0.01
    l2: float = 1.0  # Snorkel's centred L2: pulls the fit towards the precision prior
    optimizer: str = "adam"
    prec_init: Union[float, str] = "auto"  # LF precision prior: "auto" = smoothed dev accuracy, else 0.7
    class_balance: Union[str, tuple, None] = "auto"  # "auto" = dev gold shares, else uniform | "uniform" | shares
    seed: int = 0
    name = "label_model"
    model: object = field(default=None, repr=False)
    balance_used: tuple = ()
    balance_source: str = ""
    prec_used: list = field(default_factory=list)

    def _balance(self, train, dev) -> tuple[np.ndarray, str]:
        k = self.cardinality
        if isinstance(self.class_balance, (tuple, list, np.ndarray)):
            p = np.asarray(self.class_balance, float)
            if len(p) != k or abs(p.sum() - 1) > 1e-6 or (p <= 0).any():
                raise ValueError(f"class_balance must be {k} positive shares summing to 1, got {list(p)}")
            return p, "given"
        if self.class_balance == "auto" and dev is not None and dev.n_rows:
            c = np.bincount(dev.gold.astype(np.int64), weights=dev.counts, minlength=k)
            return (c + 1) / (c.sum() + k), "dev gold labels (add-one smoothed)"
        if self.class_balance in (None, "uniform", "auto"):
            return np.full(k, 1 / k), "uniform"
        raise ValueError(f"class_balance must be 'auto', 'uniform' or {k} shares, got {self.class_balance!r}")

    def uses_dev_labels(self, dev):
        has_dev = dev is not None and dev.n_rows > 0
        return has_dev and (self.class_balance == "auto" or self.prec_init == "auto")

    def _fit(self, train, dev):
        from datalife.labeling.vote_patterns import moments_of

        m = train.n_lfs if isinstance(train, Moments) else train.patterns.shape[1]
        if m < 3:
            raise AggregatorUnavailable(f"Snorkel's LabelModel needs at least 3 labeling functions, got {m}")
        moments = train if isinstance(train, Moments) else moments_of(train, self.cardinality)
        p, self.balance_source = self._balance(train, dev)
        self.balance_used = tuple(float(x) for x in p)
        prec = self.prec_init
        if prec == "auto":
            prec = (WeightedVote(self.cardinality).fit(train, dev).smoothed_accuracy if dev is not None and dev.n_rows
                    else 0.7)
        self.prec_used = [float(x) for x in np.broadcast_to(np.asarray(prec, float), (m,))]
        self.model = _stats_label_model_class()(cardinality=self.cardinality, verbose=False)
        self.model.fit_stats(moments.overlap, moments.n_rows, n_epochs=self.epochs, lr=self.lr, l2=self.l2,
                             optimizer=self.optimizer, prec_init=prec, seed=self.seed, class_balance=list(p))

    def predict_proba(self, L):
        return self.model.predict_proba(np.asarray(L, np.int64))

    def lf_accuracies(self):
        return np.asarray(self.model.get_weights())

    def lf_weights(self):
        return self.lf_accuracies()

    def describe(self):
        return {"name": self.name, "epochs": self.epochs, "lr": self.lr, "l2": self.l2, "optimizer": self.optimizer,
                "seed": self.seed, "class_balance": list(self.balance_used), "class_balance_from": self.balance_source,
                "prec_init": self.prec_used}


AGGREGATORS = {"majority_vote": MajorityVote, "weighted_vote": WeightedVote, "dawid_skene": DawidSkene,
               "label_model": SnorkelLabelModel}


def make_aggregator(name: str, cardinality: int, **options) -> Aggregator:
    if name not in AGGREGATORS:
        raise ValueError(f"unknown aggregator {name!r}; choose one of {sorted(AGGREGATORS)}")
    return AGGREGATORS[name](cardinality=cardinality, **options)
