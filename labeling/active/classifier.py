"""Any scikit-learn classifier by dotted path, with class probabilities aligned to one
class vocabulary (ids 0..K-1), whatever subset of classes the labeled rows cover."""
from __future__ import annotations

import importlib
import inspect
from typing import Optional

import numpy as np

__all__ = ["DEFAULT_CLASSIFIER", "make_classifier", "predict_proba_aligned", "SelectionError"]

DEFAULT_CLASSIFIER = "sklearn.linear_model.LogisticRegression"
DEFAULT_PARAMS = {"sklearn.linear_model.LogisticRegression": {"max_iter": 1000}}
CHUNK = 65_536


class SelectionError(ValueError):
    """Bad input to the selector; the message names the argument or field and what it expects."""


def make_classifier(path: str = DEFAULT_CLASSIFIER, params: Optional[dict] = None, seed: int = 0):
    """An unfitted classifier from ``"package.module.Class"`` and its keyword arguments.
    ``random_state`` is set from ``seed`` when the class takes one and it is not given."""
    module_name, _, name = str(path).rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SelectionError(f"classifier: cannot import {path!r} (expected a dotted path such as "
                             f"'sklearn.linear_model.LogisticRegression'): {exc}") from None
    kwargs = dict(DEFAULT_PARAMS.get(path, {}))
    kwargs.update(params or {})
    try:
        accepts = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        accepts = {}
    if "random_state" in accepts and "random_state" not in kwargs:
        kwargs["random_state"] = int(seed)
    try:
        est = cls(**kwargs)
    except TypeError as exc:
        raise SelectionError(f"classifier: {path}({kwargs}) failed: {exc}") from None
    if not (hasattr(est, "fit") and hasattr(est, "predict_proba")):
        raise SelectionError(f"classifier: {path} needs fit() and predict_proba() (a probabilistic "
                             f"scikit-learn classifier)")
    return est


def predict_proba_aligned(est, X: np.ndarray, n_classes: int, chunk: int = CHUNK) -> np.ndarray:
    """``est.predict_proba(X)`` in chunks, as (n, n_classes) float32 with a zero column for
    each class the fitted classifier never saw (``est.classes_`` are class ids)."""
    cols = np.asarray(est.classes_, dtype=np.int64)
    out = np.zeros((len(X), n_classes), dtype=np.float32)
    for start in range(0, len(X), chunk):
        out[start:start + chunk, cols] = est.predict_proba(X[start:start + chunk])
    return out
