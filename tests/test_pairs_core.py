"""Contrastive pairs core: exact counts and ratio, labels checked on every pair against
the input rows, no pair across splits, the same pairs whatever the row order or the
sharding, seeded views, and on load_digits positive pairs closer than negatives."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from datalife.transforms import keyed_order as ko
from datalife.transforms.pairs import PairError, PairSpec, make_pair_plan, make_pairs, pair_images
from datalife.transforms.pairs.partners import anchored_pairs, pair_ids
from datalife.transforms.pairs.spec import PAIR_KINDS

DIGITS_POLICY = [{"op": "rotate", "degrees": [-10, 10]}, {"op": "gaussian_noise", "std": [5, 15]}]


def _frame(counts=None, seed=0):
    counts = counts or {"cat": 40, "dog": 25, "eel": 9, "fox": 1}
    labels = np.concatenate([[c] * n for c, n in counts.items()])
    df = pd.DataFrame({"y": labels, "v": np.random.default_rng(seed).normal(size=len(labels))})
    df.index = [f"id{i:03d}" for i in range(len(df))]
    return df


@pytest.mark.parametrize("count,pos,views", [(1000, 0.5, 0.5), (333, 0.3, 0.0), (77, 1.0, 0.25), (50, 0.0, 0.9),
                                             (0, 0.5, 0.5)])
def test_counts_ratio_and_labels_on_every_pair(count, pos, views):
    df = _frame()
    p = make_pairs(df, "y", count=count, positive_fraction=pos, views_fraction=views, seed=4)
    n_pos = int(count * pos + 0.5)
    n_views = int(n_pos * views + 0.5)
    assert len(p) == count
    assert p["pair_kind"].value_counts().reindex(PAIR_KINDS, fill_value=0).tolist() == \
        [n_views, n_pos - n_views, count - n_pos]
    assert int(p["pair_label"].sum()) == n_pos
    la, lb = df.loc[p["a"], "y"].to_numpy(), df.loc[p["b"], "y"].to_numpy()  # labels looked up, not copied
    assert (la == p["label_a"]).all() and (lb == p["label_b"]).all()
    pos_rows = p["pair_label"].to_numpy() == 1
    assert (la[pos_rows] == lb[pos_rows]).all() and (la[~pos_rows] != lb[~pos_rows]).all()
    v = p["pair_kind"] == "views"
    assert (p.loc[v, "a"] == p.loc[v, "b"]).all() and (p.loc[v, "view_a"] != p.loc[v, "view_b"]).all()
    assert (p.loc[v, ["view_a", "view_b"]] > 0).all().all() and (p.loc[~v, ["view_a", "view_b"]] == 0).all().all()
    s = p["pair_kind"] == "same_class"
    assert (p.loc[s, "a"] != p.loc[s, "b"]).all()
    assert p["pair_id"].is_unique


def test_anchors_spread_over_each_class_and_partners_follow_class_sizes():
    df = _frame({"a": 300, "b": 200, "c": 100})
    p = make_pairs(df, "y", count=12000, positive_fraction=0.5, views_fraction=0.0, seed=1)
    plan = make_pair_plan("train", {"a": 300, "b": 200, "c": 100}, PairSpec(count=12000, views_fraction=0.0))
    for kind in ("same_class", "different_class"):
        for c, n in plan.counts.items():
            per = p[(p["pair_kind"] == kind) & (p["label_a"] == c)]["a"].value_counts()
            per = per.reindex(df.index[df["y"] == c], fill_value=0)
            total = plan.anchors[kind][c]
            assert per.sum() == total and set(per) <= {total // n, total // n + 1}
    neg = p[(p["pair_kind"] == "different_class") & (p["label_a"] == "a")]
    share_b = (neg["label_b"] == "b").mean()  # partners drawn in proportion: 200 / (200 + 100)
    assert abs(share_b - 2 / 3) < 0.04
    same = p[p["pair_kind"] == "same_class"]
    partner_use = same["b"].value_counts().reindex(df.index, fill_value=0)
    assert (partner_use > 0).mean() > 0.99  # nearly every example appears as a partner


def test_same_pairs_whatever_the_order():
    df = _frame()
    a = make_pairs(df, "y", count=500, seed=9)
    b = make_pairs(df.sample(frac=1.0, random_state=2), "y", count=500, seed=9)
    pd.testing.assert_frame_equal(a, b)
    c = make_pairs(df, "y", count=500, seed=10)
    assert not a.equals(c)


def test_sharded_graph_gives_the_same_pairs():
    """The graph's path: per-shard histograms merged -> ranks inside each bucket ->
    anchored pairs per shard -> partners joined on (class, rank)."""
    df = _frame({"a": 500, "b": 130, "c": 2})
    spec = PairSpec(count=900, positive_fraction=0.6, views_fraction=0.3, seed=5)
    want = make_pairs(df, "y", count=900, positive_fraction=0.6, views_fraction=0.3, seed=5)
    keys, labels = df.index.to_numpy(), df["y"].to_numpy()
    plan = make_pair_plan("train", df["y"].value_counts().to_dict(), spec)
    rng = np.random.default_rng(0)
    shards = np.array_split(rng.permutation(len(df)), 5)
    prio = ko.priorities(spec.resolved_seed, keys)
    hists = {c: ko.merge_histograms([ko.histogram(prio[s[labels[s] == c]]) for s in shards]) for c in plan.counts}
    rank = np.empty(len(df), np.int64)
    for c in plan.counts:  # group by (class, bucket): each group ranked on its own
        rows = np.flatnonzero(labels == c)
        offsets = ko.bucket_offsets(hists[c])
        for b in np.unique(ko.bucket_of(prio[rows])):
            g = rows[ko.bucket_of(prio[rows]) == b]
            rank[g] = ko.ranks(prio[g], keys[g], offsets[int(b)])
    by = {(labels[i], int(rank[i])): keys[i] for i in range(len(df))}  # the join's other side
    got = []
    for s in shards:
        for c in plan.counts:
            rows = s[labels[s] == c]
            ap = anchored_pairs(keys[rows], rank[rows], c, plan, spec.resolved_seed)
            got += zip(pair_ids(ap.kind, keys[rows][ap.anchor], ap.j), keys[rows][ap.anchor],
                       [by[(bc, int(br))] for bc, br in zip(ap.b_class, ap.b_rank)])
    got = pd.DataFrame(sorted(got), columns=["pair_id", "a", "b"])
    pd.testing.assert_frame_equal(got, want[["pair_id", "a", "b"]].sort_values("pair_id", ignore_index=True))


def test_never_a_pair_across_splits():
    df = _frame({"a": 90, "b": 60, "c": 30})
    df["split"] = np.where(np.arange(len(df)) % 5 == 0, "eval", "train")
    p = make_pairs(df, "y", per_example=2.5, split="split", seed=3)
    for s, n in df["split"].value_counts().items():
        part = p[p["split"] == s]
        assert len(part) == int(2.5 * n + 0.5)
        assert (df.loc[part["a"], "split"] == s).all() and (df.loc[part["b"], "split"] == s).all()
    assert set(p.attrs["pairs"]) == {"eval", "train"}
    assert p.attrs["pairs"]["train"]["by_kind"] == p[p["split"] == "train"]["pair_kind"].value_counts().to_dict()
    q = make_pairs(df, "y", count={"train": 100, "eval": 10}, split="split", seed=3)
    assert q["split"].value_counts().to_dict() == {"train": 100, "eval": 10}


def test_chart_is_a_png_of_the_label_matrix():
    import cv2

    from datalife.transforms.pairs import pairs_png

    p = make_pairs(_frame(), "y", count=300, seed=1)
    rep = p.attrs["pairs"]["train"]
    assert sum(r["pairs"] for r in rep["label_matrix"]) == 300
    img = cv2.imdecode(np.frombuffer(pairs_png(rep), np.uint8), cv2.IMREAD_COLOR)
    assert img.shape[0] > 200 and img.shape[1] > 300
    red = (np.abs(img.astype(int) - [40, 39, 214]).sum(axis=2) < 30).sum()  # the different-class bar (#d62728)
    assert red > 300


def test_views_are_seeded_like_the_augmenter():
    from datalife.transforms.augment_policy import augment

    rng = np.random.default_rng(0)
    df = _frame({"a": 5, "b": 5})
    images = {k: rng.integers(0, 256, (16, 16), dtype=np.uint8) for k in df.index}
    p = make_pairs(df, "y", count=40, positive_fraction=1.0, views_fraction=1.0, seed=2)
    A, B = pair_images(p, images, DIGITS_POLICY, seed=2)
    A2, _ = pair_images(p, images, DIGITS_POLICY, seed=2)
    for row, a, b, a2 in zip(p.itertuples(), A, B, A2):
        np.testing.assert_array_equal(a, augment(images[row.a], None, DIGITS_POLICY, 2, row.a, row.view_a).image)
        np.testing.assert_array_equal(a, a2)
    assert np.mean([not np.array_equal(a, b) for a, b in zip(A, B)]) > 0.9


def test_digits_positive_pairs_are_closer_than_negatives():
    """Raw pixels of load_digits (0-255): mean distances and a linear probe on |a - b|."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    digits = load_digits()
    df = pd.DataFrame({"y": digits.target}, index=[f"d{i}" for i in range(len(digits.target))])
    images = {k: np.round(digits.images[i] * 255 / 16).astype(np.uint8) for i, k in enumerate(df.index)}
    p = make_pairs(df, "y", count=4000, positive_fraction=0.5, views_fraction=0.5, seed=3)
    A, B = pair_images(p, images, DIGITS_POLICY, seed=3)
    A = np.stack(A).reshape(len(p), -1).astype(float)
    B = np.stack(B).reshape(len(p), -1).astype(float)
    dist = np.linalg.norm(A - B, axis=1)
    mean = {k: dist[(p["pair_kind"] == k).to_numpy()].mean() for k in PAIR_KINDS}
    # measured: views 193, same class 573, different classes 790
    assert mean["views"] < mean["same_class"] < mean["different_class"]
    y = p["pair_label"].to_numpy()
    assert roc_auc_score(y, -dist) > 0.9  # measured 0.936 (the probe: 0.952)
    idx = np.random.default_rng(0).permutation(len(p))
    tr, te = idx[:2000], idx[2000:]
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(np.abs(A - B)[tr], y[tr])
    assert roc_auc_score(y[te], probe.decision_function(np.abs(A - B)[te])) > 0.9


BAD = [
    (dict(counts={"a": 1, "b": 1}, positive_fraction=0.5, views_fraction=0.0),
     r"split 'train': 5 same-class pairs need a class with 2 or more examples; counts \{'a': 1, 'b': 1\}"),
    (dict(counts={"a": 8}, positive_fraction=0.5), r"split 'train': 5 different-class pairs need 2 or more classes"),
    (dict(classes=["a"]), r"split 'train': label 'b' \(4 examples\) is outside the vocabulary \['a'\]"),
]


@pytest.mark.parametrize("kw,message", BAD)
def test_bad_input_is_named(kw, message):
    counts = kw.pop("counts", {"a": 6, "b": 4})
    with pytest.raises(PairError, match=message):
        make_pairs(_frame(counts), "y", count=10, seed=0, **kw)


def test_bad_config_and_rows_are_named():
    with pytest.raises(ValueError, match="give exactly one of count"):
        PairSpec(count=10, per_example=1.0)
    with pytest.raises(ValueError, match="give exactly one of count"):
        PairSpec()
    with pytest.raises(ValueError, match="unknown policy 'nope'"):
        PairSpec(count=1, policy="nope")
    df = _frame()
    df.loc["id003", "y"] = None
    with pytest.raises(PairError, match=r"label 'y' is missing in 1 rows \(first key 'id003'\)"):
        make_pairs(df, "y", count=10)
    df = _frame()
    df["split"] = "train"
    with pytest.raises(ValueError, match=r"no pair count for split 'train'; counts given for \['eval'\]"):
        make_pairs(df, "y", count={"eval": 3}, split="split")
    p = make_pairs(_frame(), "y", count=10, views_fraction=1.0, positive_fraction=1.0)
    with pytest.raises(PairError, match="views pairs need an augmentation policy"):
        pair_images(p, {k: np.zeros((4, 4), np.uint8) for k in _frame().index}, None, 0)
