"""Quality claims on real data: the YouTube Spam Collection (Snorkel's spam tutorial
data), train on videos 1-4 without labels, dev = a hash-chosen 15% of them, test =
the Shakira video (see youtube_data.py).

Before (the project's former defaults: Snorkel's LabelModel, uniform class balance,
SGD, l2 = 0) the label model lost to majority vote; after, the chosen aggregate is at
least majority vote, adding a good LF never costs more than 2 dev points, and the end
model reaches Snorkel's tutorial figure (94.4%) and beats the label model and majority
vote by at least 2 points (its labels, rows and C chosen on dev, never on test)."""
import pytest

from conftest import shared_dataset
from datalife.labeling.aggregate_select import AggregateSpec, fit_aggregate
from datalife.labeling.aggregators import MajorityVote, SnorkelLabelModel, expected_accuracy
from datalife.labeling.applier import apply_batch
from datalife.labeling.lf_loader import load_lfs
from datalife.labeling.vote_patterns import count_patterns, stats_of
from datalife.labeling.weak_api import weak_label
from youtube_data import load_youtube
from youtube_user_lfs import EXTRA_LFS, USER_LFS

EXAMPLE = "datalife.labeling.examples.youtube_spam"


@pytest.fixture(scope="module")
def data():
    df = load_youtube(shared_dataset("youtube_spam"))
    lfs = load_lfs(EXAMPLE) + USER_LFS + EXTRA_LFS
    L, _ = apply_batch(lfs, {"CONTENT": df["CONTENT"].tolist()}, df["COMMENT_ID"].tolist(), cardinality=2)
    return df, L, [lf.name for lf in lfs]


def columns(data, lfs):
    _, _, names = data
    return [names.index(lf.name) for lf in lfs]


def test_split_sizes(data):
    df, _, _ = data
    assert df["split"].value_counts().to_dict() == {"train": 1367, "test": 370, "dev": 219}


def test_before_label_model_lost_to_majority_vote_after_the_choice_does_not(data):
    df, L, names = data
    cols = columns(data, load_lfs(EXAMPLE))
    s, y = df["split"].to_numpy(), df["label"].to_numpy()
    Lx, test = L[:, cols], s == "test"
    old = SnorkelLabelModel(2, epochs=500, optimizer="sgd", l2=0.0, prec_init=0.7, class_balance="uniform",
                            seed=123)
    old.fit(count_patterns(Lx[s == "train"], 2), None)
    mv = expected_accuracy(MajorityVote(2).predict_proba(Lx[test]), y[test])
    before = expected_accuracy(old.predict_proba(Lx[test]), y[test])
    stats = stats_of(Lx[s != "test"], s[s != "test"], 2, gold={"dev": y[s == "dev"]})
    fit = fit_aggregate(stats, [names[c] for c in cols], ["train"], "dev", AggregateSpec(seed=0))
    after = expected_accuracy(fit.chosen.predict_proba(Lx[test]), y[test])
    print(f"\nShakira test: majority vote {mv:.3f}, label model before {before:.3f}, "
          f"chosen {fit.chosen.name} {after:.3f} ({fit.reason})")
    assert before < mv - 0.02  # the finding, reproduced (0.870 vs 0.901)
    assert after >= mv


def test_adding_an_lf_with_dev_accuracy_above_07_costs_at_most_2_dev_points(data):
    df, L, names = data
    s, y = df["split"].to_numpy(), df["label"].to_numpy()
    fit_rows = s != "test"
    dev = s == "dev"

    def chosen_dev_accuracy(lfs):
        cols = columns(data, lfs)
        stats = stats_of(L[fit_rows][:, cols], s[fit_rows], 2, gold={"dev": y[dev]})
        fit = fit_aggregate(stats, [names[c] for c in cols], ["train"], "dev", AggregateSpec(seed=0))
        return next(r["dev_accuracy"] for r in fit.candidates if r["chosen"])

    def dev_accuracy(lf):
        v = L[dev, names.index(lf.name)]
        return (v[v >= 0] == y[dev][v >= 0]).mean()

    good = [lf for lf in EXTRA_LFS if dev_accuracy(lf) >= 0.7]
    assert len(good) >= 5
    for base in (load_lfs(EXAMPLE), USER_LFS):
        before = chosen_dev_accuracy(base)
        for lf in good:
            after = chosen_dev_accuracy(base + [lf])
            assert after >= before - 0.02, (lf.name, before, after)


def test_end_model_reaches_the_tutorial_and_beats_label_model_and_majority_vote(data):
    df, L, names = data
    s, y = df["split"].to_numpy(), df["label"].to_numpy()
    test = s == "test"
    result = weak_label(df, EXAMPLE, class_names=["ham", "spam"], split_field="split", dev_split="dev",
                        id_field="COMMENT_ID", end_model={"text_fields": ["CONTENT"]}, seed=0)
    end = expected_accuracy(result.end_model.predict_proba({"CONTENT": df.loc[test, "CONTENT"].tolist()}), y[test])
    produced = float((result.labels["label"].to_numpy()[test] == y[test]).mean())
    Lx = result.L.to_numpy()[test]
    mv = expected_accuracy(MajorityVote(2).predict_proba(Lx), y[test])
    chosen = expected_accuracy(result.aggregate.chosen.predict_proba(Lx), y[test])
    lm = expected_accuracy(result.aggregate.fitted["label_model"].predict_proba(Lx), y[test])  # today's defaults
    print(f"\nShakira test: end model {end:.3f}, produced labels {produced:.3f}, chosen aggregate "
          f"{result.aggregate.chosen.name} {chosen:.3f}, label model {lm:.3f}, majority vote {mv:.3f}; end model "
          f"chosen on dev:\n{result.end_model_candidates.to_string()}")
    assert end >= 0.944 and produced >= 0.944  # measured 0.959 (Snorkel's tutorial: 0.944)
    assert end >= max(lm, mv) + 0.02  # measured 0.959 vs label model 0.938, majority vote 0.901
    assert result.end_model_candidates["chosen"].sum() == 1
    assert chosen >= mv
    assert set(result.labels["label_source"]) <= {"end_model", result.aggregate.chosen.name}
