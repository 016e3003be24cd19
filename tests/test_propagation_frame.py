"""The DataFrame API: quarantine and accounting, clear errors naming key and field,
held-out accuracy, order independence, embeddings in a column."""
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from datalife.labeling.propagation.knn_graph import KnnSpec
from datalife.labeling.propagation.spreading import propagate_labels
from datalife.labeling.propagation.frame import holdout_mask, propagate_frame

NAMES = np.array(["setosa", "versicolor", "virginica"])
EXACT = KnnSpec(k=7, method="exact")


@pytest.fixture()
def iris():
    x, y = load_iris(return_X_y=True)
    df = pd.DataFrame(x, columns=["sl", "sw", "pl", "pw"])
    df["id"] = [f"r{i:03d}" for i in range(150)]
    df["truth"] = NAMES[y]
    idx = np.random.default_rng(0).choice(150, 45, replace=False)
    df["label"] = None
    df.loc[idx, "label"] = NAMES[y[idx]]
    return df


def test_quarantine_accounts_for_every_row(iris):
    df = iris.astype({"sw": object})
    df.loc[5, "sl"] = np.nan
    df.loc[7, "sw"] = None
    df.loc[9, "sw"] = "n/a"
    df.loc[11, "pl"] = np.inf
    r = propagate_frame(df, features=["sl", "sw", "pl", "pw"], key="id", knn=EXACT)
    s = r.summary
    assert (s["rows_in"], s["rows_out"], s["rows_quarantined"]) == (150, 146, 4)
    assert r.quarantine.to_dict("records") == [
        {"key": "r005", "field": "sl", "reason": "missing_feature", "detail": "missing feature value"},
        {"key": "r007", "field": "sw", "reason": "missing_feature", "detail": "missing feature value"},
        {"key": "r009", "field": "sw", "reason": "non_numeric_feature", "detail": "non-numeric feature value 'n/a'"},
        {"key": "r011", "field": "pl", "reason": "non_finite_feature", "detail": "non-finite feature value inf"},
    ]
    assert s["quarantine_reasons"] == {"missing_feature": 2, "non_numeric_feature": 1, "non_finite_feature": 1}
    assert s["gold"] + s["propagated"] + s["none"] == 146
    assert list(r.rows.index) == [i for i in range(150) if i not in (5, 7, 9, 11)]


def test_outputs_counts_and_accuracy(iris):
    r = propagate_frame(iris, features=["sl", "sw", "pl", "pw"], key="id", knn=EXACT, min_confidence=0.0)
    rows = r.rows
    assert {"label", "label_id", "label_probs", "label_confidence", "label_source"} <= set(rows.columns)
    assert (rows["label"] == rows["truth"]).mean() > 0.93
    gold = rows["label_source"] == "gold"
    assert gold.sum() == 45 and (rows.loc[gold, "label_confidence"] == 1).all()
    probs = np.stack(rows["label_probs"].to_numpy())
    assert probs.shape == (150, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
    counts = r.class_counts.set_index("class")
    assert counts["labeled_before"].sum() == 45 and counts["labeled_after"].sum() == 150
    assert (counts["propagated"] == counts["labeled_after"] - counts["labeled_before"]).all()
    hist = r.summary["confidence_histogram"]
    assert len(hist) == 10 and sum(b["rows"] for b in hist) == 105


def test_holdout_is_scored_then_returned_as_gold(iris):
    r = propagate_frame(iris, features=["sl", "sw", "pl", "pw"], key="id", knn=EXACT, holdout=0.3, seed=1)
    s = r.summary
    keys = iris["id"].tolist()
    labeled = iris["label"].notna().to_numpy()
    ids = pd.Categorical(iris["label"], categories=NAMES).codes
    expected = holdout_mask(keys, labeled, ids, 0.3, 1)
    assert s["holdout_rows"] == expected.sum() > 5
    # the same spreading without the held-out labels, scored by hand
    seeds = np.where(expected, -1, ids).astype(np.int64)
    x = iris[["sl", "sw", "pl", "pw"]].to_numpy()
    p = propagate_labels(x, seeds, 3, knn_spec=EXACT, min_confidence=0.5)
    assert s["holdout_accuracy"] == pytest.approx((p.label[expected] == ids[expected]).mean())
    assert s["holdout_accuracy"] > 0.75
    assert (r.rows["label_source"] == "gold").sum() == 45


def test_holdout_keeps_a_seed_per_class():
    keys = [f"k{i}" for i in range(6)]
    labels = np.array([0, 0, 1, 1, 2, 2])
    mask = holdout_mask(keys, np.ones(6, bool), labels, 0.999, 0)
    assert mask.sum() == 3 and all((~mask & (labels == c)).any() for c in range(3))


def test_row_order_does_not_matter_with_a_key(iris):
    a = propagate_frame(iris, features=["sl", "sw", "pl", "pw"], key="id", knn=KnnSpec(method="hnsw", k=7))
    b = propagate_frame(iris.sample(frac=1, random_state=3), features=["sl", "sw", "pl", "pw"], key="id",
                        knn=KnnSpec(method="hnsw", k=7))
    pa = np.stack(a.rows.sort_index()["label_probs"].to_numpy())
    pb = np.stack(b.rows.sort_index()["label_probs"].to_numpy())
    np.testing.assert_array_equal(pa, pb)


def test_embedding_column_and_its_quarantine(iris):
    df = iris.copy()
    df["emb"] = list(df[["sl", "sw", "pl", "pw"]].to_numpy(np.float32))
    df.at[3, "emb"] = None
    df.at[4, "emb"] = np.zeros(3, np.float32)
    df.at[6, "emb"] = np.array([1, np.nan, 0, 0], np.float32)
    r = propagate_frame(df.drop(columns=["sl", "sw", "pl", "pw"]), embedding="emb", key="id", knn=EXACT)
    assert r.quarantine[["key", "reason"]].values.tolist() == [
        ["r003", "missing_embedding"], ["r004", "embedding_length"], ["r006", "non_finite_embedding"]]
    assert r.quarantine.loc[1, "detail"] == "embedding has 3 values, expected 4"
    assert r.summary["rows_out"] == 147


@pytest.mark.parametrize("change, message", [
    (lambda d: d.__setitem__("label", d["label"].where(d["id"] != "r010", "rose")) or d,
     r"row 'r010': label='rose' is not in the vocabulary \['setosa', 'versicolor', 'virginica'\]"),
    (lambda d: d.assign(label=d["label"].where(d["label"] != "virginica")),
     r"no labeled row for class id\(s\) \[2\]"),
    (lambda d: d.assign(label=None), "no row has a 'label'"),
    (lambda d: d.head(6), "6 rows cannot have 7 neighbours"),
])
def test_bad_labels_and_sizes_are_clear_errors(iris, change, message):
    df = iris.copy()
    df.loc[10, "label"] = "setosa"
    df = change(df)
    with pytest.raises(ValueError, match=message):
        propagate_frame(df, features=["sl", "sw", "pl", "pw"], key="id", knn=EXACT, holdout=0.0,
                        vocabulary=list(NAMES))


def test_configuration_errors(iris):
    with pytest.raises(ValueError, match="exactly one of features"):
        propagate_frame(iris, features=["sl"], embedding="emb")
    with pytest.raises(ValueError, match=r"feature column\(s\) \['nope'\] not in the frame"):
        propagate_frame(iris, features=["nope"])
