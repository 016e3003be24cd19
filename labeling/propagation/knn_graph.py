"""k nearest neighbours of every row, exact or approximate, with faiss.

``knn(x, spec)`` returns each row's ``k`` nearest other rows (itself excluded) and their
Euclidean distances as two ``[n, k]`` arrays: memory O(n * (d + k)), never O(n^2).

Methods (``spec.method``):

- ``exact``: brute force (``faiss.IndexFlatL2``: blocked matrix products, exact);
- ``ivf``: an inverted file (``faiss.IndexIVFFlat``): k-means cells trained on a seeded
  sample, ``ivf_probe`` cells searched per query;
- ``hnsw``: a hierarchical navigable small-world graph (``faiss.IndexHNSWFlat``), built
  on one thread (faiss' parallel insertion order is not reproducible), searched on
  ``threads``;
- ``auto``: ``exact`` up to ``exact_max_rows`` rows, ``ivf`` above (chosen by
  measurement: ``python -m benchmarks bench_knn``).

``metric="cosine"`` L2-normalises the rows first (for embeddings); distances are then
chordal, ``sqrt(2 - 2 cos)``, which orders neighbours as cosine does.
hnswlib is not used: it ships only as a source distribution here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KnnSpec", "Neighbors", "knn", "recall_at_k", "METHODS"]

METHODS = ("auto", "exact", "ivf", "hnsw")
METRICS = ("euclidean", "cosine")


@dataclass(frozen=True)
class KnnSpec:
    k: int = 7
    method: str = "auto"
    exact_max_rows: int = 50_000
    metric: str = "euclidean"
    ivf_lists: int = 0          # 0: about 2 * sqrt(n), at least 16 (at most n / 39)
    ivf_probe: int = 24
    ivf_train_rows: int = 64    # k-means training sample per list (bounded; seeded)
    hnsw_m: int = 32
    hnsw_ef_construction: int = 40
    hnsw_ef_search: int = 32
    seed: int = 0
    threads: int = 1

    def __post_init__(self):
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        if self.method not in METHODS:
            raise ValueError(f"knn method must be one of {METHODS}, got {self.method!r}")
        if self.metric not in METRICS:
            raise ValueError(f"knn metric must be one of {METRICS}, got {self.metric!r}")
        if self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")

    def method_for(self, n: int) -> str:
        if self.method != "auto":
            return self.method
        return "exact" if n <= self.exact_max_rows else "ivf"


@dataclass(frozen=True)
class Neighbors:
    indices: np.ndarray    # [n, k] int64, -1 where the search found fewer than k rows
    distances: np.ndarray  # [n, k] float32, Euclidean (inf where indices is -1)
    method: str

    @property
    def missing(self) -> int:
        return int((self.indices < 0).sum())


def _prepare(x: np.ndarray, metric: str) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"features must be a 2-D array [rows, dims], got shape {x.shape}")
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        x = x / np.where(norms > 0, norms, 1.0)
    return np.ascontiguousarray(x, dtype=np.float32)


def _build(x: np.ndarray, method: str, spec: KnnSpec):
    import faiss

    n, d = x.shape
    if method == "exact":
        index = faiss.IndexFlatL2(d)
    elif method == "ivf":
        lists = spec.ivf_lists or max(16, int(round(2 * np.sqrt(n))))
        lists = max(1, min(lists, n // 39))  # faiss wants >= 39 training rows per list
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, lists)
        index.cp.seed = int(spec.seed)
        sample = min(n, spec.ivf_train_rows * lists)
        rows = np.sort(np.random.default_rng(spec.seed).choice(n, sample, replace=False))
        index.cp.max_points_per_centroid = spec.ivf_train_rows
        index.train(x[rows])
        index.nprobe = min(spec.ivf_probe, lists)
    elif method == "hnsw":
        index = faiss.IndexHNSWFlat(d, spec.hnsw_m)
        index.hnsw.efConstruction = spec.hnsw_ef_construction
        faiss.omp_set_num_threads(1)  # reproducible insertion
    else:
        raise AssertionError(method)
    index.add(x)
    if method == "hnsw":
        index.hnsw.efSearch = max(spec.hnsw_ef_search, spec.k + 1)
    return index


def _drop_self(indices: np.ndarray, distances: np.ndarray, k: int):
    """Remove each row's own index (or, when the search did not return it, the last
    of the k + 1 results), keeping the order of the rest."""
    n = indices.shape[0]
    is_self = indices == np.arange(n)[:, None]
    keep = ~is_self
    # a row may appear once at most; rows whose search missed themselves drop the last
    keep[~is_self.any(axis=1), -1] = False
    return indices[keep].reshape(n, k), distances[keep].reshape(n, k)


def knn(x: np.ndarray, spec: KnnSpec = KnnSpec()) -> Neighbors:
    """The ``spec.k`` nearest other rows of every row of ``x`` ([n, d], finite)."""
    import faiss

    x = _prepare(x, spec.metric)
    n = x.shape[0]
    if n <= spec.k:
        raise ValueError(f"{n} rows cannot have {spec.k} neighbours each: need at least k + 1 = {spec.k + 1} rows")
    method = spec.method_for(n)
    previous = faiss.omp_get_max_threads()
    try:
        faiss.omp_set_num_threads(spec.threads)
        index = _build(x, method, spec)
        faiss.omp_set_num_threads(spec.threads)
        sq, idx = index.search(x, spec.k + 1)
    finally:
        faiss.omp_set_num_threads(previous)
    idx, sq = _drop_self(idx.astype(np.int64, copy=False), sq, spec.k)
    dist = np.sqrt(np.maximum(sq, 0.0, out=sq), out=sq)
    dist[idx < 0] = np.inf
    return Neighbors(indices=idx, distances=dist.astype(np.float32, copy=False), method=method)


def recall_at_k(approx: np.ndarray, exact: np.ndarray) -> float:
    """Share of the exact neighbours (rows of ``exact``) that ``approx`` found."""
    approx, exact = np.asarray(approx), np.asarray(exact)
    k = exact.shape[1]
    hits = sum(np.isin(exact[i], approx[i]).sum() for i in range(exact.shape[0]))
    return float(hits) / (exact.shape[0] * k)
