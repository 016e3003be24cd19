"""The array API, for models that take NumPy arrays: ``rebalance_arrays(X, y,
keys=None, ...)`` -> X, y and the provenance, as imbalanced-learn's ``fit_resample``
returns X and y."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd

from datalife.transforms.rebalance.frame import report_of
from datalife.transforms.rebalance.plan import RebalanceError, make_plan
from datalife.transforms.rebalance.resample import layout
from datalife.transforms.rebalance.spec import RebalanceSpec

__all__ = ["rebalance_arrays", "Resampled"]


@dataclass
class Resampled:
    X: np.ndarray
    y: np.ndarray
    kind: np.ndarray  # 0 original, 1 duplicate, 2 synthetic (KINDS)
    source: np.ndarray  # key of the source row
    partner: np.ndarray  # synthetic: key of the neighbour; else -1 (positions) or None
    copy: np.ndarray
    gap: np.ndarray
    sample_weight: Optional[np.ndarray]
    report: dict


def rebalance_arrays(X: np.ndarray, y: Sequence, keys: Optional[Sequence] = None, strategy: str = "oversample",
                     target: Union[str, float, dict] = "balance", seed: int = 0, k_neighbors: int = 5,
                     weighting: str = "inverse", beta: float = 0.999, classes: Optional[list] = None) -> Resampled:
    """Like :func:`rebalance` on arrays; ``keys`` default to the row positions (give
    stable ids when rows may be reordered or subset, e.g. across CV folds)."""
    spec = RebalanceSpec(strategy=strategy, target=target, seed=seed, k_neighbors=k_neighbors, weighting=weighting,
                         beta=beta, classes=None if classes is None else [str(c) for c in classes])
    X = np.asarray(X)
    y = np.asarray(y)
    if len(X) != len(y):
        raise RebalanceError(f"X has {len(X)} rows, y has {len(y)}")
    given = keys is not None
    keys = np.asarray(keys) if given else np.arange(len(y))
    if given and not pd.Index(keys).is_unique:
        raise RebalanceError("keys must be unique to seed each example")
    codes, uniques = pd.factorize(y, sort=True)
    if (codes < 0).any():
        raise RebalanceError(f"y is missing in {int((codes < 0).sum())} rows (first key {keys[codes < 0][0]!r})")
    names = [str(u) for u in uniques]
    plan = make_plan(dict(zip(names, np.bincount(codes, minlength=len(names)).tolist())), spec)
    names_x = [f"x{j}" for j in range(X.shape[1])] if X.ndim == 2 else []
    lay = layout(codes, names, keys, plan, spec.resolved_seed, X if spec.strategy == "smote" else None, names_x,
                 spec.k_neighbors)
    n0, n1 = len(lay.kept), len(lay.kept) + len(lay.dup)
    Xo = np.empty((lay.n_out,) + X.shape[1:], dtype=np.float64 if lay.n_synthetic else X.dtype)
    Xo[:n0] = X if lay.all_kept() else X[lay.kept]
    np.take(X, lay.dup, axis=0, out=Xo[n0:n1])
    if lay.n_synthetic:
        lay.write_points(Xo[n1:])
    syn_base = lay.syn_base
    yo = np.concatenate([y if lay.all_kept() else y[lay.kept], y[lay.dup], y[syn_base]])
    kind = np.repeat(np.arange(3, dtype=np.int8), [n0, n1 - n0, lay.n_synthetic])
    source = np.concatenate([keys if lay.all_kept() else keys[lay.kept], keys[lay.dup], keys[syn_base]])
    partner = np.concatenate([np.full(n1, -1, dtype=keys.dtype) if keys.dtype.kind in "iu" else
                              np.full(n1, None, dtype=object), keys[lay.syn_partner]])
    copy = np.concatenate([np.zeros(n0, np.int64), lay.dup_copy, lay.syn_copy])
    gap = np.concatenate([np.full(n1, np.nan), lay.syn_gap])
    weight = None
    if spec.strategy == "weight":
        weight = np.array([plan.weights[n] for n in names])[codes]
    return Resampled(Xo, yo, kind, source, partner, copy, gap, weight, report_of(plan, spec, names, codes, lay))
