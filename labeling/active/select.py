"""``select``: the ranked batch to label next, as a pandas DataFrame.

    batch = select(df, strategy="hybrid", batch_size=10, seed=0, label_column="label")

Input: a DataFrame (features = numeric columns, a list of columns, or one column
holding an embedding per row; labels in ``label_column``, missing = unlabeled; keys in
``key_column`` or the index) or arrays (``X``, ``labels`` with None / NaN / -1 for
unlabeled, optional ``keys``). Output, one row per selected example, best first:
``rank, key, row, strategy, score, reason, group, predicted, confidence``; ``attrs``
holds ``summary`` (counts, class balance, near-duplicate radius, strategy details) and
``quarantine`` (rows set aside, with their reason). Every input row is accounted for:
``rows_in = labeled + unlabeled + quarantined``.

Bad input raises ``SelectionError`` naming the argument, field or example: unknown
strategy or parameter, duplicate keys, labels outside ``classes``, a batch larger than
the unlabeled pool (unless ``allow_partial_batch``), a model-based strategy with labels
of fewer than two classes. Rows whose features are not finite are quarantined.

Strategies (``STRATEGIES``; ``strategy_parameters(name)`` lists each one's keyword
parameters and defaults, e.g. for validating a config): ``random``,
``least_confidence``, ``margin``, ``entropy`` (``top``: diverse top-k factor, 0 = plain
top-k), ``qbc_vote_entropy``, ``qbc_kl`` (``n_members``, ``top``), ``typiclust`` (``k``,
``gamma``, ...), ``kmeans``, ``regions`` (``inner``, ``n_regions``, ``power``),
``hybrid`` (``low``, ``high``, ``gamma``, ``k``, ``top``)."""
from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional, Sequence

import numpy as np
import pandas as pd

from datalife.labeling.active.classifier import DEFAULT_CLASSIFIER, SelectionError, predict_proba_aligned
from datalife.labeling.active.committee import select_committee
from datalife.labeling.active.diversity import select_kmeans, select_typiclust
from datalife.labeling.active.hybrid import select_hybrid
from datalife.labeling.active.pool import Picks, Pool
from datalife.labeling.active.ranking import DEDUP_FRACTION, NearDuplicateGuard, near_duplicate_radius
from datalife.labeling.active.regions import select_regions
from datalife.labeling.active.strategies import select_random, select_uncertain

__all__ = ["select", "select_pool", "make_pool", "STRATEGIES", "Strategy", "SelectionError", "COLUMNS",
           "strategy_parameters"]

COLUMNS = ["rank", "key", "row", "strategy", "score", "reason", "group", "predicted", "confidence"]


@dataclass(frozen=True)
class Strategy:
    fn: Callable
    needs_model: bool  # needs labels of two classes or more
    family: str
    reference: str  # scikit-activeml's implementation of the same strategy (benchmark oracle), "" if none


STRATEGIES = {
    "random": Strategy(select_random, False, "baseline", "RandomSampling"),
    "least_confidence": Strategy(partial(select_uncertain, method="least_confidence"), True, "uncertainty",
                                 "UncertaintySampling(method='least_confident')"),
    "margin": Strategy(partial(select_uncertain, method="margin"), True, "uncertainty",
                       "UncertaintySampling(method='margin_sampling')"),
    "entropy": Strategy(partial(select_uncertain, method="entropy"), True, "uncertainty",
                        "UncertaintySampling(method='entropy')"),
    "qbc_vote_entropy": Strategy(partial(select_committee, method="qbc_vote_entropy"), True, "committee",
                                 "QueryByCommittee(method='vote_entropy')"),
    "qbc_kl": Strategy(partial(select_committee, method="qbc_kl"), True, "committee",
                       "QueryByCommittee(method='KL_divergence')"),
    "typiclust": Strategy(select_typiclust, False, "diversity", "TypiClust"),
    "kmeans": Strategy(select_kmeans, False, "diversity", ""),
    "regions": Strategy(select_regions, True, "region", ""),
    "hybrid": Strategy(select_hybrid, False, "hybrid", ""),
}


def strategy_parameters(name: str) -> dict:
    """{parameter: default} a strategy takes besides the pool, batch size and guard."""
    if name not in STRATEGIES:
        raise SelectionError(f"strategy: unknown {name!r}; expected one of {sorted(STRATEGIES)}")
    fn = STRATEGIES[name].fn
    fixed = fn.keywords if isinstance(fn, partial) else {}
    sig = inspect.signature(fn.func if isinstance(fn, partial) else fn)
    return {p.name: p.default for p in list(sig.parameters.values())[3:] if p.name not in fixed}


def _strategy_params(name: str, params: dict) -> dict:
    fn = STRATEGIES[name].fn
    fixed = fn.keywords if isinstance(fn, partial) else {}
    sig = inspect.signature(fn.func if isinstance(fn, partial) else fn)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return params
    allowed = [p for p in list(sig.parameters)[3:] if p not in fixed]
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise SelectionError(f"strategy {name!r} takes no parameter {', '.join(map(repr, bad))}; "
                             f"it takes {allowed or 'none'}")
    return params


def _label_ids(raw, keys: np.ndarray, classes: Optional[Sequence]) -> tuple[np.ndarray, tuple]:
    """Class ids (-1 = unlabeled: None, NaN, "" or -1) and the vocabulary."""
    if raw.dtype.kind in "iuf":  # numeric labels: vectorised
        values = raw.astype(np.float64)
        missing = np.isnan(values) | (values == -1)
        if classes is None:
            classes = [int(v) if float(v).is_integer() else float(v) for v in np.unique(values[~missing])]
        classes = tuple(classes)
        try:
            vocab = np.asarray(classes, dtype=np.float64)
        except (TypeError, ValueError):
            vocab = None
        if vocab is not None and len(np.unique(vocab)) == len(vocab):
            order = np.argsort(vocab)
            pos = np.searchsorted(vocab[order], values[~missing])
            pos = np.minimum(pos, len(vocab) - 1)
            ok = vocab[order][pos] == values[~missing] if len(vocab) else np.zeros(len(pos), bool)
            if not ok.all():
                where = np.flatnonzero(~missing)[np.flatnonzero(~ok)]
                raise SelectionError(f"labels: {len(where)} examples have a label outside the classes "
                                     f"{list(classes)}, e.g. example {keys[where[0]]!r} with {raw[where[0]]!r}")
            y = np.full(len(raw), -1, dtype=np.int64)
            y[~missing] = order[pos]
            return y, classes
        raw = raw.astype(object)
    s = pd.Series(raw, dtype=object)
    missing = s.isna().to_numpy() | s.map(lambda v: isinstance(v, str) and v == "").to_numpy()
    with np.errstate(invalid="ignore"):
        missing |= s.map(lambda v: isinstance(v, (int, float, np.integer, np.floating)) and v == -1).to_numpy()
    present = s[~missing]
    # 3.0 read back from a float column is the class 3
    present = present.map(lambda v: int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else v)
    if classes is None:
        classes = sorted(set(present), key=lambda v: (str(type(v)), v))
    classes = tuple(classes)
    index = {str(c): i for i, c in enumerate(classes)}
    index.update({c: i for i, c in enumerate(classes)})
    ids = present.map(lambda v: index.get(v, index.get(str(v), -2))).to_numpy(dtype=np.int64)
    bad = np.flatnonzero(ids == -2)
    if len(bad):
        where = np.flatnonzero(~missing)[bad]
        raise SelectionError(f"labels: {len(bad)} examples have a label outside the classes {list(classes)}, "
                             f"e.g. example {keys[where[0]]!r} with {present.iloc[bad[0]]!r}")
    y = np.full(len(s), -1, dtype=np.int64)
    y[~missing] = ids
    return y, classes


def _features(df: pd.DataFrame, features, skip: Sequence[str]) -> np.ndarray:
    if isinstance(features, str):
        if features not in df.columns:
            raise SelectionError(f"features: no column {features!r} (columns: {list(df.columns)})")
        try:
            return np.stack([np.asarray(v, dtype=np.float64).ravel() for v in df[features]])
        except (TypeError, ValueError) as exc:
            raise SelectionError(f"features: column {features!r} must hold one numeric vector of the same "
                                 f"length per row ({exc})") from None
    if features is None:
        features = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]
        if not features:
            raise SelectionError("features: the DataFrame has no numeric column besides the label and key; "
                                 "name the feature columns or an embedding column")
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise SelectionError(f"features: no column {missing} (columns: {list(df.columns)})")
    try:
        # nullable columns (a missing value read from Examples is pd.NA): NaN, then quarantined below
        return df[list(features)].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise SelectionError(f"features: columns {list(features)} must be numeric ({exc})") from None


def make_pool(data, labels=None, *, keys=None, features=None, label_column: str = "label",
              key_column: Optional[str] = None, classes: Optional[Sequence] = None, seed: int = 0,
              classifier: str = DEFAULT_CLASSIFIER, classifier_params: Optional[dict] = None):
    """(Pool of the usable rows, their positions in the input, quarantine DataFrame)."""
    if isinstance(data, pd.DataFrame):
        if key_column is not None:
            if key_column not in data.columns:
                raise SelectionError(f"key_column: no column {key_column!r}")
            keys = data[key_column].astype(str).to_numpy()
        elif keys is None:
            keys = data.index.astype(str).to_numpy()
        if labels is None and label_column in data.columns:
            labels = data[label_column].to_numpy(dtype=object)
        X = _features(data, features, [label_column, key_column])
    else:
        X = np.asarray(data)
        # float32 stays float32 (an embedding matrix of a million rows: half the memory)
        X = X if X.dtype == np.float32 else np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise SelectionError(f"X: expected a 2-D array (examples x features), got shape {X.shape}")
    n = len(X)
    keys = (np.arange(n).astype(str) if keys is None else np.asarray(keys).astype(str)).astype(object)
    if len(keys) != n:
        raise SelectionError(f"keys: {len(keys)} keys for {n} examples")
    dup_mask = pd.Series(keys).duplicated().to_numpy()
    if dup_mask.any():
        dup = list(dict.fromkeys(keys[dup_mask].tolist()))
        raise SelectionError(f"keys: {len(dup)} keys occur more than once (first: {dup[:3]}); keys must be unique")
    raw = np.full(n, None, dtype=object) if labels is None else np.asarray(labels)
    if len(raw) != n:
        raise SelectionError(f"labels: {len(raw)} labels for {n} examples")
    y, classes = _label_ids(raw, keys, classes)
    finite = np.isfinite(X).all(axis=1)
    quarantine = pd.DataFrame({"key": keys[~finite], "row": np.flatnonzero(~finite),
                               "reason": "non_finite_features"})
    keep = np.flatnonzero(finite)
    pool = Pool(X=X[keep], y=y[keep], keys=keys[keep], classes=classes, seed=int(seed), classifier=classifier,
                classifier_params=classifier_params)
    return pool, keep, quarantine


def select_pool(pool: Pool, strategy: str = "hybrid", batch_size: int = 10, allow_partial_batch: bool = False,
                dedup_fraction: float = DEDUP_FRACTION, **params) -> tuple[Picks, dict]:
    """Run one strategy on a pool: (picks, summary)."""
    if strategy not in STRATEGIES:
        raise SelectionError(f"strategy: unknown {strategy!r}; expected one of {sorted(STRATEGIES)}")
    params = _strategy_params(strategy, params)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise SelectionError(f"batch_size: expected a positive integer, got {batch_size!r}")
    n_unl = len(pool.unlabeled)
    if n_unl == 0:
        raise SelectionError("the pool has no unlabeled example left to select")
    if batch_size > n_unl:
        if not allow_partial_batch:
            raise SelectionError(f"batch_size {batch_size} is larger than the unlabeled pool ({n_unl} examples); "
                                 f"lower batch_size or pass allow_partial_batch=True to take the whole pool")
        batch_size = n_unl
    if STRATEGIES[strategy].needs_model:
        pool.require_model(strategy)
    radius = near_duplicate_radius(pool.X, pool.order, dedup_fraction)
    guard = NearDuplicateGuard(pool.X, radius)
    picks = STRATEGIES[strategy].fn(pool, batch_size, guard, **params)
    summary = {"strategy": strategy, "seed": pool.seed, "batch_size": int(batch_size), "selected": len(picks.rows),
               "labeled": int(len(pool.labeled)), "unlabeled": int(n_unl), "classes": list(pool.classes),
               "classifier": pool.classifier if (STRATEGIES[strategy].needs_model or strategy == "hybrid") else None,
               "near_duplicate_radius": radius, "near_duplicates_skipped": guard.skipped,
               "labeled_class_counts": {str(pool.classes[c]): int(k) for c, k in
                                        zip(*np.unique(pool.y[pool.labeled], return_counts=True))}}
    summary.update(picks.info)
    if len(picks.rows) < batch_size:
        summary["shortfall"] = (f"{batch_size - len(picks.rows)} fewer than asked: every other unlabeled example "
                                f"is a near-duplicate (within {radius:.3g}) of one already in the batch")
    return picks, summary


def select(data, labels=None, *, strategy: str = "hybrid", batch_size: int = 10, seed: int = 0, keys=None,
           features=None, label_column: str = "label", key_column: Optional[str] = None,
           classes: Optional[Sequence] = None, classifier: str = DEFAULT_CLASSIFIER,
           classifier_params: Optional[dict] = None, allow_partial_batch: bool = False,
           dedup_fraction: float = DEDUP_FRACTION, **strategy_params) -> pd.DataFrame:
    """The ranked batch to label next (see the module docstring)."""
    pool, kept, quarantine = make_pool(data, labels, keys=keys, features=features, label_column=label_column,
                                       key_column=key_column, classes=classes, seed=seed, classifier=classifier,
                                       classifier_params=classifier_params)
    picks, summary = select_pool(pool, strategy, batch_size, allow_partial_batch, dedup_fraction,
                                 **strategy_params)
    rows = np.asarray(picks.rows, dtype=np.int64)
    predicted, confidence = [None] * len(rows), [np.nan] * len(rows)
    if len(pool.labeled_classes) >= 2 and len(rows):
        p = predict_proba_aligned(pool.model, pool.X[rows], pool.n_classes)
        predicted = [pool.classes[c] for c in p.argmax(axis=1)]
        confidence = p.max(axis=1).astype(np.float64)
        summary["batch_predicted_class_counts"] = dict(Counter(str(c) for c in predicted))
    out = pd.DataFrame({"rank": np.arange(1, len(rows) + 1), "key": pool.keys[rows] if len(rows) else [],
                        "row": kept[rows], "strategy": strategy, "score": picks.scores, "reason": picks.reasons,
                        "group": picks.groups, "predicted": predicted, "confidence": confidence},
                       columns=COLUMNS)
    summary.update({"rows_in": int(len(kept) + len(quarantine)), "quarantined": int(len(quarantine)),
                    "quarantine_reasons": dict(Counter(quarantine["reason"]))})
    out.attrs["summary"] = summary
    out.attrs["quarantine"] = quarantine
    return out
