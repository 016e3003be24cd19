"""Label propagation on a pandas DataFrame: the documented Python API.

``propagate_frame(frame, label="label", features=[...] | embedding="emb", key="id")``
validates the rows, quarantines the ones it cannot use (counted, with their reason),
holds out a seeded share of the labeled rows to measure accuracy, spreads the labels
(``labeling.propagation.spreading``) and returns a ``PropagationResult``:

- ``rows``: the usable rows, in input order, with ``label`` (the vocabulary value, or
  None when the source is none), ``label_id`` (-1 for none), ``label_probs`` (one
  float32 array of class probabilities per row; one-hot for gold rows),
  ``label_confidence`` and ``label_source`` (gold / propagated / none);
- ``quarantine``: the rows that had no usable features (key, field, reason code, detail);
- ``summary``: counts (in = out + quarantined), per-class counts before and after,
  held-out accuracy, a confidence histogram, iterations, the kNN method.

Bad input: a row without features, with a missing, non-numeric, NaN or infinite value,
or an embedding of the wrong length is quarantined; a label outside ``vocabulary``, a
class of the vocabulary without labeled rows, no labeled rows at all, or fewer usable
rows than k + 1 raise a ValueError naming the row key, field and value.

Results do not depend on the order of the input rows when ``key`` is given: rows are
processed in key order (the kNN build and the spreading then see the same sequence).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .knn_graph import KnnSpec
from .spreading import NONE, SOURCES, Propagation, SpreadSpec, propagate_labels

__all__ = ["PropagationResult", "propagate_frame", "holdout_mask", "confidence_histogram"]

HISTOGRAM_BINS = np.linspace(0.0, 1.0, 11)


@dataclass
class PropagationResult:
    rows: pd.DataFrame
    quarantine: pd.DataFrame
    summary: dict = field(default_factory=dict)
    class_counts: pd.DataFrame = field(default_factory=pd.DataFrame)


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def holdout_mask(keys, labeled: np.ndarray, labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Rows held out from the labeled ones: ``blake2b(seed|key) < fraction``, except each
    class's labeled row with the largest hash, which always stays a seed."""
    mask = np.zeros(len(keys), dtype=bool)
    if fraction <= 0:
        return mask
    idx = np.flatnonzero(labeled)
    u = np.array([int.from_bytes(hashlib.blake2b(f"holdout|{seed}|{keys[i]}".encode(), digest_size=8).digest(),
                                 "big") / 2.0 ** 64 for i in idx])
    mask[idx[u < fraction]] = True
    for c in np.unique(labels[idx]):
        in_class = labels[idx] == c
        keep = idx[in_class][np.argmax(u[in_class])]
        mask[keep] = False
    return mask


def confidence_histogram(confidence: np.ndarray, source: np.ndarray) -> list[dict]:
    """Counts of non-gold rows per confidence bin of width 0.1."""
    conf = confidence[source != 0]
    counts, _ = np.histogram(conf, bins=HISTOGRAM_BINS)
    return [{"low": float(a), "high": float(b), "rows": int(c)}
            for a, b, c in zip(HISTOGRAM_BINS[:-1], HISTOGRAM_BINS[1:], counts)]


def _feature_matrix(frame: pd.DataFrame, keys: list, features, embedding):
    """(matrix of usable rows, usable mask, quarantine records)."""
    n = len(frame)
    bad: dict[int, tuple[str, str, str]] = {}
    if features:
        missing = [c for c in features if c not in frame.columns]
        if missing:
            raise ValueError(f"feature column(s) {missing} not in the frame (columns: {list(frame.columns)})")
        cols = []
        for c in features:
            values = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)
            raw = frame[c].to_numpy(dtype=object)
            for i in np.flatnonzero(~np.isfinite(values)):
                if i in bad:
                    continue
                if _is_missing(raw[i]):
                    bad[i] = (c, "missing_feature", "missing feature value")
                elif isinstance(raw[i], (int, float, np.number)):
                    bad[i] = (c, "non_finite_feature", f"non-finite feature value {raw[i]!r}")
                else:
                    bad[i] = (c, "non_numeric_feature", f"non-numeric feature value {raw[i]!r}")
            cols.append(values)
        x = np.stack(cols, axis=1).astype(np.float32)
    else:
        if embedding not in frame.columns:
            raise ValueError(f"embedding column {embedding!r} not in the frame (columns: {list(frame.columns)})")
        raw = frame[embedding].to_numpy(dtype=object)
        lengths = [0 if v is None or np.ndim(v) != 1 else len(v) for v in raw]
        nonzero = [d for d in lengths if d > 0]
        if not nonzero:
            raise ValueError(f"embedding column {embedding!r} holds no 1-D vectors")
        dim = int(pd.Series(nonzero).mode().iloc[0])
        x = np.zeros((n, dim), dtype=np.float32)
        for i, (v, d) in enumerate(zip(raw, lengths)):
            if d == 0:
                bad[i] = (embedding, "missing_embedding", "missing embedding")
            elif d != dim:
                bad[i] = (embedding, "embedding_length", f"embedding has {d} values, expected {dim}")
            else:
                row = np.asarray(v, dtype=np.float64)
                if not np.isfinite(row).all():
                    bad[i] = (embedding, "non_finite_embedding", "embedding holds NaN or infinity")
                else:
                    x[i] = row
    usable = np.ones(n, dtype=bool)
    usable[list(bad)] = False
    records = [{"key": keys[i], "field": f, "reason": r, "detail": d} for i, (f, r, d) in sorted(bad.items())]
    return x[usable], usable, records


def _label_ids(values: np.ndarray, keys: list, field_name: str, vocabulary):
    labeled = np.array([not _is_missing(v) for v in values], dtype=bool)
    if vocabulary is None:
        vocabulary = sorted({v for v, l in zip(values, labeled) if l}, key=str)
    vocabulary = list(vocabulary)
    index = {v: i for i, v in enumerate(vocabulary)}
    index.update({str(v): i for i, v in enumerate(vocabulary)})
    ids = np.full(len(values), -1, dtype=np.int64)
    for i in np.flatnonzero(labeled):
        v = values[i]
        j = index.get(v, index.get(str(v)))
        if j is None:
            raise ValueError(f"row {keys[i]!r}: {field_name}={v!r} is not in the vocabulary {vocabulary}")
        ids[i] = j
    return ids, vocabulary


def propagate_frame(frame: pd.DataFrame, *, label: str = "label", features: list[str] | None = None,
                    embedding: str | None = None, key: str | None = None, vocabulary: list | None = None,
                    knn: KnnSpec = KnnSpec(), spread: SpreadSpec = SpreadSpec(), scale: str = "none",
                    min_confidence: float = 0.5, holdout: float = 0.1, seed: int = 0,
                    output_prefix: str = "label") -> PropagationResult:
    """Spread the labels of the rows that have one to the rows that do not (see module doc)."""
    if (features is None) == (embedding is None):
        raise ValueError("give exactly one of features=[numeric columns] or embedding='column'")
    if label not in frame.columns:
        raise ValueError(f"label column {label!r} not in the frame (columns: {list(frame.columns)})")
    if not 0.0 <= holdout < 1.0:
        raise ValueError(f"holdout must be in [0, 1), got {holdout}")
    if not 0.0 <= min_confidence <= 1.0:
        raise ValueError(f"min_confidence must be in [0, 1], got {min_confidence}")
    n_in = len(frame)
    if key is not None:
        if key not in frame.columns:
            raise ValueError(f"key column {key!r} not in the frame")
        order = np.argsort(frame[key].astype(str).to_numpy(), kind="stable")
    else:
        order = np.arange(n_in)
    work = frame.iloc[order]
    keys = (work[key].tolist() if key is not None else list(work.index))
    x, usable, quarantined = _feature_matrix(work, keys, features, embedding)
    work = work[usable]
    keys = [k for k, u in zip(keys, usable) if u]
    ids, vocabulary = _label_ids(work[label].to_numpy(dtype=object), keys, label, vocabulary)
    if not (ids >= 0).any():
        raise ValueError(f"no row has a {label!r}: nothing to propagate")
    held = holdout_mask(keys, ids >= 0, ids, holdout, seed)
    seeds = np.where(held, -1, ids)
    result: Propagation = propagate_labels(x, seeds, len(vocabulary), knn_spec=knn, spread_spec=spread,
                                           min_confidence=min_confidence, scale=scale, keys=keys)
    # held-out rows: scored, then given back their gold label
    held_pred = result.label[held]
    held_accuracy = float((held_pred == ids[held]).mean()) if held.any() else None
    label_id, source = result.label.copy(), result.source.copy()
    probs = result.probs.copy()
    label_id[held], source[held] = ids[held], 0
    probs[held] = 0.0
    probs[held, ids[held]] = 1.0
    confidence = np.where(held, 1.0, result.confidence).astype(np.float32)

    out = work.copy()
    names = np.asarray(vocabulary + [None], dtype=object)
    out[output_prefix] = names[label_id]
    out[f"{output_prefix}_id"] = label_id
    out[f"{output_prefix}_probs"] = list(probs)
    out[f"{output_prefix}_confidence"] = confidence
    out[f"{output_prefix}_source"] = np.asarray(SOURCES, dtype=object)[source]
    out = out.iloc[np.argsort(order[usable], kind="stable")]    # back to input order
    quarantine = pd.DataFrame(quarantined, columns=["key", "field", "reason", "detail"])

    before = np.bincount(ids[ids >= 0], minlength=len(vocabulary))
    after = np.bincount(label_id[label_id >= 0], minlength=len(vocabulary))
    class_counts = pd.DataFrame({"class": vocabulary, "labeled_before": before, "labeled_after": after,
                                 "propagated": after - before})
    summary = {
        "rows_in": n_in, "rows_out": len(out), "rows_quarantined": len(quarantine),
        "quarantine_reasons": {str(k): int(v) for k, v in quarantine["reason"].value_counts().items()},
        "gold": int((source == 0).sum()), "propagated": int((source == 1).sum()),
        "none": int((source == NONE).sum()),
        "holdout_rows": int(held.sum()), "holdout_accuracy": held_accuracy,
        "gold_disagreements": result.gold_disagreements,
        "iterations": result.n_iter, "converged": result.converged,
        "knn_method": result.knn_method, "missing_edges": result.missing_edges,
        "confidence_histogram": confidence_histogram(confidence, source),
        "vocabulary": vocabulary,
    }
    assert summary["rows_in"] == summary["rows_out"] + summary["rows_quarantined"]
    return PropagationResult(rows=out, quarantine=quarantine, summary=summary, class_counts=class_counts)
