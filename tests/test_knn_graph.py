"""kNN graph core: exact search against scikit-learn, approximate recall, determinism,
self-exclusion, bad input."""
import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.neighbors import NearestNeighbors

from datalife.labeling.propagation.knn_graph import KnnSpec, knn, recall_at_k


@pytest.fixture(scope="module")
def blobs():
    x, _ = make_blobs(n_samples=4000, n_features=16, centers=10, cluster_std=4.0, random_state=0)
    return x.astype(np.float32)


def test_exact_matches_sklearn(blobs):
    nb = knn(blobs, KnnSpec(k=7, method="exact"))
    d, i = NearestNeighbors(n_neighbors=8).fit(blobs).kneighbors(blobs)
    assert nb.method == "exact"
    assert nb.indices.shape == (4000, 7) and nb.indices.dtype == np.int64
    np.testing.assert_array_equal(nb.indices, i[:, 1:])
    np.testing.assert_allclose(nb.distances, d[:, 1:], rtol=1e-4, atol=1e-4)
    assert recall_at_k(nb.indices, i[:, 1:]) == 1.0


def test_cosine_orders_as_sklearn_cosine(blobs):
    x = blobs + 30.0  # away from the origin so cosine differs from Euclidean
    nb = knn(x, KnnSpec(k=5, method="exact", metric="cosine"))
    _, i = NearestNeighbors(n_neighbors=6, metric="cosine", algorithm="brute").fit(x).kneighbors(x)
    assert recall_at_k(nb.indices, i[:, 1:]) > 0.999


@pytest.mark.parametrize("method", ["ivf", "hnsw"])
def test_approximate_recall_and_determinism(blobs, method):
    exact = knn(blobs, KnnSpec(k=7, method="exact")).indices
    spec = KnnSpec(k=7, method=method, seed=3)
    a, b = knn(blobs, spec), knn(blobs, spec)
    assert a.method == method
    assert recall_at_k(a.indices, exact) > 0.95
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.distances, b.distances)


@pytest.mark.parametrize("method", ["ivf", "hnsw"])
def test_approximate_graphs_do_not_depend_on_threads(blobs, method):
    a = knn(blobs, KnnSpec(k=7, method=method, threads=1))
    b = knn(blobs, KnnSpec(k=7, method=method, threads=2))
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.distances, b.distances)


def test_auto_switches_on_size(blobs):
    assert knn(blobs, KnnSpec(exact_max_rows=4000)).method == "exact"
    assert knn(blobs, KnnSpec(exact_max_rows=3999)).method == "ivf"


def test_duplicates_never_list_the_row_itself():
    x = np.repeat(np.arange(20, dtype=np.float32)[:, None], 3, axis=0)  # every point three times
    nb = knn(x, KnnSpec(k=4, method="exact"))
    assert not (nb.indices == np.arange(60)[:, None]).any()
    # each row's two copies are at distance 0, first
    np.testing.assert_array_equal(nb.distances[:, :2], 0.0)
    assert all(set(nb.indices[i, :2]) == {j for j in range(3 * (i // 3), 3 * (i // 3) + 3)} - {i}
               for i in range(60))


def test_fewer_rows_than_k_is_a_clear_error():
    with pytest.raises(ValueError, match="5 rows cannot have 7 neighbours"):
        knn(np.zeros((5, 2), np.float32), KnnSpec(k=7))


@pytest.mark.parametrize("kwargs, message", [
    (dict(k=0), "k must be >= 1"),
    (dict(method="annoy"), "knn method must be one of"),
    (dict(metric="manhattan"), "knn metric must be one of"),
    (dict(threads=0), "threads must be >= 1"),
])
def test_bad_spec(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KnnSpec(**kwargs)
