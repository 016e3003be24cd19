"""Label spreading (Zhou, Bousquet, Lal, Weston & Schoelkopf, "Learning with local and
global consistency", NIPS 2003) on a sparse k-nearest-neighbour graph.

    W      affinity of the kNN graph (sparse, n * k entries, symmetrised)
    S      = D^-1/2 W D^-1/2                       (symmetric normalisation)
    F(t+1) = alpha S F(t) + (1 - alpha) Y,  F(0) = Y (one-hot rows of the labeled rows)

iterated until no row's class distribution (its row of F normalised to sum to 1) moves
by more than ``tol`` in L1 norm, or ``max_iter``. (scikit-learn stops when the summed
absolute change of F is below its tol: with few labels, F is tiny far from them and
that test stops before the labels arrive; the normalised test is scale-free.) The class
probabilities are the rows of F normalised to sum to 1. Memory is O(n * (d + k + c)):
the graph holds at most 2 n k entries and F is [n, classes]; nothing is n x n.

``graph="symmetric"`` (default) is Zhou's construction: W = (A + A^T) / 2 of the
directed kNN graph A, with heat-kernel weights exp(-d_ij^2 / (s_i s_j)) whose scale s_i
is row i's distance to its k-th neighbour (local scaling, Zelnik-Manor & Perona 2004),
or 0/1 connectivity. ``graph="sklearn"`` reproduces scikit-learn's
``LabelSpreading(kernel="knn", n_neighbors=k)``: each row's k nearest rows counting
itself, 0/1, not symmetrised, degrees by column (in-degree) without self-loops.

Labels are integer ids in [0, classes), ``-1`` for unlabeled rows (Snorkel's abstain).
Outputs per row: ``label`` (the class id, -1 when the source is none), ``probs``,
``confidence`` (max prob) and ``source``: 0 gold, 1 propagated, 2 none (the row's
confidence is below ``min_confidence`` or no label reaches it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .knn_graph import KnnSpec, Neighbors, knn

__all__ = ["SpreadSpec", "Spreading", "Propagation", "SOURCES", "GOLD", "PROPAGATED", "NONE",
           "affinity", "normalize_symmetric", "spread", "propagate_labels", "check_labels", "standardize",
           "SCALES"]

SOURCES = ("gold", "propagated", "none")
GOLD, PROPAGATED, NONE = 0, 1, 2
GRAPHS = ("symmetric", "sklearn")
WEIGHTS = ("heat", "connectivity")
SCALES = ("none", "standard")


@dataclass(frozen=True)
class SpreadSpec:
    alpha: float = 0.9
    max_iter: int = 300
    tol: float = 1e-3
    graph: str = "symmetric"
    weights: str = "heat"

    def __post_init__(self):
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {self.max_iter}")
        if not self.tol > 0:
            raise ValueError(f"tol must be > 0, got {self.tol}")
        if self.graph not in GRAPHS:
            raise ValueError(f"graph must be one of {GRAPHS}, got {self.graph!r}")
        if self.weights not in WEIGHTS:
            raise ValueError(f"weights must be one of {WEIGHTS}, got {self.weights!r}")


@dataclass(frozen=True)
class Spreading:
    probs: np.ndarray      # [n, c] rows summing to 1 (0 where no label reaches the row)
    n_iter: int
    converged: bool
    last_change: float     # max over rows of the L1 change of the class distribution


@dataclass(frozen=True)
class Propagation:
    label: np.ndarray      # [n] int64 class id, -1 for source none
    probs: np.ndarray      # [n, c] float32
    confidence: np.ndarray  # [n] float32
    source: np.ndarray     # [n] int8: GOLD, PROPAGATED, NONE
    n_iter: int
    converged: bool
    knn_method: str
    missing_edges: int     # neighbour slots the approximate search left empty
    gold_disagreements: int  # gold rows whose spread distribution prefers another class

    def source_names(self) -> np.ndarray:
        return np.asarray(SOURCES, dtype=object)[self.source]


def _heat_weights(nb: Neighbors) -> np.ndarray:
    d = nb.distances.astype(np.float64)
    valid = nb.indices >= 0
    scale = np.where(valid, d, 0.0).max(axis=1)  # distance to the farthest found neighbour
    positive = scale[scale > 0]
    scale = np.maximum(scale, positive.min() if positive.size else 1.0)
    j = np.where(valid, nb.indices, 0)
    w = np.exp(-np.where(valid, d, 0.0) ** 2 / (scale[:, None] * scale[j]))
    return np.where(valid, w, 0.0)


def affinity(nb: Neighbors, spec: SpreadSpec = SpreadSpec()) -> sp.csr_matrix:
    """The sparse affinity W of a kNN result (see the module docstring), float64."""
    n, k = nb.indices.shape
    valid = nb.indices >= 0
    if spec.graph == "sklearn" or spec.weights == "connectivity":
        w = valid.astype(np.float64)
    else:
        w = _heat_weights(nb)
    rows = np.repeat(np.arange(n, dtype=np.int64), k).reshape(n, k)[valid]
    a = sp.csr_matrix((w[valid], (rows, nb.indices[valid])), shape=(n, n))
    if spec.graph == "sklearn":
        return a
    a = (a + a.T.tocsr()) * 0.5
    return a.tocsr()


def normalize_symmetric(w: sp.csr_matrix, degree_axis: int = 1) -> sp.csr_matrix:
    """S = D^-1/2 W D^-1/2 (D: row sums, or column sums with ``degree_axis=0`` as
    scipy's normalised Laplacian computes them for directed graphs); diagonal dropped;
    rows of degree 0 keep degree 1, as scipy does."""
    w = w.tocsr(copy=True)
    rows = np.repeat(np.arange(w.shape[0]), np.diff(w.indptr))
    w.data[rows == w.indices] = 0.0
    deg = np.asarray(w.sum(axis=degree_axis)).ravel()
    inv = 1.0 / np.sqrt(np.where(deg > 0, deg, 1.0))
    w.data *= inv[rows] * inv[w.indices]
    w.eliminate_zeros()
    return w


def spread(s: sp.csr_matrix, labels: np.ndarray, n_classes: int, spec: SpreadSpec = SpreadSpec()) -> Spreading:
    """Zhou's iteration on a normalised graph ``s`` for integer ``labels`` (-1 unlabeled)."""
    labels = np.asarray(labels)
    n = s.shape[0]
    seeds = np.flatnonzero(labels >= 0)
    seed_labels = labels[seeds]
    f = np.zeros((n, n_classes), dtype=np.float64)
    f[seeds, seed_labels] = 1.0
    clamp = 1.0 - spec.alpha
    change, converged, it = np.inf, False, 0
    probs = _row_normalized(f)
    for it in range(1, spec.max_iter + 1):
        f = s @ f
        f *= spec.alpha
        f[seeds, seed_labels] += clamp
        nxt = _row_normalized(f)
        np.subtract(nxt, probs, out=probs)
        change = float(np.abs(probs).sum(axis=1).max())
        probs = nxt
        if change < spec.tol:
            converged = True
            break
    return Spreading(probs=probs, n_iter=it, converged=converged, last_change=change)


def _row_normalized(f: np.ndarray) -> np.ndarray:
    total = f.sum(axis=1, keepdims=True)
    return f / np.where(total > 0, total, 1.0)


def standardize(x: np.ndarray) -> np.ndarray:
    """Columns to zero mean and unit variance over all rows (constant columns to 0), float32."""
    x = np.asarray(x, dtype=np.float32)
    mean = x.mean(axis=0, dtype=np.float64)
    std = x.std(axis=0, dtype=np.float64)
    return ((x - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)


def check_labels(labels: np.ndarray, n_classes: int, names=None) -> np.ndarray:
    """Integer labels in [-1, n_classes) with at least one labeled row per class, or a
    ValueError naming the row (``names``: row keys) or the classes without one."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a 1-D integer array (-1 = unlabeled), got {labels.dtype} {labels.shape}")
    bad = np.flatnonzero((labels < -1) | (labels >= n_classes))
    if bad.size:
        i = int(bad[0])
        who = names[i] if names is not None else i
        raise ValueError(f"row {who!r}: label id {int(labels[i])} is outside [0, {n_classes}) "
                         f"({bad.size} such rows)")
    counts = np.bincount(labels[labels >= 0], minlength=n_classes)
    if (counts == 0).any():
        raise ValueError(f"no labeled row for class id(s) {np.flatnonzero(counts == 0).tolist()}: "
                         "label spreading can only give classes that some row carries")
    return labels.astype(np.int64, copy=False)


def propagate_labels(x: np.ndarray, labels: np.ndarray, n_classes: int, *, knn_spec: KnnSpec = KnnSpec(),
                     spread_spec: SpreadSpec = SpreadSpec(), min_confidence: float = 0.0,
                     scale: str = "none", keys=None) -> Propagation:
    """Spread ``labels`` (-1 = unlabeled) over the kNN graph of ``x`` ([n, d], finite).

    ``scale="standard"`` z-scores the feature columns first (over all rows).
    ``keys`` (optional, one per row) name rows in error messages. Raises ValueError on
    non-finite features, bad labels, a class without labeled rows or fewer than k + 1
    rows."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] != len(labels):
        raise ValueError(f"features {x.shape} and labels ({len(labels)}) do not match: need [n, d] and [n]")
    if x.shape[0] <= knn_spec.k:
        raise ValueError(f"{x.shape[0]} rows cannot have {knn_spec.k} neighbours each: "
                         f"need at least k + 1 = {knn_spec.k + 1} rows")
    finite = np.isfinite(x).all(axis=1)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        who = keys[i] if keys is not None else i
        raise ValueError(f"row {who!r}: features hold NaN or infinity ({int((~finite).sum())} such rows); "
                         "quarantine them first (propagate_frame does)")
    labels = check_labels(labels, n_classes, keys)
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if scale == "standard":
        x = standardize(x)
    if spread_spec.graph == "sklearn":
        if knn_spec.k < 2:
            raise ValueError("graph='sklearn' counts the row itself among its k neighbours: k must be >= 2")
        from dataclasses import replace

        nb = knn(x, replace(knn_spec, k=knn_spec.k - 1))
        s = normalize_symmetric(affinity(nb, spread_spec), degree_axis=0)
    else:
        nb = knn(x, knn_spec)
        s = normalize_symmetric(affinity(nb, spread_spec))
    result = spread(s, labels, n_classes, spread_spec)
    del s
    probs = result.probs
    confidence = probs.max(axis=1)
    label = probs.argmax(axis=1).astype(np.int64)
    gold = labels >= 0
    disagree = int((label[gold] != labels[gold]).sum())
    source = np.full(len(labels), PROPAGATED, dtype=np.int8)
    weak = (confidence < min_confidence) | (confidence <= 0)
    source[weak] = NONE
    label[weak] = -1
    source[gold] = GOLD
    label[gold] = labels[gold]
    probs32 = probs.astype(np.float32)
    probs32[gold] = 0.0
    probs32[gold, labels[gold]] = 1.0
    confidence = np.where(gold, 1.0, confidence).astype(np.float32)
    return Propagation(label=label, probs=probs32, confidence=confidence, source=source,
                       n_iter=result.n_iter, converged=result.converged, knn_method=nb.method,
                       missing_edges=nb.missing, gold_disagreements=disagree)
