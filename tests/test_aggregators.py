"""Aggregators against hand computation and a planted-accuracy matrix; the selection
rule; the errors and warnings of degenerate votes (never a crash inside Snorkel)."""
import math

import numpy as np
import pytest

from datalife.labeling.aggregate_select import (AggregateSpec, WeakLabelingError, dev_folds, fit_aggregate,
                                                pick_best)
from datalife.labeling.aggregators import (DawidSkene, MajorityVote, SnorkelLabelModel, WeightedVote,
                                           expected_accuracy)
from datalife.labeling.vote_patterns import count_patterns, stats_of

# dev split, one LF voting per row: a is right 9 of 10 times, b and c 6 of 10 times
DEV_L = np.array([[1, -1, -1]] * 10 + [[-1, 0, -1]] * 10 + [[-1, -1, 0]] * 10)
DEV_Y = np.array([1] * 9 + [0] + [0] * 6 + [1] * 4 + [0] * 6 + [1] * 4)


def test_weighted_vote_and_majority_disagree_as_computed_by_hand():
    dev = count_patterns(DEV_L, 2, DEV_Y)
    wv = WeightedVote(2).fit(count_patterns(DEV_L, 2), dev)
    # add-one smoothing: a (9+1)/(10+2) = 5/6 -> log-odds log 5; b, c 7/12 -> log(7/5)
    np.testing.assert_allclose(wv.weights, [math.log(5), math.log(1.4), math.log(1.4)])
    row = np.array([[1, 0, 0]])  # a says 1, b and c say 0
    assert MajorityVote(2).predict_proba(row).tolist() == [[1.0, 0.0]]
    # weighted: class 1 scores log 5, class 0 2 log 1.4; p(1) = 5 / (5 + 1.96)
    np.testing.assert_allclose(wv.predict_proba(row), [[1.96 / 6.96, 5 / 6.96]])
    # ties split evenly, uncovered rows uniform, for both
    for agg in (MajorityVote(2), wv):
        np.testing.assert_allclose(agg.predict_proba(np.array([[-1, -1, -1]])), [[0.5, 0.5]])
    np.testing.assert_allclose(MajorityVote(2).predict_proba(np.array([[1, 0, -1]])), [[0.5, 0.5]])


def test_expected_accuracy_counts_a_tie_as_one_over_t():
    probs = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    assert expected_accuracy(probs, [1, 0, 0]) == pytest.approx((0.5 + 1 + 0) / 3)
    assert expected_accuracy(probs, [1, 0, 0], counts=[2, 1, 1]) == pytest.approx((1 + 1) / 4)


def planted(n, accuracies, coverages, prior, seed):
    """Votes of conditionally independent LFs: each votes with its coverage, right with
    its accuracy, else a uniformly chosen wrong class; abstaining ignores the class."""
    rng = np.random.default_rng(seed)
    k = len(prior)
    y = rng.choice(k, size=n, p=prior)
    L = np.full((n, len(accuracies)), -1)
    for j, (a, c) in enumerate(zip(accuracies, coverages)):
        vote = rng.random(n) < c
        right = rng.random(n) < a
        wrong = (y + rng.integers(1, k, n)) % k
        L[:, j] = np.where(vote, np.where(right, y, wrong), -1)
    return L, y


@pytest.mark.parametrize("k,prior", [(2, [0.35, 0.65]), (3, [0.5, 0.3, 0.2])])
def test_dawid_skene_recovers_planted_accuracies(k, prior):
    acc = [0.9, 0.8, 0.75, 0.7, 0.65, 0.85]
    cov = [0.6, 0.5, 0.8, 0.4, 0.7, 0.3]
    L, y = planted(20000, acc, cov, prior, seed=k)
    ds = DawidSkene(k).fit(count_patterns(L, k), None)
    np.testing.assert_allclose(ds.lf_accuracies(), acc, atol=0.03)
    np.testing.assert_allclose(ds.prior, prior, atol=0.02)
    # and it beats majority vote on these independent LFs
    assert expected_accuracy(ds.predict_proba(L), y) > expected_accuracy(MajorityVote(k).predict_proba(L), y)


def test_pick_best_prefers_the_simpler_candidate_on_a_tie():
    rows = [{"aggregator": "majority_vote", "s": 0.8}, {"aggregator": "weighted_vote", "s": 0.8},
            {"aggregator": "label_model", "s": 0.7}]
    assert pick_best(rows, "s") == "majority_vote"
    rows[1]["s"] = 0.81
    assert pick_best(rows, "s") == "weighted_vote"


def test_dev_folds_partition_the_dev_rows():
    L, y = planted(300, [0.8, 0.7, 0.6], [0.5, 0.5, 0.5], [0.5, 0.5], 1)
    dev = count_patterns(L, 2, y)
    pairs = dev_folds(dev, 5, seed=3)
    assert sum(h.n_rows for _, h in pairs) == 300
    assert all(f.n_rows + h.n_rows == 300 for f, h in pairs)
    assert sorted(h.n_rows for _, h in pairs) == [60] * 5
    held = {}
    for _, h in pairs:
        for p, g, c in zip(map(tuple, h.patterns.tolist()), h.gold.tolist(), h.counts.tolist()):
            held[(p, g)] = held.get((p, g), 0) + c
    assert held == {(tuple(p), g): c for p, g, c in zip(dev.patterns.tolist(), dev.gold.tolist(), dev.counts.tolist())}


def stats_with_dev(L, y, n_dev):
    return stats_of(L, ["train"] * (len(L) - n_dev) + ["dev"] * n_dev, 2, gold={"dev": y[-n_dev:]})


def test_selection_picks_weighted_vote_when_lfs_differ_in_accuracy_and_says_why():
    # one excellent LF and two poor ones that vote together: majority vote follows the poor pair
    L, y = planted(4000, [0.97, 0.6, 0.6], [0.9, 0.9, 0.9], [0.5, 0.5], 2)
    spec = AggregateSpec(candidates=("majority_vote", "weighted_vote", "dawid_skene"))
    fit = fit_aggregate(stats_with_dev(L, y, 500), ["a", "b", "c"], ["train"], "dev", spec, ["neg", "pos"])
    table = {r["aggregator"]: r for r in fit.candidates}
    assert fit.chosen.name == "weighted_vote" and table["weighted_vote"]["cross_fitted"]
    assert not table["majority_vote"]["cross_fitted"] and not table["dawid_skene"]["cross_fitted"]
    assert table["weighted_vote"]["dev_accuracy"] > table["majority_vote"]["dev_accuracy"] + 0.05
    assert fit.reason.startswith("weighted_vote: highest dev accuracy") and "majority_vote 0." in fit.reason
    # the cross-fitted score is the weighted vote's accuracy on rows it did not learn from
    dev_y = y[-500:]
    full = WeightedVote(2).fit(None, count_patterns(L[-500:], 2, dev_y))
    assert table["weighted_vote"]["dev_accuracy"] <= expected_accuracy(full.predict_proba(L[-500:]), dev_y) + 0.01


def test_without_dev_majority_vote_and_a_warning_configured_aggregator_below_it_warns():
    L, y = planted(2000, [0.9, 0.8, 0.7, 0.75], [0.5] * 4, [0.5, 0.5], 3)
    fit = fit_aggregate(stats_of(L, ["train"] * 2000, 2), list("abcd"))
    assert fit.chosen.name == "majority_vote" and fit.dev_rows == 0
    assert [w["code"] for w in fit.warnings] == ["no_dev_split"]
    # a Dawid-Skene prior stuck on one class makes the configured aggregator worse than MV on dev
    bad = AggregateSpec(aggregator="dawid_skene", candidates=("majority_vote",),
                        options={"dawid_skene": {"smoothing": 1e6}})
    L2, y2 = planted(2000, [0.9, 0.6, 0.6], [0.9] * 3, [0.5, 0.5], 4)
    fit = fit_aggregate(stats_with_dev(L2, y2, 400), list("abc"), dev_split="dev", spec=bad)
    assert fit.chosen.name == "dawid_skene" and fit.reason == "dawid_skene as configured"
    assert any(w["code"] == "below_majority_vote" for w in fit.warnings)


def test_no_votes_at_all_is_an_error_not_a_coin_flip():
    L = np.full((50, 3), -1)
    with pytest.raises(WeakLabelingError, match=r"no labeling function voted on any of the 50 rows of the fit "
                                                r"splits \['train'\]"):
        fit_aggregate(stats_of(L, ["train"] * 50, 2), ["a", "b", "c"])


def test_one_class_only_warns_and_nothing_crashes():
    L = np.array([[1, -1, 1], [1, 1, -1], [-1, -1, -1], [1, 1, 1]] * 10)
    y = np.array([1, 1, 0, 1] * 10)
    fit = fit_aggregate(stats_with_dev(L, y, 8), ["a", "b", "c"], dev_split="dev", class_names=["ham", "spam"])
    codes = [w["code"] for w in fit.warnings]
    assert "one_class_voted" in codes
    msg = next(w["message"] for w in fit.warnings if w["code"] == "one_class_voted")
    assert "only ever voted class 'spam'" in msg
    assert {r["aggregator"] for r in fit.candidates if r["fitted"]} == {"majority_vote", "weighted_vote",
                                                                        "dawid_skene", "label_model"}


def test_lf_warnings_and_unavailable_candidates_are_reported():
    L, y = planted(1000, [0.9, 0.3], [0.6, 0.6], [0.5, 0.5], 5)
    L = np.column_stack([L, np.full(1000, -1)])  # a third LF that never votes
    fit = fit_aggregate(stats_with_dev(L, y, 300), ["good", "bad", "mute"], dev_split="dev")
    by_code = {(w["code"], w.get("lf")) for w in fit.warnings}
    assert {("lf_never_votes", "mute"), ("lf_no_dev_votes", "mute"), ("lf_worse_than_chance", "bad")} <= by_code
    lm = next(r for r in fit.candidates if r["aggregator"] == "label_model")
    assert lm["fitted"]  # three LFs, one of them mute: Snorkel's minimum is met
    two = fit_aggregate(stats_with_dev(L[:, :2], y, 300), ["good", "bad"], dev_split="dev")
    lm = next(r for r in two.candidates if r["aggregator"] == "label_model")
    assert not lm["fitted"] and "needs at least 3 labeling functions, got 2" in lm["note"]


def test_bad_split_names_are_clear_errors():
    L, y = planted(100, [0.9, 0.8, 0.7], [0.5] * 3, [0.5, 0.5], 6)
    stats = stats_with_dev(L, y, 20)
    with pytest.raises(WeakLabelingError, match=r"dev split 'eval' has no examples; splits present: \['dev', 'train'\]"):
        fit_aggregate(stats, list("abc"), dev_split="eval")
    with pytest.raises(WeakLabelingError, match=r"no examples in the fit splits \['training'\]; splits present"):
        fit_aggregate(stats, list("abc"), fit_splits=["training"])


def test_label_model_defaults_use_dev_for_balance_and_precision_prior():
    L, y = planted(3000, [0.9, 0.8, 0.7], [0.5] * 3, [0.3, 0.7], 7)
    dev = count_patterns(L[-500:], 2, y[-500:])
    lm = SnorkelLabelModel(2, epochs=50).fit(count_patterns(L[:-500], 2), dev)
    d = lm.describe()
    share = (np.bincount(y[-500:], minlength=2) + 1) / 502
    np.testing.assert_allclose(d["class_balance"], share)
    np.testing.assert_allclose(d["prec_init"], WeightedVote(2).fit(None, dev).smoothed_accuracy)
    assert lm.uses_dev_labels(dev) and not SnorkelLabelModel(2, class_balance="uniform", prec_init=0.7) \
        .uses_dev_labels(dev)


def test_fits_from_pattern_counts_equal_fits_on_the_unaggregated_rows():
    """Dawid-Skene and weighted vote weigh each pattern by its count: the same fit as on
    the rows one by one (every row its own pattern with count 1)."""
    from datalife.labeling.vote_patterns import PatternCounts

    L, y = planted(3000, [0.9, 0.75, 0.6, 0.8], [0.6, 0.5, 0.7, 0.4], [0.4, 0.6], 8)
    rows = PatternCounts(L.astype(np.int16), np.ones(len(L), np.int64))
    a, b = DawidSkene(2).fit(count_patterns(L, 2), None), DawidSkene(2).fit(rows, None)
    np.testing.assert_allclose(a.confusion, b.confusion, atol=1e-9)
    np.testing.assert_allclose(a.prior, b.prior, atol=1e-9)
    dev_rows = PatternCounts(L[:500].astype(np.int16), np.ones(500, np.int64), y[:500].astype(np.int16))
    np.testing.assert_allclose(WeightedVote(2).fit(None, count_patterns(L[:500], 2, y[:500])).weights,
                               WeightedVote(2).fit(None, dev_rows).weights)


def test_past_the_pattern_cap_the_label_model_fits_from_moments_and_dawid_skene_is_skipped():
    L, y = planted(3000, [0.9, 0.8, 0.7, 0.75, 0.85, 0.65, 0.7, 0.8], [0.5] * 8, [0.5, 0.5], 9)
    splits = ["train"] * 2940 + ["dev"] * 60  # the dev split stays under the cap, the fit split does not
    capped = stats_of(L, splits, 2, gold={"dev": y[2940:]}, max_patterns=100)
    full = stats_of(L, splits, 2, gold={"dev": y[2940:]})
    names = [f"lf{j}" for j in range(8)]
    a = fit_aggregate(capped, names, dev_split="dev")
    b = fit_aggregate(full, names, dev_split="dev")
    assert any(w["code"] == "pattern_cap" for w in a.warnings)
    ds = next(r for r in a.candidates if r["aggregator"] == "dawid_skene")
    assert not ds["fitted"] and "pattern cap" in ds["note"]
    np.testing.assert_allclose(a.fitted["label_model"].predict_proba(L), b.fitted["label_model"].predict_proba(L),
                               atol=1e-7)
