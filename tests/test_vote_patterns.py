"""Vote statistics (distinct patterns with counts): batching and merge order do not
matter, the moments are the one-hot co-occurrence counts, the pattern cap falls back
exactly, and every fit from statistics equals the whole-matrix fit (Snorkel's
LabelModel against Snorkel's own fit on the expanded matrix, majority vote against
Snorkel's MajorityLabelVoter, the LF table against Snorkel's LFAnalysis)."""
import numpy as np
import pytest
from snorkel.labeling import LFAnalysis
from snorkel.labeling.model import LabelModel, MajorityLabelVoter

from datalife.labeling.aggregators import MajorityVote, SnorkelLabelModel
from datalife.labeling.lf_summary import pattern_lf_stats
from datalife.labeling.vote_patterns import (Moments, TooManyPatterns, add_batch, compact_stats, count_patterns,
                                             empty_stats, merge_stats, moments_of, split_counts, stats_of)


def random_matrix(n, m, k, seed, cover=0.4):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    L = np.where(rng.random((n, m)) < 0.8, y[:, None], rng.integers(0, k, (n, m)))
    return np.where(rng.random((n, m)) < cover, L, -1), y


def test_counts_expand_back_to_the_matrix_rows():
    L = np.array([[1, -1, 0], [1, -1, 0], [-1, -1, -1], [0, 0, 0], [1, -1, 0]])
    pc = count_patterns(L, 2)
    assert pc.n_rows == 5 and pc.n_patterns == 3
    assert sorted(map(tuple, pc.expand()[0].tolist())) == sorted(map(tuple, L.tolist()))
    assert dict(zip(map(tuple, pc.patterns.tolist()), pc.counts.tolist())) == {
        (1, -1, 0): 3, (-1, -1, -1): 1, (0, 0, 0): 1}


def test_batches_and_merge_order_give_the_same_statistics():
    L, y = random_matrix(3000, 6, 3, 0)
    whole = stats_of(L, ["train"] * 2000 + ["dev"] * 1000, 3, gold={"dev": y[2000:]})
    rng = np.random.default_rng(1)
    accs = [empty_stats(3, 6) for _ in range(3)]
    for start in range(0, 3000, 137):  # uneven batches, dealt to three workers at random
        stop = min(start + 137, 3000)
        for split, lo, hi in (("train", 0, 2000), ("dev", 2000, 3000)):
            a, b = max(start, lo), min(stop, hi)
            if a < b:
                add_batch(accs[rng.integers(3)], L[a:b], split, y[a:b] if split == "dev" else None)
    merged = compact_stats(merge_stats(merge_stats(accs[2], accs[0]), accs[1]))
    for split in ("train", "dev"):
        w, m = whole.counts(split), merged.counts(split)
        np.testing.assert_array_equal(w.patterns, m.patterns)
        np.testing.assert_array_equal(w.counts, m.counts)
    np.testing.assert_array_equal(whole.counts("dev").gold, merged.counts("dev").gold)


def test_moments_are_onehot_cooccurrence_counts():
    L, _ = random_matrix(500, 4, 3, 2)
    onehot = np.zeros((500, 12))
    for j in range(4):
        for c in range(3):
            onehot[:, j * 3 + c] = L[:, j] == c
    mo = moments_of(count_patterns(L, 3), 3)
    np.testing.assert_array_equal(mo.overlap, onehot.T @ onehot)
    np.testing.assert_array_equal(mo.votes, onehot.sum(axis=0).reshape(4, 3))
    assert mo.n_rows == 500


def test_pattern_cap_falls_back_to_exact_moments_and_refuses_a_huge_dev_split():
    L, y = random_matrix(4000, 12, 4, 3, cover=0.6)  # thousands of distinct patterns
    capped = empty_stats(4, 12, max_patterns=500)
    for i in range(0, 4000, 250):
        add_batch(capped, L[i:i + 250], "train")
    train = split_counts(compact_stats(capped), ["train"])
    assert isinstance(train, Moments)
    exact = moments_of(count_patterns(L, 4), 4)
    np.testing.assert_array_equal(train.overlap, exact.overlap)
    assert train.n_rows == 4000
    with pytest.raises(TooManyPatterns, match=r"split 'dev' \(with gold labels\) has .* distinct \(votes, gold\) "
                                              r"patterns, more than max_patterns=500"):
        stats_of(L, ["dev"] * 4000, 4, gold={"dev": y}, max_patterns=500)


def test_votes_and_gold_out_of_range_are_refused_on_any_split():
    with pytest.raises(ValueError, match=r"split 'test': labeling function #1 voted 5 on row 0, outside -1..1"):
        count_patterns(np.array([[0, 5, -1]]), 2, split="test")
    with pytest.raises(ValueError, match=r"voted -2"):
        count_patterns(np.array([[0, -2, -1]]), 2)
    with pytest.raises(ValueError, match=r"gold label 2 on row 1, outside 0..1"):
        count_patterns(np.array([[0, 1], [1, 1]]), 2, gold=[0, 2], split="dev")


@pytest.mark.parametrize("options", [
    dict(optimizer="sgd", l2=0.0, prec_init=0.7, class_balance="uniform"),  # Snorkel's own defaults
    dict(),  # datalife's defaults (Adam, l2=1, precision prior 0.7 without a dev split)
    dict(class_balance=(0.3, 0.2, 0.5), l2=0.1),
])
def test_label_model_from_statistics_equals_snorkels_fit_on_the_rows(options):
    L, _ = random_matrix(2000, 5, 3, 4)
    ours = SnorkelLabelModel(3, epochs=200, seed=7, **options).fit(count_patterns(L, 3), None)
    d = ours.describe()
    ref = LabelModel(cardinality=3, verbose=False)
    ref.fit(L, n_epochs=200, lr=d["lr"], l2=d["l2"], optimizer=d["optimizer"], prec_init=d["prec_init"], seed=7,
            class_balance=d["class_balance"], progress_bar=False)
    np.testing.assert_allclose(ours.model.O.numpy(), ref.O.numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(ours.model.mu.detach().numpy(), ref.mu.detach().numpy(), rtol=0, atol=1e-7)
    np.testing.assert_allclose(ours.predict_proba(L), ref.predict_proba(L), rtol=0, atol=1e-7)
    np.testing.assert_allclose(ours.lf_accuracies(), ref.get_weights(), rtol=0, atol=1e-7)


def test_majority_vote_equals_snorkels_majority_label_voter():
    L, _ = random_matrix(1000, 5, 3, 5)
    np.testing.assert_allclose(MajorityVote(3).predict_proba(L),
                               MajorityLabelVoter(cardinality=3, verbose=False).predict_proba(L))


def test_lf_table_from_patterns_equals_lfanalysis_on_the_rows():
    L, _ = random_matrix(1500, 6, 3, 6)
    s = pattern_lf_stats(count_patterns(L, 3), 3)
    a = LFAnalysis(L)
    np.testing.assert_allclose(s["coverage"], a.lf_coverages())
    np.testing.assert_allclose(s["overlaps"], a.lf_overlaps())
    np.testing.assert_allclose(s["conflicts"], a.lf_conflicts())
    assert [list(np.nonzero(v)[0]) for v in s["votes"]] == a.lf_polarities()
