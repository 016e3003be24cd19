"""Active learning selection core: scores against scikit-activeml's functions (oracle),
hand-computed cases, and the same checks over every registered strategy (determinism,
row-order independence, no near-duplicates, bad input)."""
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from datalife.labeling.active.committee import bootstrap_rows, mean_kl, vote_entropy
from datalife.labeling.active.diversity import typicality
from datalife.labeling.active.hybrid import diversity_share
from datalife.labeling.active.order import key_hashes
from datalife.labeling.active.ranking import NearDuplicateGuard, near_duplicate_radius, walk
from datalife.labeling.active.regions import allocate
from datalife.labeling.active.select import STRATEGIES, SelectionError, make_pool, select, strategy_parameters
from datalife.labeling.active.strategies import uncertainty_scores


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = X[:600] / 16.0
    y = y[:600]
    labels = np.full(len(y), -1)
    rng = np.random.default_rng(0)
    start = rng.choice(len(y), 40, replace=False)
    labels[start] = y[start]
    return X, y, labels


# --- scores against the oracle ------------------------------------------------------

def test_uncertainty_scores_match_scikit_activeml():
    from skactiveml.pool import uncertainty_scores as sk_scores

    rng = np.random.default_rng(1)
    p = rng.dirichlet(np.ones(5), size=200)
    for ours, theirs in (("least_confidence", "least_confident"), ("margin", "margin_sampling"),
                         ("entropy", "entropy")):
        np.testing.assert_allclose(uncertainty_scores(p, ours), sk_scores(p, method=theirs), atol=1e-12)


def test_uncertainty_scores_by_hand():
    p = np.array([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(uncertainty_scores(p, "least_confidence"), [0.5, 0.0])
    np.testing.assert_allclose(uncertainty_scores(p, "margin"), [0.8, 0.0])
    h = -(0.5 * np.log(0.5) + 0.3 * np.log(0.3) + 0.2 * np.log(0.2))
    np.testing.assert_allclose(uncertainty_scores(p, "entropy"), [h, 0.0])


def test_committee_scores_match_scikit_activeml():
    from skactiveml.pool import average_kl_divergence, vote_entropy as sk_vote_entropy

    rng = np.random.default_rng(2)
    probas = rng.dirichlet(np.ones(4), size=(7, 100))
    np.testing.assert_allclose(mean_kl(probas), average_kl_divergence(probas.copy()), atol=1e-10)
    votes = rng.integers(0, 4, size=(7, 100))
    np.testing.assert_allclose(vote_entropy(votes, 4), sk_vote_entropy(votes.T, classes=np.arange(4)), atol=1e-12)
    # by hand: 7 members split 4 / 3 between two classes
    np.testing.assert_allclose(vote_entropy(np.array([[0], [0], [0], [0], [1], [1], [1]]), 3),
                               [-(4 / 7) * np.log(4 / 7) - (3 / 7) * np.log(3 / 7)])


def test_bootstrap_is_stratified_and_seeded():
    y = np.array([0] * 5 + [1] * 3 + [2] * 1 + [-1] * 4)
    rows = np.flatnonzero(y >= 0)
    a = bootstrap_rows(rows, y, seed=3, member=0)
    assert np.array_equal(a, bootstrap_rows(rows, y, seed=3, member=0))
    assert not np.array_equal(a, bootstrap_rows(rows, y, seed=3, member=1))
    assert np.bincount(y[a], minlength=3).tolist() == [5, 3, 1]  # every class, its own count


def test_typicality_matches_scikit_activeml():
    from skactiveml.pool._typi_clust import _typicality

    X = np.random.default_rng(4).normal(size=(60, 3))
    np.testing.assert_allclose(typicality(X, 5), _typicality(X, np.arange(60), 5), rtol=1e-5)


def test_allocate_by_hand():
    assert allocate(np.array([5.0, 3.0, 2.0]), np.array([10, 10, 10]), 10).tolist() == [5, 3, 2]
    assert allocate(np.array([5.0, 3.0, 2.0]), np.array([1, 10, 10]), 10).tolist() == [1, 5, 4]  # 4 left, 3:2
    assert allocate(np.ones(20), np.full(20, 50), 10).tolist() == [1] * 10 + [0] * 10  # largest remainder, ties low
    assert allocate(np.zeros(3), np.array([1, 2, 3]), 4).tolist() == [1, 2, 1]  # no uncertainty: spread evenly
    assert allocate(np.array([1.0, 1.0]), np.array([2, 1]), 10).tolist() == [2, 1]  # capped by capacity


def test_diversity_share_schedule():
    # default: all diversity up to 4 labels per class, falling linearly to none at 6
    assert diversity_share(10, 10) == 1.0 and diversity_share(40, 10) == 1.0 and diversity_share(60, 10) == 0.0
    assert diversity_share(50, 10) == pytest.approx(0.5) and diversity_share(45, 10) == pytest.approx(0.75)
    assert diversity_share(40, 10, low=2, high=6) == pytest.approx(0.5)


def test_walk_is_best_first_with_hash_ties():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.2] * 1000)
    tie = np.arange(len(scores))[::-1].astype(np.uint64)
    got = list(walk(scores, tie, first=10))
    assert len(got) == len(scores) and sorted(got) == list(range(len(scores)))
    expected = np.lexsort((tie, -scores))
    assert got == expected.tolist()


def test_key_hashes_depend_on_seed_and_key_only():
    a = key_hashes(np.array(["a", "b", "c"], dtype=object), 1)
    assert np.array_equal(a, key_hashes(["a", "b", "c"], 1))
    assert np.array_equal(a[::-1], key_hashes(["c", "b", "a"], 1))
    assert not np.array_equal(a, key_hashes(["a", "b", "c"], 2))


# --- every strategy -------------------------------------------------------------------

ALL = sorted(STRATEGIES)


@pytest.mark.parametrize("strategy", ALL)
def test_strategy_contract(strategy, digits):
    X, y, labels = digits
    keys = [f"ex{i:04d}" for i in range(len(X))]
    batch = select(X, labels, keys=keys, strategy=strategy, batch_size=12, seed=7, classes=list(range(10)))
    assert len(batch) == 12 and batch["rank"].tolist() == list(range(1, 13))
    assert batch["key"].is_unique and (labels[batch["row"]] == -1).all()
    assert batch["reason"].map(lambda r: isinstance(r, str) and len(r) > 20).all()
    assert np.isfinite(batch["score"]).all()
    # same seed, same batch; and the same whatever the row order
    again = select(X, labels, keys=keys, strategy=strategy, batch_size=12, seed=7, classes=list(range(10)))
    assert again["key"].tolist() == batch["key"].tolist()
    perm = np.random.default_rng(0).permutation(len(X))
    shuffled = select(X[perm], labels[perm], keys=np.asarray(keys)[perm], strategy=strategy, batch_size=12, seed=7,
                      classes=list(range(10)))
    assert shuffled["key"].tolist() == batch["key"].tolist()
    assert np.allclose(shuffled["score"], batch["score"])
    # no near-duplicates within the batch
    radius = batch.attrs["summary"]["near_duplicate_radius"]
    Z = X[batch["row"]]
    d = np.sqrt(((Z[:, None] - Z[None]) ** 2).sum(-1))[np.triu_indices(len(Z), 1)]
    assert d.min() > radius > 0


@pytest.mark.parametrize("strategy", ALL)
def test_planted_duplicates_never_share_a_batch(strategy, digits):
    """30 copies (tiny jitter) of each of 5 examples: a top-k selector takes copies of
    the same example; ours takes at most one of each group."""
    X, y, labels = digits
    rng = np.random.default_rng(5)
    base = X[np.flatnonzero(labels < 0)[:5]]
    copies = np.repeat(base, 30, axis=0) + rng.normal(0, 1e-3, (150, X.shape[1]))
    Xd = np.vstack([X, copies])
    ld = np.concatenate([labels, np.full(150, -1)])
    batch = select(Xd, ld, strategy=strategy, batch_size=20, seed=1, classes=list(range(10)))
    group = np.where(batch["row"] >= len(X), (batch["row"] - len(X)) // 30, -1 - np.arange(len(batch)))
    assert pd.Series(group).value_counts().max() == 1
    assert len(batch) == 20


@pytest.mark.parametrize("top", [0, 5])
def test_margin_top_k_would_pick_duplicates(top):
    """Ten exact copies of the most uncertain example would fill a plain top-k batch:
    plain top-k (top=0) skips them by the near-duplicate rule (counted), diverse top-k
    puts them in one cluster, which gives one example."""
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    labels = np.full(300, -1)
    labels[:30] = y[:30]
    first = select(X, labels, strategy="margin", batch_size=1, seed=0, classes=list(range(10)))
    best = X[first["row"].iloc[0]]
    Xd = np.vstack([X, np.repeat(best[None], 10, axis=0)])
    ld = np.concatenate([labels, np.full(10, -1)])
    batch = select(Xd, ld, strategy="margin", batch_size=5, seed=0, classes=list(range(10)), top=top)
    chosen = set(batch["row"])
    assert len(batch) == 5 and len(chosen & (set(range(300, 310)) | {first["row"].iloc[0]})) == 1
    if top == 0:
        assert batch.attrs["summary"]["near_duplicates_skipped"] == 10


def test_hybrid_phases(digits):
    X, y, labels = digits
    lab60 = np.where(np.arange(len(y)) < 60, y, -1)  # 6 labels per class: margin only
    late = select(X, lab60, strategy="hybrid", batch_size=10, seed=0, classes=list(range(10)))
    assert late.attrs["summary"]["margin_picks"] == 10 and late["reason"].str.startswith("margin phase").all()
    lab50 = np.where(np.arange(len(y)) < 50, y, -1)  # 5 per class: halfway from 4 to 6, half and half
    mid = select(X, lab50, strategy="hybrid", batch_size=10, seed=0, classes=list(range(10)))
    assert mid.attrs["summary"]["diversity_picks"] == 5 and mid.attrs["summary"]["margin_picks"] == 5
    assert mid["reason"].str.startswith("diversity phase (50%").sum() == 5
    lab20 = np.where(np.arange(len(y)) < 20, y, -1)
    early = select(X, lab20, strategy="hybrid", batch_size=10, seed=0, classes=list(range(10)))
    assert early.attrs["summary"]["diversity_picks"] == 10
    assert early["reason"].str.contains("uncertainty").all()  # uncertainty-weighted TypiClust
    one_class = np.where(y == 3, 3, -1)
    one_class[np.flatnonzero(y == 3)[3:]] = -1
    cold = select(X, one_class, strategy="hybrid", batch_size=5, seed=0, classes=list(range(10)))
    assert cold["reason"].str.contains("fewer than two classes labeled").all()
    assert "TypiClust covers" in cold["reason"].iloc[0]


def test_regions_spread_the_batch(digits):
    X, y, labels = digits
    batch = select(X, labels, strategy="regions", batch_size=12, seed=0, classes=list(range(10)), n_regions=6)
    assert batch["group"].nunique() >= 2
    assert batch["reason"].str.match(r"region \d+ of 6").all()


def test_registry_declarations(digits):
    """Declared capabilities hold: model-free strategies work from labels of one class
    (or none), model-based ones refuse with the message; declared references are the
    benchmark's counterparts; declared parameters are accepted."""
    from benchmarks.active_reference import COUNTERPARTS

    X, y, _ = digits
    one = np.where(np.arange(len(y)) < 3, 0, -1)
    for name, s in STRATEGIES.items():
        if s.needs_model:
            with pytest.raises(SelectionError, match="needs labeled examples of at least two classes"):
                select(X, one, strategy=name, batch_size=3, classes=list(range(10)))
        else:
            assert len(select(X, one, strategy=name, batch_size=3, classes=list(range(10)))) == 3
            assert len(select(X, None, strategy=name, batch_size=3, classes=list(range(10)))) == 3
        assert (name in COUNTERPARTS) == bool(s.reference)
    assert strategy_parameters("margin") == {"top": 5}
    assert strategy_parameters("hybrid") == {"low": 4.0, "high": 6.0, "gamma": 2.0, "k": 20, "top": 10}


# --- API and bad input --------------------------------------------------------------------

def test_dataframe_api_feature_and_embedding_columns(digits):
    X, y, labels = digits
    df = pd.DataFrame({"id": [f"k{i}" for i in range(len(X))], "emb": list(X),
                       "label": pd.Series(np.where(labels >= 0, labels.astype(str), None), dtype=object)})
    a = select(df, key_column="id", features="emb", strategy="margin", batch_size=5, seed=0,
               classes=[str(c) for c in range(10)])
    wide = pd.DataFrame(X, columns=[f"px{j}" for j in range(X.shape[1])])
    wide["label"] = df["label"]
    wide.index = df["id"]
    b = select(wide, strategy="margin", batch_size=5, seed=0, classes=[str(c) for c in range(10)])
    assert a["key"].tolist() == b["key"].tolist()
    assert list(a.columns) == ["rank", "key", "row", "strategy", "score", "reason", "group", "predicted", "confidence"]
    assert set(a["predicted"]) <= {str(c) for c in range(10)}
    s = a.attrs["summary"]
    assert s["rows_in"] == s["labeled"] + s["unlabeled"] + s["quarantined"] == len(X)
    assert sum(s["batch_predicted_class_counts"].values()) == 5


def test_non_finite_features_are_quarantined_and_counted(digits):
    X, y, labels = digits
    Xb = X.copy()
    Xb[[3, 5, 7]] = np.nan
    Xb[9, 0] = np.inf
    batch = select(Xb, labels, strategy="margin", batch_size=5, seed=0, classes=list(range(10)))
    s = batch.attrs["summary"]
    assert s["quarantined"] == 4 and s["quarantine_reasons"] == {"non_finite_features": 4}
    assert batch.attrs["quarantine"]["row"].tolist() == [3, 5, 7, 9]
    assert s["rows_in"] == len(X) == s["labeled"] + s["unlabeled"] + 4
    assert not set(batch["row"]) & {3, 5, 7, 9}


def test_bad_input_messages(digits):
    X, y, labels = digits
    n_unl = int((labels < 0).sum())
    with pytest.raises(SelectionError, match=rf"batch_size {n_unl + 1} is larger than the unlabeled pool \({n_unl}"):
        select(X, labels, strategy="margin", batch_size=n_unl + 1, classes=list(range(10)))
    whole = select(X[:60], labels[:60], strategy="random", batch_size=100, allow_partial_batch=True,
                   classes=list(range(10)))
    assert len(whole) == int((labels[:60] < 0).sum())
    one = np.where(y == 4, 4, -1)
    with pytest.raises(SelectionError, match=r"strategy 'margin' trains a classifier .* labels cover 1 \(4\)"):
        select(X, one, strategy="margin", batch_size=5, classes=list(range(10)))
    with pytest.raises(SelectionError, match=r"strategy: unknown 'marginal'; expected one of"):
        select(X, labels, strategy="marginal")
    with pytest.raises(SelectionError, match=r"strategy 'margin' takes no parameter 'k'"):
        select(X, labels, strategy="margin", k=3, classes=list(range(10)))
    with pytest.raises(SelectionError, match=r"keys: 1 keys occur more than once \(first: \['a'\]\)"):
        select(X[:3], [0, 1, -1], keys=["a", "a", "b"], strategy="random", batch_size=1)
    with pytest.raises(SelectionError, match=r"example '1' with 'dog'"):
        select(X[:3], ["cat", "dog", None], strategy="random", batch_size=1, classes=["cat"])
    with pytest.raises(SelectionError, match=r"classifier: cannot import 'sklearn.nope.Model'"):
        select(X, labels, strategy="margin", batch_size=2, classifier="sklearn.nope.Model", classes=list(range(10)))
    with pytest.raises(SelectionError, match=r"needs fit\(\) and predict_proba\(\)"):
        select(X, labels, strategy="margin", batch_size=2, classifier="sklearn.svm.LinearSVC", classes=list(range(10)))
    with pytest.raises(SelectionError, match="no unlabeled example left"):
        select(X[:5], y[:5], strategy="random", batch_size=1)


def test_any_classifier_by_dotted_path(digits):
    X, y, labels = digits
    batch = select(X, labels, strategy="entropy", batch_size=4, seed=0, classes=list(range(10)),
                   classifier="sklearn.ensemble.RandomForestClassifier", classifier_params={"n_estimators": 20})
    assert batch.attrs["summary"]["classifier"] == "sklearn.ensemble.RandomForestClassifier"
    assert len(batch) == 4


def test_classes_missing_from_labels_get_zero_probability():
    pool, _, _ = make_pool(np.random.default_rng(0).normal(size=(30, 2)), [0, 1] * 5 + [-1] * 20,
                           classes=[0, 1, 2])
    assert pool.proba.shape == (20, 3) and np.all(pool.proba[:, 2] == 0)
    np.testing.assert_allclose(pool.proba.sum(axis=1), 1.0, rtol=1e-5)


def test_near_duplicate_radius_and_guard():
    X = np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0], [6.0, 8.0]])
    # pairs (0, 2) and (1, 3) in key order: distances 0 and 5, median 2.5
    assert near_duplicate_radius(X, np.array([0, 1, 2, 3]), fraction=0.1) == pytest.approx(0.25)
    g = NearDuplicateGuard(X, 0.5)
    assert g.take(np.arange(4), iter([0, 2, 1, 3]), 3) == [0, 1, 3] and g.skipped == 1


def test_projection_picture(tmp_path, digits):
    from PIL import Image

    from datalife.labeling.active.projection import plot_selection

    X, y, labels = digits
    batch = select(X, labels, strategy="hybrid", batch_size=10, seed=0, classes=list(range(10)))
    path = plot_selection(X, labels, batch["row"].to_numpy(), str(tmp_path / "batch.png"), classes=list(range(10)))
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == (770, 660)
        px = np.asarray(im.convert("RGB"))
    assert (px.reshape(-1, 3) == 0).all(axis=1).sum() > 100  # the black rings of the selection are drawn
