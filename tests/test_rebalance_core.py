"""Class rebalancing core: exact counts for every strategy and target (hand counts and
imbalanced-learn's counts), SMOTE's geometry and neighbours against scikit-learn,
selections that do not depend on order or sharding, class weights against
scikit-learn, the accounting rule, and the bad-input messages."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from datalife.transforms import keyed_order as ko
from datalife.transforms.rebalance import (RebalanceError, RebalanceSpec, class_counts_png, class_weights,
                                           describe_provenance, make_plan, rebalance, rebalance_arrays)
from datalife.transforms.rebalance.plan import AccountingError, check_accounting

COUNTS = {"a": 100, "b": 15, "c": 7}


def _frame(counts=COUNTS, d=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.concatenate([[c] * n for c, n in counts.items()])
    df = pd.DataFrame(rng.normal(size=(len(labels), d)), columns=[f"x{j}" for j in range(d)])
    df["y"] = labels
    df["note"] = [f"row {i}" for i in range(len(df))]  # a non-numeric column rides along
    df.index = [f"k{i:04d}" for i in range(len(df))]
    return df


EXPECTED = [
    ("oversample", "balance", {"a": 100, "b": 100, "c": 100}),
    ("oversample", {"ratio": 0.5}, {"a": 100, "b": 50, "c": 50}),
    ("oversample", {"b": 40}, {"a": 100, "b": 40, "c": 7}),
    ("undersample", "balance", {"a": 7, "b": 7, "c": 7}),
    ("undersample", 0.5, {"a": 14, "b": 14, "c": 7}),  # floor(7 / 0.5)
    ("undersample", {"counts": {"a": 30}}, {"a": 30, "b": 15, "c": 7}),
    ("smote", "balance", {"a": 100, "b": 100, "c": 100}),
    ("smote", {"ratio": 0.33}, {"a": 100, "b": 33, "c": 33}),
    ("smote", {"c": 8}, {"a": 100, "b": 15, "c": 8}),
    ("weight", "balance", COUNTS),
]


@pytest.mark.parametrize("strategy,target,expected", EXPECTED)
def test_counts_are_exact_and_accounted(strategy, target, expected):
    df = _frame()
    out = rebalance(df, "y", strategy=strategy, target=target, seed=7)
    rep = out.attrs["rebalance"]["train"]
    assert out["y"].value_counts().to_dict() == {c: n for c, n in expected.items()}
    assert rep["counts_out"] == expected and rep["counts_in"] == COUNTS
    for c in COUNTS:  # in = out - added + removed, measured on the rows
        rows = out[out["y"] == c]
        added = int((rows["rebalance_kind"] != "original").sum())
        removed = COUNTS[c] - int((rows["rebalance_kind"] == "original").sum())
        assert COUNTS[c] == len(rows) - added + removed
        assert (rep["added"][c], rep["removed"][c]) == (added, removed)
    kinds = set(out["rebalance_kind"])
    assert kinds <= {"original", "duplicate", "synthetic"}
    assert ("synthetic" in kinds) == (strategy == "smote")
    assert ("duplicate" in kinds) == (strategy == "oversample")
    # every non-original names an original row of its class
    src = df.loc[out["rebalance_source"], "y"].to_numpy()
    assert (src == out["y"].to_numpy()).all()


@pytest.mark.parametrize("strategy", ["oversample", "undersample", "smote"])
@pytest.mark.parametrize("target", ["balance", 0.4, {"counts": {"1": 80}}])
def test_counts_equal_imbalanced_learn(strategy, target):
    from imblearn.over_sampling import SMOTE, RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler

    rng = np.random.default_rng(1)
    X = rng.normal(size=(230, 4))
    y = np.r_[np.zeros(200, int), np.ones(30, int)]
    if strategy == "undersample" and isinstance(target, dict):
        target = {"counts": {"0": 120}}
    theirs_target = "auto" if target == "balance" else target if isinstance(target, float) else \
        {int(k): v for k, v in target["counts"].items()}
    cls = {"oversample": RandomOverSampler, "undersample": RandomUnderSampler, "smote": SMOTE}[strategy]
    _, y_theirs = cls(sampling_strategy=theirs_target, random_state=0).fit_resample(X, y)
    ours = rebalance_arrays(X, y, strategy=strategy, target=target, seed=0)
    assert np.bincount(ours.y).tolist() == np.bincount(y_theirs).tolist()


def test_oversampling_copies_floor_and_extras_to_smallest_priorities():
    df = _frame()
    out = rebalance(df, "y", strategy="oversample", seed=3)
    for c, n in COUNTS.items():
        if c == "a":
            continue
        per = out[out["y"] == c]["rebalance_source"].value_counts()
        r, extra = divmod(100, n)
        keys = df.index[df["y"] == c]
        # independent oracle: BLAKE2b of "seed|priority|key" (63 bits), sorted
        prio = {k: int.from_bytes(hashlib.blake2b(f"3|priority|{k}".encode(), digest_size=8).digest(), "little") >> 1
                for k in keys}
        lucky = sorted(keys, key=lambda k: prio[k])[:extra]
        assert {k: int(per[k]) for k in keys} == {k: r + (k in lucky) for k in keys}


def test_undersampling_keeps_the_smallest_priorities():
    df = _frame()
    out = rebalance(df, "y", strategy="undersample", target={"a": 10}, seed=5)
    keys = df.index[df["y"] == "a"]
    prio = {k: int.from_bytes(hashlib.blake2b(f"5|priority|{k}".encode(), digest_size=8).digest(), "little") >> 1
            for k in keys}
    assert set(out.loc[out["y"] == "a", "rebalance_source"]) == set(sorted(keys, key=prio.get)[:10])


def _canonical(out: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in out.columns]
    return out.sort_values(["rebalance_source", "rebalance_kind", "rebalance_copy"]).reset_index(drop=True)[cols]


@pytest.mark.parametrize("strategy", ["oversample", "undersample", "smote", "weight"])
def test_output_does_not_depend_on_row_order(strategy):
    df = _frame(d=4)
    a = _canonical(rebalance(df, "y", strategy=strategy, seed=11))
    b = _canonical(rebalance(df.sample(frac=1.0, random_state=3), "y", strategy=strategy, seed=11))
    pd.testing.assert_frame_equal(a, b)
    c = _canonical(rebalance(df, "y", strategy=strategy, seed=12))
    if strategy != "weight":
        assert not a.equals(c)  # the seed matters


def test_sharded_selection_equals_one_sort():
    """What the graph does (per-shard histograms merged in any order, a cut, per-example
    sides, the boundary bucket settled alone) equals sorting everything by (priority, key)."""
    rng = np.random.default_rng(0)
    keys = [f"ex-{i}" for i in range(5000)] + ["dup"] * 3  # identical keys: identical examples
    prio = ko.priorities(4, keys)
    oracle_order = sorted(range(len(keys)), key=lambda i: (int(prio[i]), keys[i]))
    for k in (0, 1, 17, 2500, 4999, len(keys)):
        shards = np.array_split(rng.permutation(len(keys)), 7)
        hist = ko.merge_histograms([ko.histogram(prio[s]) for s in reversed(shards)])
        cut = ko.cut(hist, k)
        chosen, boundary = [], []
        for s in shards:
            side = ko.side(prio[s], cut)
            chosen += s[side == ko.SELECTED].tolist()
            boundary += s[side == ko.BOUNDARY].tolist()
        boundary = np.array(boundary, dtype=np.int64)
        settled = ko.settle_boundary(prio[boundary], [keys[i] for i in boundary], cut.take)
        chosen += boundary[settled].tolist()
        assert len(chosen) == k
        assert sorted(prio[chosen].tolist()) == sorted(prio[oracle_order[:k]].tolist())
        assert len(boundary) <= 8  # one bucket of 2**16: a handful of examples, not the split
    # ranks bucket by bucket (offsets from the merged histogram) equal the global sort
    offsets = ko.bucket_offsets(ko.histogram(prio))
    buckets = ko.bucket_of(prio)
    got = np.empty(len(keys), np.int64)
    for b in np.unique(buckets):
        idx = np.flatnonzero(buckets == b)
        got[idx] = ko.ranks(prio[idx], [keys[i] for i in idx], offsets[int(b)])
    assert (got[oracle_order] == np.arange(len(keys))).all()


def test_smote_points_lie_on_segments_to_sklearn_neighbours():
    from sklearn.neighbors import NearestNeighbors

    df = _frame({"a": 300, "b": 40, "c": 12}, d=5, seed=2)
    out = rebalance(df, "y", strategy="smote", seed=9, k_neighbors=4)
    syn = out[out["rebalance_kind"] == "synthetic"]
    assert len(syn) == 260 + 288
    feats = [f"x{j}" for j in range(5)]
    for c in ("b", "c"):
        cls = df[df["y"] == c]
        nn = NearestNeighbors(n_neighbors=5).fit(cls[feats]).kneighbors(cls[feats], return_distance=False)[:, 1:]
        neigh = {cls.index[i]: set(cls.index[nn[i]]) for i in range(len(cls))}
        s = syn[syn["y"] == c]
        assert all(p in neigh[src] for src, p in zip(s["rebalance_source"], s["rebalance_partner"]))
        P, A, B = s[feats].to_numpy(), cls.loc[s["rebalance_source"], feats].to_numpy(), \
            cls.loc[s["rebalance_partner"], feats].to_numpy()
        d = B - A
        t = ((P - A) * d).sum(1) / (d * d).sum(1)  # projection, computed without the stored gap
        assert ((t >= -1e-12) & (t <= 1 + 1e-12)).all()
        assert np.abs(P - (A + t[:, None] * d)).max() < 1e-9
        np.testing.assert_allclose(t, s["rebalance_gap"], atol=1e-9)
        assert (s["note"].to_numpy() == cls.loc[s["rebalance_source"], "note"].to_numpy()).all()
        # the synthetics spread over the class: floor or ceil of added / n per source
        per = s["rebalance_source"].value_counts()
        assert set(per.reindex(cls.index, fill_value=0)) <= {(len(s)) // len(cls), (len(s)) // len(cls) + 1}


def test_smote_neighbours_equal_sklearn_and_skip_self_among_duplicates():
    from sklearn.neighbors import NearestNeighbors

    from datalife.transforms.rebalance.smote import neighbours

    X = np.random.default_rng(3).normal(size=(60, 3))
    ref = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X, return_distance=False)[:, 1:]
    np.testing.assert_array_equal(neighbours(X, 5), ref)
    Xd = np.vstack([X, X[:5]])  # duplicates: a row's twin may come before the row itself
    nn = neighbours(Xd, 5)
    assert not (nn == np.arange(len(Xd))[:, None]).any()


def test_weights_match_sklearn_and_cui():
    from sklearn.linear_model import LogisticRegression
    from sklearn.utils.class_weight import compute_class_weight

    y = np.array(["a"] * 100 + ["b"] * 15 + ["c"] * 7)
    ref = compute_class_weight("balanced", classes=np.array(["a", "b", "c"]), y=y)
    w = class_weights(COUNTS, "inverse")
    np.testing.assert_allclose([w[c] for c in "abc"], ref)
    beta = 0.99
    raw = np.array([(1 - beta) / (1 - beta ** n) for n in (100, 15, 7)])
    raw *= 122 / (raw * [100, 15, 7]).sum()  # mean weight over examples = 1
    np.testing.assert_allclose([class_weights(COUNTS, "effective", beta)[c] for c in "abc"], raw)
    assert class_weights(COUNTS, "none") == {"a": 1.0, "b": 1.0, "c": 1.0}
    # same fit as scikit-learn's class_weight="balanced"
    df = _frame()
    out = rebalance(df, "y", strategy="weight", weighting="inverse")
    X = df[["x0", "x1", "x2"]].to_numpy()
    ours = LogisticRegression(max_iter=500).fit(X, df["y"], sample_weight=out["sample_weight"]).coef_
    theirs = LogisticRegression(max_iter=500, class_weight="balanced").fit(X, df["y"]).coef_
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)
    assert abs(out["sample_weight"].mean() - 1) < 1e-12


def test_provenance_text_and_splits_pass_through():
    df = _frame()
    df["split"] = np.where(np.arange(len(df)) % 4 == 0, "eval", "train")
    out = rebalance(df, "y", strategy="smote", split="split", seed=1, k_neighbors=2)
    ev = out[out["split"] == "eval"]
    assert len(ev) == int((df["split"] == "eval").sum()) and set(ev["rebalance_kind"]) == {"original"}
    assert out.attrs["rebalance"]["eval"] == {"passed_through": len(ev)}
    tr = out.attrs["rebalance"]["train"]
    assert tr["counts_out"] == {c: 75 for c in COUNTS}
    text = describe_provenance(out)
    row = out[out["rebalance_kind"] == "synthetic"].iloc[0]
    assert text[row.name] == f"synthetic from {row.rebalance_source} and {row.rebalance_partner}"
    assert text[out.index[out["rebalance_kind"] == "original"][0]] == "original"
    with pytest.raises(ValueError, match=r"evaluation splits are never augmented: \['eval'\]"):
        rebalance(df, "y", split="split", splits=("train", "eval"))


BAD = [
    (dict(strategy="smote", df={"a": 20, "b": 1}), r"SMOTE with k_neighbors=5 needs at least 6 examples .* class 'b' has 1 "
                                                    r"\(target 20\)"),
    (dict(strategy="undersample", target={"b": 30}), r"cannot be reached by undersampling: class 'b' has 15 examples, "
                                                      r"target 30"),
    (dict(strategy="oversample", target={"a": 50}), r"never removes examples: class 'a' has 100 examples, target 50"),
    (dict(strategy="oversample", target={"z": 50}), r"the target names class 'z', which is not among the classes"),
    (dict(classes=["a", "b"]), r"label 'c' \(7 examples\) is outside the vocabulary \['a', 'b'\]"),
    (dict(classes=["a", "b", "c", "d"]), r"class 'd' has 0 examples: oversample cannot create a class from nothing "
                                         r"\(target 100\)"),
]


@pytest.mark.parametrize("kw,message", BAD)
def test_bad_input_names_class_and_numbers(kw, message):
    df = _frame(kw.pop("df", COUNTS))
    with pytest.raises(RebalanceError, match=message):
        rebalance(df, "y", **kw)


def test_bad_rows_are_named_not_dropped():
    df = _frame()
    nan = df.copy()
    nan.loc["k0110", "x1"] = np.nan  # a row of class 'b'
    with pytest.raises(RebalanceError, match=r"class 'b', feature 'x1' is missing or not finite in 1 of 15 rows "
                                             r"\(first key 'k0110'\)"):
        rebalance(nan, "y", strategy="smote")
    assert len(rebalance(nan, "y", strategy="oversample")) == 300  # features unused: nothing to complain about
    nolabel = df.copy()
    nolabel.loc["k0003", "y"] = None
    with pytest.raises(RebalanceError, match=r"label 'y' is missing in 1 rows \(first key 'k0003'\)"):
        rebalance(nolabel, "y")
    dup = df.copy()
    dup.index = ["same"] * 2 + list(df.index[2:])
    with pytest.raises(RebalanceError, match=r"index must be unique .* 'same' appears 2 times"):
        rebalance(dup, "y")


def test_accounting_check_catches_a_wrong_output():
    plan = make_plan(COUNTS, RebalanceSpec(strategy="oversample"))
    good = {c: 100 for c in COUNTS}
    check_accounting(plan, good, {"a": 0, "b": 85, "c": 93}, {c: 0 for c in COUNTS})
    with pytest.raises(AccountingError, match=r"class 'b': in 15, out 99, added 85, removed 0; planned out 100"):
        check_accounting(plan, {**good, "b": 99}, {"a": 0, "b": 85, "c": 93}, {c: 0 for c in COUNTS})


def test_plan_round_trips_and_chart_is_a_png():
    import cv2

    plan = make_plan(COUNTS, RebalanceSpec(strategy="smote", target={"ratio": 0.5}))
    assert plan.from_dict(plan.to_dict()) == plan
    out = rebalance(_frame(), "y", strategy="smote", target=0.5)
    png = class_counts_png(out.attrs["rebalance"]["train"])
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and img.shape[0] > 200 and img.shape[1] > 300
    green = (np.abs(img.astype(int) - [44, 160, 44]).sum(axis=2) < 30).sum()  # synthetic bars (BGR of #2ca02c)
    assert green > 500


def test_quality_close_to_imbalanced_learn_on_a_reduced_budget():
    """The benchmark's protocol (breast cancer at 5% malignant, scaler -> resampling ->
    logistic regression, balanced accuracy) on 5 folds x 4 seeds instead of 5 x 5 x 5:
    class weights give the very same scores; the random strategies stay within 0.02
    (the benchmark holds them to 0.01 at its full budget; measured here 0.006, 0.002, 0.008)."""
    from benchmarks.bench_rebalance import cv_scores

    assert cv_scores("weight", "datalife", n_repeats=1) == cv_scores("weight", "imblearn", n_repeats=1)
    for strategy in ("oversample", "undersample", "smote"):
        ours = cv_scores(strategy, "datalife", seeds=range(4), n_repeats=1)
        theirs = cv_scores(strategy, "imblearn", seeds=range(4), n_repeats=1)
        assert abs(ours - theirs) <= 0.02, (strategy, ours, theirs)
