"""label_rows on literal label matrices: coverage / overlaps / conflicts equal hand
computation and Snorkel's LFAnalysis; abstain filtering and accounting; the result
does not depend on row order (what makes it independent of Beam parallelism)."""
import hashlib
import random

import numpy as np
import pytest
from snorkel.labeling import LFAnalysis

from datalife.labeling.label_model import LabelModelSpec
from datalife.labeling.weak_supervision import LabeledRow, label_rows

# 6 rows x 3 LFs
L = np.array([
    [1, 1, -1],   # covered, overlap, no conflict
    [1, 0, -1],   # covered, overlap, conflict
    [-1, -1, -1], # not covered
    [0, -1, -1],  # covered only by lf0
    [-1, -1, 0],  # covered only by lf2
    [1, -1, 1],   # overlap, no conflict
])
NAMES = ["a", "b", "c"]
SPEC = LabelModelSpec(epochs=50, seed=1)


def _key_hash(key: str) -> int:
    """The tie-break rule written out independently: the first 8 bytes of the key's SHA-256."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def rows(L, split="train", gold=None):
    return [LabeledRow(f"k{i}", split, tuple(r), (), None if gold is None else gold[i]) for i, r in enumerate(L)]


def test_counts_match_hand_computation_and_lfanalysis():
    result = label_rows(rows(L), NAMES, SPEC)
    s = result.report["splits"]["train"]
    assert s["coverage"] == pytest.approx(5 / 6)
    assert s["overlap"] == pytest.approx(3 / 6)
    assert s["conflict"] == pytest.approx(1 / 6)
    table = {r["name"]: r for r in s["lfs"]}
    # by hand: lf a fires on rows 0,1,3,5 -> coverage 4/6; overlaps rows 0,1,5 -> 3/6; conflicts row 1 -> 1/6
    assert (table["a"]["coverage"], table["a"]["overlaps"], table["a"]["conflicts"]) == pytest.approx((4/6, 3/6, 1/6))
    assert (table["b"]["coverage"], table["b"]["overlaps"], table["b"]["conflicts"]) == pytest.approx((2/6, 2/6, 1/6))
    assert (table["c"]["coverage"], table["c"]["overlaps"], table["c"]["conflicts"]) == pytest.approx((2/6, 1/6, 0))
    assert table["a"]["polarity"] == [0, 1] and table["c"]["polarity"] == [0, 1]
    oracle = LFAnalysis(L)
    np.testing.assert_allclose([table[n]["coverage"] for n in NAMES], oracle.lf_coverages())
    np.testing.assert_allclose([table[n]["overlaps"] for n in NAMES], oracle.lf_overlaps())
    np.testing.assert_allclose([table[n]["conflicts"] for n in NAMES], oracle.lf_conflicts())


def test_dev_split_accuracy_and_abstain_filter_accounting():
    dev_L = np.array([[1, 1, -1], [0, -1, 0], [-1, -1, -1], [1, 0, -1]])
    gold = [1, 0, 1, 1]
    all_rows = rows(L) + [LabeledRow(f"d{i}", "eval", tuple(r), (), gold[i]) for i, r in enumerate(dev_L)]
    result = label_rows(all_rows, NAMES, SPEC, dev_split="eval", drop_abstained=True)
    dev = result.report["dev"]
    assert dev["rows"] == 4
    # majority vote by hand: row0 -> 1, row1 -> 0 (right), row3 a 1-vs-0 tie broken by the key's hash
    # (classes [0, 1][sha256("d3") as a big-endian 64-bit number % 2]); row2 uncovered
    tie = [0, 1][_key_hash("d3") % 2]
    assert dev["coverage"] == pytest.approx(3 / 4)
    assert dev["majority_vote_accuracy_covered"] == pytest.approx((2 + (tie == gold[3])) / 3)
    table = {r["name"]: r for r in dev["lfs"]}
    assert table["a"]["empirical_accuracy"] == pytest.approx(1.0)  # a votes 1,0,1 on gold 1,0,1
    assert table["b"]["empirical_accuracy"] == pytest.approx(0.5)  # b votes 1,0 on gold 1,1
    for split, n_in, n_drop in (("train", 6, 1), ("eval", 4, 1)):
        s = result.report["splits"][split]
        assert (s["rows_in"], s["dropped_all_abstain"], s["rows_out"]) == (n_in, n_drop, n_in - n_drop)
    keep = result.by_key()
    assert keep["k2"][2] is False and keep["d2"][2] is False and keep["k0"][2] is True


def test_same_result_whatever_the_row_order():
    base = label_rows(rows(L), NAMES, SPEC)
    shuffled = rows(L)
    random.Random(3).shuffle(shuffled)
    again = label_rows(shuffled, NAMES, SPEC)
    assert again.keys == base.keys
    np.testing.assert_array_equal(again.probs, base.probs)
    np.testing.assert_array_equal(again.labels, base.labels)


def test_fit_errors_are_clear():
    with pytest.raises(ValueError, match="no examples in the fit splits \\['train'\\]; splits present: \\['eval'\\]"):
        label_rows(rows(L, split="eval"), NAMES, SPEC)
    with pytest.raises(ValueError, match="voted 2, outside 0..1"):
        label_rows(rows(np.array([[2, -1, -1]])), NAMES, SPEC)


def test_ties_are_broken_by_example_key_not_position():
    from datalife.labeling.label_model import probs_to_labels

    probs = np.array([[0.5, 0.5], [0.9, 0.1], [0.5, 0.5]])
    a = probs_to_labels(probs, ["x", "y", "z"], "random")
    b = probs_to_labels(probs[::-1], ["z", "y", "x"], "random")
    assert a.tolist() == b[::-1].tolist() and a[1] == 0
    assert probs_to_labels(probs, ["x", "y", "z"], "abstain").tolist() == [-1, 0, -1]


def test_tied_labels_are_the_classes_the_key_hash_picks():
    from datalife.labeling.label_model import probs_to_labels

    # 3 classes; rows tie on {0, 1, 2}, {0, 2} or {1, 2} (within 1e-5), one row is clear
    probs = np.array([[1 / 3, 1 / 3, 1 / 3], [0.45, 0.1, 0.45 + 5e-6], [0.2, 0.4, 0.4], [0.1, 0.8, 0.1]] * 16)
    keys = [f"comment-{i}" for i in range(len(probs))]
    options = [[0, 1, 2], [0, 2], [1, 2], None] * 16
    expected = [o[_key_hash(k) % len(o)] if o else 1 for o, k in zip(options, keys)]
    got = probs_to_labels(probs, keys, "random").tolist()
    assert got == expected
    assert {g for g, o in zip(got, options) if o == [0, 1, 2]} == {0, 1, 2}  # every tied class gets picked
    shifted = probs_to_labels(probs, keys[1:] + keys[:1], "random").tolist()
    assert shifted != got  # the same rows with other keys: other picks
