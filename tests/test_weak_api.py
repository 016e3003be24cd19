"""The notebook API on a small literal frame: the label matrix, the LF summary with
class names, labels / probabilities / label_source, dev metrics, mistakes and
pictures; LF modules given as objects, dotted paths or file paths; every kind of bad
LF output is an error naming the LF and the example (or a counted fault)."""
import hashlib

import numpy as np
import pandas as pd
import pytest

from datalife.labeling.applier import LFVoteError
from datalife.labeling.lf_loader import LFLoadError, load_lfs, module_sha256
from datalife.labeling.lfs import threshold_lf
from datalife.labeling.report_pictures import PNG_SIGNATURE, confusion_matrix, lf_mistakes
from datalife.labeling.weak_api import apply_lfs, weak_label

HAM, SPAM = 0, 1
DF = pd.DataFrame({
    "id": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    "text": ["buy now", "love it", "buy buy", "so good", "love, buy", "meh", "buy cheap", "love love",
             "buy this", "i love this"],
    "stars": [1, 5, 2, 4, 3, 3, 1, 5, 2, 5],
    "split": ["train"] * 6 + ["dev"] * 4,
    "label": [1, 0, 1, 0, 1, 0, 1, 0, 0, 0],
})


def buy(x):
    return SPAM if "buy" in x.text else -1


def love(x):
    return HAM if "love" in x.text else None  # None abstains


LFS = [buy, love, threshold_lf("low_stars", "stars", "<=", 2, SPAM)]
# by hand: votes of buy, love, low_stars per row
EXPECTED_L = [[1, -1, 1], [-1, 0, -1], [1, -1, 1], [-1, -1, -1], [1, 0, -1], [-1, -1, -1],
              [1, -1, 1], [-1, 0, -1], [1, -1, 1], [-1, 0, -1]]


def run(**kw):
    args = dict(class_names=["ham", "spam"], split_field="split", dev_split="dev", id_field="id", seed=0)
    return weak_label(DF, kw.pop("lfs", LFS), **{**args, **kw})


def test_matrix_summary_labels_and_metrics():
    r = run(aggregator="majority_vote")
    assert r.L.columns.tolist() == ["buy", "love", "low_stars"] and r.L.values.tolist() == EXPECTED_L
    s = r.lf_summary.set_index("lf")
    assert s.loc["buy", "polarity"] == ["spam"] and s.loc["love", "polarity"] == ["ham"]
    assert s.loc["buy", "coverage"] == pytest.approx(3 / 6)  # rows a, c, e of the train split
    assert s.loc["buy", "conflicts"] == pytest.approx(1 / 6)  # row e: buy says spam, love says ham
    assert s.loc["low_stars", "overlaps"] == pytest.approx(2 / 6)
    # dev rows g h i j (gold 1 0 0 0): buy votes spam on g (right) and i (wrong)
    assert (s.loc["buy", "dev_votes"], s.loc["buy", "dev_correct"]) == (2, 1)
    assert s.loc["love", "dev_accuracy"] == 1.0
    assert r.labels.columns.tolist() == ["label", "label_name", "label_source", "covered", "split"]
    assert r.labels["label_name"].tolist()[:3] == ["spam", "ham", "spam"]
    assert r.labels["covered"].tolist() == [True, True, True, False, True, False, True, True, True, True]
    assert set(r.labels["label_source"]) == {"majority_vote"}
    assert r.probs.columns.tolist() == ["ham", "spam"]
    np.testing.assert_allclose(r.probs.sum(axis=1), 1)
    metrics = r.metrics.set_index("step")
    # majority vote on dev g h i j: spam, ham, spam, ham -> 3 of 4
    assert metrics.loc["majority_vote", "dev_accuracy"] == pytest.approx(0.75)
    assert metrics.loc["produced labels", "dev_accuracy"] == pytest.approx(0.75)
    assert r.mistakes["buy"] == [{**DF.iloc[8].to_dict(), "vote": "spam", "gold": "ham"}]
    assert r.mistakes["love"] == []
    assert r.dev_confusion.tolist() == [[2, 1, 0], [0, 1, 0]]
    assert {"no_dev_split"}.isdisjoint(w["code"] for w in r.warnings)
    pictures = r.pictures()
    assert set(pictures) == {"lf_bars", "label_distribution", "dev_confusion"}
    assert all(p.startswith(PNG_SIGNATURE) and len(p) < 60_000 for p in pictures.values())


def test_auto_selection_end_model_and_gold_given_as_class_names():
    df = DF.assign(label=["spam" if v else "ham" for v in DF["label"]])
    r = weak_label(df, LFS, class_names=["ham", "spam"], split_field="split", dev_split="dev", id_field="id",
                   end_model={"text_fields": ["text"], "numeric_fields": ["stars"]}, from_end_model="all")
    assert set(r.labels["label_source"]) == {"end_model"}
    assert r.labels["label"].isin([0, 1]).all()  # every row labeled, the uncovered d and f included
    steps = r.metrics["step"].tolist()
    assert steps[:2] == ["majority_vote", "weighted_vote"] and "end_model" in steps
    assert r.metrics["chosen"].sum() == 2 and r.from_end_model == "all"  # one aggregator, and the end model
    assert r.reason.split(":")[0] in {"majority_vote", "weighted_vote", "dawid_skene", "label_model"}


def test_dev_frame_and_gold_overrides():
    train, dev = DF[DF.split == "train"].drop(columns="split"), DF[DF.split == "dev"].drop(columns="split")
    r = weak_label(train, LFS, class_names=["ham", "spam"], dev=dev, id_field="id", gold_overrides=True)
    assert r.labels["split"].tolist() == ["train"] * 6 + ["dev"] * 4
    assert r.labels["label_source"].tolist()[6:] == ["gold"] * 4
    assert r.labels["label"].tolist()[6:] == [1, 0, 0, 0]


LF_FILE = '''
from snorkel.labeling import labeling_function

@labeling_function()
def buy(x):
    return 1 if "buy" in x.text else -1

@labeling_function()
def love(x):
    return 0 if "love" in x.text else -1
'''


def test_lfs_from_a_file_path_reloaded_on_each_call_and_hashed(tmp_path):
    path = tmp_path / "my_lfs.py"
    path.write_text(LF_FILE)
    r = run(lfs=str(path), aggregator="majority_vote")
    assert r.L.columns.tolist() == ["buy", "love"]
    assert module_sha256(str(path)) == hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(LF_FILE + "\nLIST = [love]\n\n@labeling_function()\ndef cheap(x):\n"
                              "    return 1 if 'cheap' in x.text else -1\n")
    assert [lf.name for lf in load_lfs(str(path))] == ["buy", "love", "cheap"]
    assert [lf.name for lf in load_lfs(f"{path}:LIST")] == ["love"]
    assert module_sha256(f"{path}:LIST") == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(LFLoadError, match=r"labeling-function file '.*nope\.py' not found"):
        load_lfs(str(tmp_path / "nope.py"))
    with pytest.raises(LFLoadError, match=r"cannot import labeling-function module 'no_such_mod' .* or give the "
                                          r"path of the \.py file"):
        load_lfs("no_such_mod")
    assert len(load_lfs("datalife.labeling.examples.youtube_spam")) == 10


def lf_returning(value, on="e"):
    def odd(x):
        return value if x.id == on else -1
    return odd


@pytest.mark.parametrize("value", [1.7, "spam", True, 5, -2, float("nan"), [1]])
def test_bad_votes_name_the_lf_and_the_example(value):
    with pytest.raises(LFVoteError, match=rf"labeling function 'odd' returned .* on example 'e': a vote must be "
                                          rf"an integer class id 0\.\.1, or -1 / None to abstain"):
        apply_lfs(DF, [lf_returning(value)], cardinality=2, id_field="id")


def test_out_of_range_votes_are_refused_on_every_split_and_integral_floats_accepted():
    with pytest.raises(LFVoteError, match=r"returned 5 .* on example 'j'"):
        run(lfs=LFS + [lf_returning(5, on="j")])  # j is a dev row, outside the fit split
    L, _ = apply_lfs(DF, [lf_returning(1.0)], cardinality=2, id_field="id")
    assert L["odd"].tolist() == [-1, -1, -1, -1, 1, -1, -1, -1, -1, -1]


def test_fault_tolerant_counts_bad_votes_as_faults():
    r = run(lfs=LFS + [lf_returning("spam")], fault_tolerant=True, aggregator="majority_vote")
    assert r.lf_summary.set_index("lf")["faults"].to_dict() == {"buy": 0, "love": 0, "low_stars": 0, "odd": 1}
    assert r.L["odd"].tolist() == [-1] * 10


def test_confusion_matrix_and_mistakes_by_hand():
    assert confusion_matrix([0, 1, -1, 1], [0, 0, 1, 1], 2).tolist() == [[1, 1, 0], [0, 1, 1]]
    rows = [{"t": "x"}, {"t": "y"}, {"t": "z"}]
    got = lf_mistakes(np.array([[1, -1], [0, 0], [1, 1]]), [0, 0, 1], ["p", "q"], ["no", "yes"], rows, n=5)
    assert got == {"p": [{"t": "x", "vote": "yes", "gold": "no"}], "q": []}


def test_demo_dev_split_chosen_aggregate_at_least_majority_vote():
    """The weak-labeling demo's data (data/messages): Snorkel's label model with the
    former defaults lost to majority vote on the dev split (0.73 vs 0.90)."""
    from conftest import REPO

    train = pd.read_csv(REPO / "data" / "messages" / "messages-train.csv")
    dev = pd.read_csv(REPO / "data" / "messages" / "messages-dev.csv")
    for end_model in (None, {"text_fields": ["CONTENT"]}):
        r = weak_label(train, "datalife.labeling.examples.youtube_spam", class_names=["ham", "spam"], dev=dev,
                       id_field="COMMENT_ID", end_model=end_model)
        m = r.metrics.set_index("step")
        key = "dev_accuracy_covered" if end_model else "dev_accuracy"
        chosen = r.aggregate.chosen.name
        assert m.loc[chosen, key] >= m.loc["majority_vote", key]
        assert m.loc["produced labels", "dev_accuracy"] >= m.loc["majority_vote", "dev_accuracy"]


def test_same_labels_whatever_the_row_order():
    kw = dict(class_names=["ham", "spam"], split_field="split", dev_split="dev", id_field="id",
              end_model={"text_fields": ["text"]}, from_end_model="all", seed=3)
    a = weak_label(DF, LFS, **kw)
    b = weak_label(DF.iloc[::-1], LFS, **kw)
    by_id = lambda r, df: dict(zip(df["id"], r.labels["label"]))  # noqa: E731
    assert by_id(a, DF) == by_id(b, DF.iloc[::-1])
    np.testing.assert_allclose(a.probs.to_numpy(), b.probs.to_numpy()[::-1], atol=1e-6)
    assert a.metrics.equals(weak_label(DF, LFS, **kw).metrics)


def test_end_model_labels_rows_and_c_are_chosen_on_dev():
    """Two label sources: "good" (the truth) and "flipped" (every label reversed, the
    chosen aggregator here). ``labels_from: auto`` must pick "good" on dev (accuracy near
    1 vs near 0); ``labels_from: chosen`` must keep "flipped"; the table has one row per
    source x train_rows x C."""
    from datalife.labeling.end_model import EndModelSpec, fit_end_model_on_dev

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    x = (y * 2.0 - 1.0) + rng.normal(0, 0.3, 400)
    good = np.eye(2)[y] * 0.8 + 0.1
    cols, dev_cols = {"x": x[:300].tolist()}, {"x": x[300:].tolist()}
    covered = np.arange(300) % 3 != 0
    probs = {"flipped": good[:300, ::-1], "good": good[:300]}
    spec = EndModelSpec(numeric_fields=("x",))
    model, table = fit_end_model_on_dev(cols, probs, covered, spec, dev_cols, y[300:], "flipped")
    assert len(table) == 2 * 2 * 3 and sum(r["chosen"] for r in table) == 1
    best = next(r for r in table if r["chosen"])
    assert best["labels_from"] == "good" and best["dev_accuracy"] > 0.9
    assert model.source == "good" and (model.predict_proba(dev_cols).argmax(1) == y[300:]).mean() > 0.95
    assert max(r["dev_accuracy"] for r in table if r["labels_from"] == "flipped") < 0.1
    kept, table = fit_end_model_on_dev(cols, probs, covered, EndModelSpec(numeric_fields=("x",), labels_from="chosen",
                                       train_rows="covered", C_grid=()), dev_cols, y[300:], "flipped")
    assert [(r["labels_from"], r["train_rows"], r["C"]) for r in table] == [("flipped", "covered", 10.0)]
    assert kept.n_train == int(covered.sum())
