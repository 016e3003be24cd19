"""k-means at any pool size and TypiClust's typicality.

k-means is fitted on at most ``sample`` examples (the first in the seeded key order) and
every example is then assigned to its nearest centre in chunks; small fits take the
best of 3 initialisations on one thread, large fits one initialisation on all threads."""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

__all__ = ["kmeans_labels", "typicality", "KMEANS_SAMPLE"]

KMEANS_SAMPLE = 20_000
CHUNK = 65_536
SMALL_FIT = 50_000_000


def kmeans_labels(X: np.ndarray, rows: np.ndarray, n_clusters: int, seed: int,
                  sample: int = KMEANS_SAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """Cluster ids of ``rows`` (given in key order) and the centres. The fit uses the
    first ``sample`` rows; clusters are renumbered by their centre's first member in key
    order, so ids do not depend on k-means' internal numbering."""
    fit_rows = rows[:sample]
    n_clusters = int(max(1, min(n_clusters, len(fit_rows))))
    # small fits: best of 3 initialisations, on one thread (OpenMP start-up and spinning
    # cost more than they save, and much more on a shared machine); large fits: one
    small = len(fit_rows) * n_clusters * X.shape[1] < SMALL_FIT
    with threadpool_limits(limits=1 if small else None), warnings.catch_warnings():
        # fewer distinct points than clusters (duplicates) is expected, not a problem
        warnings.simplefilter("ignore", ConvergenceWarning)
        km = KMeans(n_clusters=n_clusters, n_init=3 if small else 1, random_state=int(seed)).fit(X[fit_rows])
    labels = np.empty(len(rows), dtype=np.int64)
    labels[:len(fit_rows)] = km.labels_
    for start in range(len(fit_rows), len(rows), CHUNK):
        labels[start:start + CHUNK] = km.predict(X[rows[start:start + CHUNK]])
    first_seen = np.full(n_clusters, len(rows))
    np.minimum.at(first_seen, labels, np.arange(len(rows)))
    renumber = np.empty(n_clusters, dtype=np.int64)
    renumber[np.argsort(first_seen, kind="stable")] = np.arange(n_clusters)
    return renumber[labels], km.cluster_centers_[np.argsort(renumber)]


def typicality(X: np.ndarray, k: int) -> np.ndarray:
    """1 / mean distance to the ``k`` nearest other points (TypiClust's typicality)."""
    n = len(X)
    if n == 1:
        return np.ones(1)
    k = min(k, n - 1)
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    return 1.0 / (dist[:, 1:].mean(axis=1) + 1e-12)
