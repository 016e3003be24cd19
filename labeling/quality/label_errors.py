"""Likely label errors in classification labels (gold, weak or merged), found with
cleanlab's ``find_label_issues`` (confident learning) from out-of-sample predicted
probabilities.

The probabilities come from stratified k-fold cross-validation of a simple model
(logistic regression) on the examples' features: TF-IDF of a text field, or a numeric
matrix (features, embeddings). Rows are put in key order first, so the folds, and the
result, depend only on the data and the seed, never on the order rows arrived in.
"""
from __future__ import annotations

from typing import Literal, Optional, Sequence

import numpy as np
import pandas as pd
from pydantic import Field

from datalife.common.strict import FrozenModel, seed_or_default

__all__ = ["LabelErrorSpec", "out_of_sample_probs", "find_label_errors", "FEATURES"]

FEATURES = ("tfidf", "numeric")


class LabelErrorSpec(FrozenModel):
    """The out-of-sample model and cleanlab's settings, declared once (the label_quality
    component embeds it as ``model``). ``seed`` None: the pipeline's seed
    (:data:`~datalife.common.strict.DEFAULT_SEED` outside a pipeline)."""

    features: Literal["tfidf", "numeric"] = "tfidf"  # tfidf: inputs are texts; numeric: an (n, d) matrix
    folds: int = Field(5, ge=2)
    seed: Optional[int] = None
    C: float = Field(1.0, gt=0)  # inverse regularization of the logistic regression
    ngram_max: int = Field(2, ge=1)  # tfidf: word n-grams up to this length
    filter_by: Literal["prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
                       "predicted_neq_given", "low_normalized_margin", "low_self_confidence"] = "prune_by_noise_rate"
    rank_by: Literal["self_confidence", "normalized_margin", "confidence_weighted_entropy"] = "self_confidence"


def _model(spec: LabelErrorSpec):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = LogisticRegression(C=spec.C, max_iter=2000)
    if spec.features == "tfidf":
        return make_pipeline(TfidfVectorizer(sublinear_tf=True, ngram_range=(1, spec.ngram_max)), clf)
    return make_pipeline(StandardScaler(), clf)


def out_of_sample_probs(inputs, labels: np.ndarray, spec: LabelErrorSpec, n_classes: int) -> np.ndarray:
    """(n, n_classes) probabilities, each row predicted by a model that never saw it."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    labels = np.asarray(labels, dtype=np.int64)
    present = np.bincount(labels, minlength=n_classes)
    few = {c: int(n) for c, n in enumerate(present) if 0 < n < spec.folds}
    if few:
        raise ValueError(f"classes {few} have fewer examples than folds ({spec.folds}): lower folds or relabel")
    if (present > 0).sum() < 2:
        raise ValueError("label errors need at least two classes among the labels")
    cv = StratifiedKFold(n_splits=spec.folds, shuffle=True, random_state=seed_or_default(spec.seed))
    probs = cross_val_predict(_model(spec), inputs, labels, cv=cv, method="predict_proba")
    out = np.zeros((len(labels), n_classes))
    out[:, np.flatnonzero(present)] = probs  # classes absent from the labels get probability 0
    return out


def find_label_errors(inputs, labels: Sequence[int], keys: Optional[Sequence[str]] = None,
                      classes: Optional[Sequence[str]] = None, spec: LabelErrorSpec = LabelErrorSpec(),
                      abstain: int = -1) -> pd.DataFrame:
    """Ranked DataFrame: ``rank, key, given_label, suggested_label, score, is_issue,
    p_given, p_suggested``; likely errors (``is_issue``) first in cleanlab's ranking,
    then the others by ascending ``score`` (cleanlab's label quality: low = suspect).
    Rows labelled ``abstain`` are left out (``df.attrs["excluded"]`` counts them)."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    y = np.asarray(labels, dtype=np.int64).reshape(-1)
    keys = [str(i) for i in range(len(y))] if keys is None else [str(k) for k in keys]
    if len(keys) != len(y) or len(inputs) != len(y):
        raise ValueError(f"{len(inputs)} inputs, {len(y)} labels and {len(keys)} keys")
    if len(set(keys)) != len(keys):
        raise ValueError("keys must be unique")
    n_classes = len(classes) if classes is not None else int(y.max()) + 1
    bad = sorted(set(y[(y != abstain) & ((y < 0) | (y >= n_classes))].tolist()))
    if bad:
        raise ValueError(f"labels {bad} are outside the {n_classes} classes (abstain = {abstain})")
    classes = list(classes) if classes is not None else [str(c) for c in range(n_classes)]
    rated = np.flatnonzero(y != abstain)
    order = np.array(sorted(rated.tolist(), key=lambda i: keys[i]), dtype=int)
    X = [inputs[i] for i in order] if spec.features == "tfidf" else np.asarray(inputs, dtype=np.float64)[order]
    y_r = y[order]
    probs = out_of_sample_probs(X, y_r, spec, n_classes)
    ranked = find_label_issues(y_r, probs, filter_by=spec.filter_by, return_indices_ranked_by=spec.rank_by)
    score = get_label_quality_scores(y_r, probs, method=spec.rank_by)
    issue = np.zeros(len(y_r), bool)
    issue[ranked] = True
    okeys = [keys[i] for i in order]
    rest = sorted(np.flatnonzero(~issue).tolist(), key=lambda i: (score[i], okeys[i]))
    pos = np.array(list(ranked) + rest, dtype=int)
    suggested = probs.argmax(axis=1)
    df = pd.DataFrame({
        "rank": np.arange(1, len(pos) + 1), "key": [okeys[i] for i in pos],
        "given_label": [classes[c] for c in y_r[pos]], "suggested_label": [classes[c] for c in suggested[pos]],
        "score": score[pos], "is_issue": issue[pos], "p_given": probs[pos, y_r[pos]],
        "p_suggested": probs[pos, suggested[pos]]})
    df.attrs["excluded"] = int(len(y) - len(rated))
    return df
