"""The end model: a discriminative classifier trained on the probabilistic labels.

The aggregate labels only the examples some LF voted on, and only from the votes.
The end model learns from the examples' own features (text: TF-IDF word and
character n-grams, or hashed n-grams; numeric columns as they are, standardised),
so it labels every example, covered or not, and generalises past the LFs' rules.

Training (``fit_end_model``) is a noise-aware logistic regression: every training
example appears once per class with sample weight = its probability for that class,
which minimises the expected cross-entropy under the soft labels. By default the
examples no LF voted on are left out (their probabilities carry no information).
Everything is deterministic: the vectorisers are deterministic and the solver
(lbfgs) has no randomness; ``seed`` is passed on for the solvers that do.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Optional, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["EndModelSpec", "EndModel", "EndModelUnavailable", "fit_end_model", "fit_end_model_on_dev",
           "features_of"]


@dataclass(frozen=True)
class EndModelSpec:
    text_fields: tuple[str, ...] = ()
    numeric_fields: tuple[str, ...] = ()
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)  # within word boundaries (char_wb); (0, 0) = none
    hashed: bool = False  # HashingVectorizer (no vocabulary to fit) instead of TF-IDF
    n_features: int = 2 ** 20  # per hashed vectoriser
    min_df: int = 1
    C: float = 10.0  # without a dev split (or with C_grid empty)
    C_grid: tuple[float, ...] = (1.0, 3.0, 10.0)  # with a dev split: C chosen on dev (ties: the smallest)
    max_iter: int = 2000
    train_rows: str = "auto"  # "covered": rows some LF voted on; "all"; "auto": chosen on dev (else covered)
    labels_from: str = "auto"  # "chosen" aggregator, an aggregator's name, or "auto": each fitted one, chosen on dev
    soft_labels: bool = False  # True: one copy per class weighted by its probability (needs calibrated probs)
    confidence_weights: bool = True  # hard labels weighted by their probability (else 1)
    max_train_rows: Optional[int] = None  # cap (the caller picks which rows, e.g. by key hash)
    seed: int = 0

    def __post_init__(self):
        if not self.text_fields and not self.numeric_fields:
            raise ValueError("the end model needs features: give text_fields and/or numeric_fields")
        if self.train_rows not in ("covered", "all", "auto"):
            raise ValueError(f"train_rows must be 'covered', 'all' or 'auto', got {self.train_rows!r}")
        if any(not c > 0 for c in self.C_grid) or not self.C > 0:
            raise ValueError(f"C and C_grid must be > 0, got C={self.C}, C_grid={self.C_grid}")


def _text(values: Sequence) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]


@dataclass
class _Featurizer:
    spec: EndModelSpec
    vectorizers: dict = field(default_factory=dict)  # (field, kind) -> fitted vectoriser
    mean: Optional[np.ndarray] = None
    scale: Optional[np.ndarray] = None

    def _make(self, kind: str):
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer

        s = self.spec
        args = dict(ngram_range=s.word_ngrams, lowercase=True) if kind == "word" else \
            dict(analyzer="char_wb", ngram_range=s.char_ngrams, lowercase=True)
        if s.hashed:
            return HashingVectorizer(n_features=s.n_features, alternate_sign=False, norm="l2", **args)
        return TfidfVectorizer(sublinear_tf=True, min_df=s.min_df, dtype=np.float64, **args)

    def _kinds(self):
        return ["word"] + (["char"] if self.spec.char_ngrams[1] > 0 else [])

    def fit(self, columns: Mapping[str, Sequence]) -> "_Featurizer":
        for f in self.spec.text_fields:
            for kind in self._kinds():
                v = self._make(kind)
                self.vectorizers[(f, kind)] = v if self.spec.hashed else v.fit(_text(columns[f]))
        if self.spec.numeric_fields:
            X = self._numeric(columns)
            self.mean = np.nanmean(X, axis=0)
            self.scale = np.nanstd(X, axis=0)
            self.scale[~(self.scale > 0)] = 1.0
            self.mean[np.isnan(self.mean)] = 0.0
        return self

    def _numeric(self, columns) -> np.ndarray:
        out = []
        for f in self.spec.numeric_fields:
            col = np.array([np.nan if v is None else float(v) for v in columns[f]], dtype=np.float64)
            out.append(col)
        return np.column_stack(out)

    def transform(self, columns: Mapping[str, Sequence]) -> sp.csr_matrix:
        parts = []
        for f in self.spec.text_fields:
            for kind in self._kinds():
                parts.append(self.vectorizers[(f, kind)].transform(_text(columns[f])))
        if self.spec.numeric_fields:
            X = (self._numeric(columns) - self.mean) / self.scale
            parts.append(sp.csr_matrix(np.nan_to_num(X, nan=0.0)))  # missing -> the mean
        return sp.hstack(parts, format="csr")


def features_of(columns: Mapping[str, Sequence], spec: EndModelSpec) -> sp.csr_matrix:
    """The end model's features of a batch, fitted on that batch (for inspection)."""
    return _Featurizer(spec).fit(columns).transform(columns)


@dataclass
class EndModel:
    spec: EndModelSpec
    featurizer: _Featurizer
    classifier: object
    cardinality: int
    n_train: int
    source: str = ""  # the aggregator whose labels it was trained on

    def predict_proba(self, columns: Mapping[str, Sequence]) -> np.ndarray:
        X = self.featurizer.transform(columns)
        p = self.classifier.predict_proba(X)
        out = np.zeros((X.shape[0], self.cardinality))
        out[:, self.classifier.classes_] = p  # a class never trained on gets probability 0
        return out

    def describe(self) -> dict:
        s = self.spec
        return {"classifier": "LogisticRegression", "C": s.C, "text_fields": list(s.text_fields),
                "numeric_fields": list(s.numeric_fields), "word_ngrams": list(s.word_ngrams),
                "char_ngrams": list(s.char_ngrams), "hashed": s.hashed, "soft_labels": s.soft_labels,
                "train_rows": s.train_rows, "labels_from": self.source or s.labels_from, "n_train": self.n_train, "seed": s.seed}


class EndModelUnavailable(ValueError):
    """The end model cannot be trained on these labels (the message says why)."""


def _training_set(X, P, spec: EndModelSpec):
    k = P.shape[1]
    if spec.soft_labels:
        ys = np.repeat(np.arange(k)[None, :], P.shape[0], axis=0).ravel()
        Xs = X[np.repeat(np.arange(P.shape[0]), k)]
        w = P.ravel()
        keep = w > 1e-6
        return Xs[keep], ys[keep], w[keep]
    top = np.abs(P - P.max(axis=1, keepdims=True)) < 1e-5
    clear = top.sum(axis=1) == 1  # a tied row says nothing about its class
    w = P[clear].max(axis=1) if spec.confidence_weights else np.ones(int(clear.sum()))
    return X[clear], P[clear].argmax(axis=1), w


def _rows(covered, train_rows: str, cap) -> np.ndarray:
    rows = np.nonzero(covered)[0] if train_rows == "covered" else np.arange(len(covered))
    return rows if cap is None else rows[:cap]


def _fit_one(featurizer, X_all, probs, covered, spec: EndModelSpec, train_rows: str, C: float) -> EndModel:
    from sklearn.linear_model import LogisticRegression

    rows = _rows(covered, train_rows, spec.max_train_rows)
    if len(rows) == 0:
        raise EndModelUnavailable("the end model has no training rows (no row has an LF vote)")
    Xs, ys, w = _training_set(X_all[rows], np.asarray(probs, float)[rows], spec)
    if len(ys) == 0 or len(np.unique(ys)) < 2:
        what = f"all class {int(ys[0])}" if len(ys) else "all ties"
        raise EndModelUnavailable(f"the end model needs labels of at least 2 classes; the training labels are {what}")
    clf = LogisticRegression(C=C, max_iter=spec.max_iter, random_state=spec.seed)
    clf.fit(Xs, ys, sample_weight=w)
    used = replace(spec, C=C, train_rows=train_rows)
    return EndModel(used, featurizer, clf, probs.shape[1], len(rows))


def _check_fields(columns, spec):
    missing = [f for f in spec.text_fields + spec.numeric_fields if f not in columns]
    if missing:
        raise KeyError(f"end model feature field(s) {missing} not in the examples: {sorted(columns)}")


def fit_end_model(columns: Mapping[str, Sequence], probs: np.ndarray, covered: np.ndarray,
                  spec: EndModelSpec) -> EndModel:
    """Train on the rows of ``columns`` (``{field: values}``) with their aggregate
    probabilities ``probs`` ([n, k]); ``covered`` marks the rows some LF voted on.
    No dev split: ``train_rows: auto`` means covered, C is ``spec.C``."""
    _check_fields(columns, spec)
    covered = np.asarray(covered, bool)
    rows = _rows(covered, "covered" if spec.train_rows == "auto" else spec.train_rows, spec.max_train_rows)
    fields = spec.text_fields + spec.numeric_fields
    featurizer = _Featurizer(spec).fit({f: [columns[f][i] for i in rows] for f in fields})
    X = featurizer.transform(columns)
    return _fit_one(featurizer, X, np.asarray(probs, float), covered,
                    spec, "covered" if spec.train_rows == "auto" else spec.train_rows, spec.C)


def fit_end_model_on_dev(columns: Mapping[str, Sequence], probs_by_source: Mapping[str, np.ndarray],
                         covered: np.ndarray, spec: EndModelSpec, dev_columns: Mapping[str, Sequence],
                         dev_gold: np.ndarray, chosen: str) -> tuple[EndModel, list]:
    """The end model chosen on the dev rows (never trained on them) among: the labels of
    each aggregator in ``probs_by_source`` (``labels_from: auto``; else the one named, or
    ``chosen``), ``train_rows`` covered / all (``auto``) and C in ``C_grid``. Highest dev
    accuracy wins; ties go to the chosen aggregator, then covered rows, then the smallest
    C (the most regularised). The vectorisers are fitted once, on all training rows.
    Returns the model and one row per candidate (source, train_rows, C, dev_accuracy, chosen)."""
    from datalife.labeling.aggregators import expected_accuracy

    _check_fields(columns, spec)
    _check_fields(dev_columns, spec)
    covered = np.asarray(covered, bool)
    want = chosen if spec.labels_from in ("auto", "chosen") else spec.labels_from
    if want not in probs_by_source:
        raise ValueError(f"end_model labels_from {spec.labels_from!r}: no fitted aggregator of that name "
                         f"(fitted: {sorted(probs_by_source)})")
    sources = [want] + ([s for s in probs_by_source if s != want] if spec.labels_from == "auto" else [])
    rows_options = ["covered", "all"] if spec.train_rows == "auto" else [spec.train_rows]
    Cs = sorted(spec.C_grid) if spec.C_grid else [spec.C]
    fields = spec.text_fields + spec.numeric_fields
    fit_rows = np.arange(len(covered)) if "all" in rows_options else np.nonzero(covered)[0]
    fit_rows = fit_rows if spec.max_train_rows is None else fit_rows[: spec.max_train_rows]
    featurizer = _Featurizer(spec).fit({f: [columns[f][i] for i in fit_rows] for f in fields})
    X = featurizer.transform(columns)
    gold = np.asarray(dev_gold)
    best, table, errors = None, [], []
    for source in sources:
        for train_rows in rows_options:
            for C in Cs:
                try:
                    m = _fit_one(featurizer, X, np.asarray(probs_by_source[source], float), covered, spec,
                                 train_rows, C)
                except EndModelUnavailable as exc:
                    errors.append(str(exc))
                    continue
                m.source = source
                acc = expected_accuracy(m.predict_proba(dev_columns), gold) if len(gold) else float("nan")
                table.append({"labels_from": source, "train_rows": train_rows, "C": C, "dev_accuracy": acc,
                              "n_train": m.n_train, "chosen": False})
                if best is None or acc > best[0] + 1e-12:
                    best = (acc, m, len(table) - 1)
    if best is None:
        raise EndModelUnavailable(errors[0] if errors else "no end model could be trained")
    table[best[2]]["chosen"] = True
    return best[1], table
