"""Label spreading core: scikit-learn's LabelSpreading as oracle, Zhou's closed form by
hand, real handwritten digits, determinism, outputs and bad input."""
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_digits, make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import kneighbors_graph
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading

from datalife.labeling.propagation.knn_graph import KnnSpec, Neighbors, knn
from datalife.labeling.propagation.spreading import (GOLD, NONE, PROPAGATED, SpreadSpec, affinity, normalize_symmetric,
                                           propagate_labels)

EXACT = KnnSpec(k=7, method="exact")


def _some_labels(y, share, seed):
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(y), int(round(share * len(y))), replace=False)
    labels = np.full(len(y), -1)
    labels[idx] = y[idx]
    return labels


@pytest.mark.parametrize("data", ["blobs", "breast_cancer"])
@pytest.mark.parametrize("alpha", [0.2, 0.9])
def test_sklearn_graph_gives_sklearn_labels(data, alpha):
    if data == "blobs":
        x, y = make_blobs(3000, n_features=16, centers=5, cluster_std=5.0, random_state=0)
    else:
        x, y = load_breast_cancer(return_X_y=True)
        x = StandardScaler().fit_transform(x)
    labels = _some_labels(y, 0.1, 1)
    ref = LabelSpreading(kernel="knn", n_neighbors=7, alpha=alpha, max_iter=1000, tol=1e-10).fit(x, labels)
    ours = propagate_labels(x, labels, y.max() + 1, knn_spec=EXACT,
                            spread_spec=SpreadSpec(alpha=alpha, graph="sklearn", tol=1e-12, max_iter=1000))
    assert ours.converged
    np.testing.assert_array_equal(ours.label, ref.transduction_)
    unlabeled = labels < 0
    np.testing.assert_allclose(ours.probs[unlabeled], ref.label_distributions_[unlabeled], atol=1e-6)


def test_symmetric_graph_matches_zhou_closed_form():
    """F* = (1 - alpha) (I - alpha S)^-1 Y with S built densely from sklearn's kNN graph."""
    x, y = make_blobs(300, n_features=4, centers=3, cluster_std=2.5, random_state=2)
    labels = _some_labels(y, 0.1, 0)
    a = kneighbors_graph(x, 5, mode="connectivity", include_self=False).toarray()
    w = (a + a.T) / 2
    d = 1 / np.sqrt(w.sum(axis=1))
    s = d[:, None] * w * d[None, :]
    yy = np.zeros((300, 3))
    yy[labels >= 0, labels[labels >= 0]] = 1
    f = np.linalg.solve(np.eye(300) - 0.9 * s, 0.1 * yy)
    expected = f / f.sum(axis=1, keepdims=True)
    ours = propagate_labels(x, labels, 3, knn_spec=KnnSpec(k=5, method="exact"),
                            spread_spec=SpreadSpec(alpha=0.9, weights="connectivity", tol=1e-12, max_iter=2000))
    unlabeled = labels < 0
    np.testing.assert_allclose(ours.probs[unlabeled], expected[unlabeled], atol=1e-6)


def test_heat_weights_by_hand():
    # points 0, 1, 3, 7 on a line, k = 2: neighbours and local scales (distance to the 2nd)
    x = np.array([[0.0], [1.0], [3.0], [7.0]], np.float32)
    nb = knn(x, KnnSpec(k=2, method="exact"))
    np.testing.assert_array_equal(nb.indices, [[1, 2], [0, 2], [1, 0], [2, 1]])
    s = np.array([3.0, 2.0, 3.0, 6.0])
    a = np.zeros((4, 4))
    for i in range(4):
        for j in nb.indices[i]:
            a[i, j] = np.exp(-(x[i, 0] - x[j, 0]) ** 2 / (s[i] * s[j]))
    np.testing.assert_allclose(affinity(nb).toarray(), (a + a.T) / 2, rtol=1e-6)
    assert affinity(nb, SpreadSpec(weights="connectivity")).toarray()[3, 0] == 0.0


def test_normalisation_and_memory_are_sparse():
    x, _ = make_blobs(2000, n_features=8, random_state=0)
    nb = knn(x, EXACT)
    w = affinity(nb)
    assert sp.issparse(w) and w.nnz <= 2 * 2000 * 7
    s = normalize_symmetric(w)
    assert s.diagonal().max() == 0
    np.testing.assert_allclose((s - s.T).toarray(), 0, atol=1e-12)
    deg = np.asarray(w.sum(axis=1)).ravel()
    i, j = s.nonzero()
    np.testing.assert_allclose(s[i, j].A1, w[i, j].A1 / np.sqrt(deg[i] * deg[j]))


def test_digits_180_labels_beat_sklearn_and_a_classifier():
    """load_digits, 180 random labeled images, accuracy on the other 1,617, 10 seeds,
    all measured in the same run."""
    x, y = load_digits(return_X_y=True)
    acc = {"ours": [], "sklearn_knn": [], "sklearn_rbf": [], "logreg": []}
    for seed in range(10):
        labels = np.full(len(y), -1)
        idx = np.random.default_rng(seed).choice(len(y), 180, replace=False)
        labels[idx] = y[idx]
        un = labels < 0
        ours = propagate_labels(x, labels, 10, knn_spec=EXACT)
        acc["ours"].append((ours.label[un] == y[un]).mean())
        for kernel, kw in (("knn", {}), ("rbf", {"gamma": 0.25})):
            ref = LabelSpreading(kernel=kernel, **kw).fit(x, labels)
            acc[f"sklearn_{kernel}"].append((ref.transduction_[un] == y[un]).mean())
        lr = LogisticRegression(max_iter=5000).fit(x[idx], y[idx])
        acc["logreg"].append((lr.predict(x[un]) == y[un]).mean())
    mean = {k: float(np.mean(v)) for k, v in acc.items()}
    print("digits, 180 labels, 10 seeds:", {k: round(v, 4) for k, v in mean.items()})
    assert mean["ours"] >= 0.97
    assert mean["ours"] > mean["sklearn_knn"] and mean["ours"] > mean["logreg"]


def test_same_seed_same_result_on_the_approximate_path():
    x, y = make_blobs(6000, n_features=16, centers=6, cluster_std=4.0, random_state=4)
    labels = _some_labels(y, 0.02, 0)
    spec = KnnSpec(k=7, method="ivf", seed=5)
    a = propagate_labels(x, labels, 6, knn_spec=spec)
    b = propagate_labels(x, labels, 6, knn_spec=spec)
    assert a.knn_method == "ivf"
    np.testing.assert_array_equal(a.probs, b.probs)
    np.testing.assert_array_equal(a.label, b.label)
    exact = propagate_labels(x, labels, 6, knn_spec=KnnSpec(k=7, method="exact"))
    assert (a.label == exact.label).mean() > 0.99


def test_outputs_sources_and_threshold():
    # two clusters, each with one label, and an unlabeled island far away
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (50, 2)), rng.normal(20, 1, (50, 2)), rng.normal(1000, 1, (10, 2))])
    labels = np.full(110, -1)
    labels[0], labels[50] = 0, 1
    p = propagate_labels(x, labels, 2, knn_spec=KnnSpec(k=5, method="exact"), min_confidence=0.6)
    assert p.source[0] == GOLD and p.source[50] == GOLD
    np.testing.assert_array_equal(p.probs[[0, 50]], [[1, 0], [0, 1]])
    assert (p.label[1:50] == 0).all() and (p.label[51:100] == 1).all()
    assert (p.source[1:100][p.source[1:100] != GOLD] == PROPAGATED).all()
    # the island is a separate component: no label reaches it
    assert (p.source[100:] == NONE).all() and (p.label[100:] == -1).all()
    np.testing.assert_array_equal(p.probs[100:], 0)
    assert list(p.source_names()[[0, 1, 100]]) == ["gold", "propagated", "none"]
    np.testing.assert_allclose(p.probs[:100].sum(axis=1), 1, atol=1e-6)


def test_disagreeing_gold_rows_are_counted():
    x, y = make_blobs(500, n_features=2, centers=[[0, 0], [10, 10]], cluster_std=1, random_state=0)
    labels = _some_labels(y, 0.2, 0)
    wrong = np.flatnonzero(labels >= 0)[:3]
    labels[wrong] = 1 - labels[wrong]
    p = propagate_labels(x, labels, 2, knn_spec=EXACT)
    assert p.gold_disagreements == 3
    np.testing.assert_array_equal(p.label[wrong], labels[wrong])  # gold stays gold


@pytest.mark.parametrize("case, message", [
    ("nan", "row 'k3': features hold NaN"),
    ("label", "row 'k4': label id 7 is outside"),
    ("class", r"no labeled row for class id\(s\) \[2\]"),
    ("rows", "5 rows cannot have 7 neighbours"),
])
def test_bad_input_is_a_clear_error(case, message):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    labels = np.full(40, -1)
    labels[:6] = [0, 1, 2, 0, 1, 2]
    keys = [f"k{i}" for i in range(40)]
    if case == "nan":
        x[3, 1] = np.nan
    elif case == "label":
        labels[4] = 7
    elif case == "class":
        labels[[2, 5]] = -1
    elif case == "rows":
        x, labels, keys = x[:5], labels[:5], keys[:5]
    with pytest.raises(ValueError, match=message):
        propagate_labels(x, labels, 3, knn_spec=EXACT, keys=keys)


@pytest.mark.parametrize("kwargs, message", [
    (dict(alpha=1.0), r"alpha must be in \(0, 1\)"),
    (dict(graph="dense"), "graph must be one of"),
    (dict(weights="gauss"), "weights must be one of"),
    (dict(tol=0), "tol must be > 0"),
])
def test_bad_spread_spec(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SpreadSpec(**kwargs)


def test_missing_neighbours_are_dropped_edges():
    nb = Neighbors(indices=np.array([[1, -1], [0, -1], [1, 0]]),
                   distances=np.array([[1, np.inf], [1, np.inf], [1, 2]], np.float32), method="ivf")
    w = affinity(nb, SpreadSpec(weights="connectivity")).toarray()
    np.testing.assert_allclose(w, [[0, 1, 0.5], [1, 0, 0.5], [0.5, 0.5, 0]])
    assert nb.missing == 2
