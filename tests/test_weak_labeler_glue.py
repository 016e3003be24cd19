"""The weak labeler's Beam glue called directly (``setup()`` / ``process()``, no
pipeline): the vote-statistics CombineFn equals the statistics of the whole matrix
whatever the batching and merge order; dev rows without a usable gold label fail the
run naming the example and field, or are quarantined and counted; labels attached
with their source and votes, and accounted for."""
import numpy as np
import pytest
from apache_beam.pvalue import TaggedOutput

from datalife.common.codec import Columns, encode_rows
from datalife.components.weak_labeler.beam_glue import (ApplyLFs, AttachLabels, EndResult, VoteBatch,
                                                        VoteStatsFn, fit_aggregate_step)
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.labeling.vote_patterns import stats_of


def _cfg(**kw):
    return WeakLabelerConfig(lf_module="lf_fixtures", id_field="id", class_names=["ham", "spam"],
                             dev_split="dev", **kw).model_dump_json()


def _split(outputs):
    main = [o for o in outputs if not isinstance(o, TaggedOutput)]
    tagged = {}
    for o in outputs:
        if isinstance(o, TaggedOutput):
            tagged.setdefault(o.tag, []).append(o.value)
    return main, tagged


def test_vote_stats_combinefn_equals_the_whole_matrix_stats():
    rng = np.random.default_rng(0)
    L = np.where(rng.random((5000, 4)) < 0.5, rng.integers(0, 2, (5000, 4)), -1)
    gold = rng.integers(0, 2, 1000)
    fn = VoteStatsFn(2, 4, 1_000_000)
    accs = [fn.create_accumulator() for _ in range(3)]
    for i, start in enumerate(range(0, 4000, 333)):  # odd batch sizes, dealt over 3 "workers"
        fn.add_input(accs[i % 3], ("train", L[start:min(start + 333, 4000)], None))
    fn.add_input(accs[1], ("dev", L[4000:], gold))
    got = fn.extract_output(fn.merge_accumulators([accs[2], accs[0], accs[1]]))
    want = stats_of(L, ["train"] * 4000 + ["dev"] * 1000, 2, gold={"dev": gold})
    for split in ("train", "dev"):
        a, b = got.counts(split), want.counts(split)
        np.testing.assert_array_equal(a.patterns, b.patterns)
        np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(got.counts("dev").gold, want.counts("dev").gold)


def _dev_batch():
    return ("dev", encode_rows([{"id": "a", "text": "buy now", "label": "spam"}, {"id": "b", "text": "hello"},
                                {"id": "c", "text": "hello", "label": "ham"}, {"id": "d", "text": "x", "label": "7"}]))


def test_dev_rows_without_a_gold_label_fail_naming_example_and_field():
    fn = ApplyLFs(_cfg())
    fn.setup()
    with pytest.raises(ValueError, match=r"dev example 'b\|[0-9a-f]+' has no dev label field 'label'"):
        list(fn.process(_dev_batch()))


def test_fault_tolerant_quarantines_bad_dev_rows_and_accounts_for_them(tmp_path):
    fn = ApplyLFs(_cfg(fault_tolerant=True))
    fn.setup()
    main, tagged = _split(list(fn.process(_dev_batch())))
    [vb] = main
    assert [k.split("|")[0] for k in vb.keys] == ["a", "c"] and vb.gold.tolist() == [1, 0]  # class names
    assert [(q["record"].split("|")[0], q["field"], q["reason"]) for q in tagged["quarantine"]] == \
        [("b", "label", "bad_dev_label"), ("d", "label", "bad_dev_label")]
    [(split, counts)] = tagged["counts"]
    assert counts["rows_in"] == 4 and counts["rows_quarantined"] == 2
    # spam_kw votes spam on "buy now"; fragile votes ham on "hello"; short (one word) votes ham on "hello"
    assert vb.L.tolist() == [[1, -1, -1], [-1, 0, 0]]

    # labels attached from a majority vote fitted on these votes; sources and votes written
    stats = VoteStatsFn(2, 3, 100)
    acc = stats.add_input(stats.create_accumulator(), ("train", vb.L, None))
    acc = stats.add_input(acc, ("dev", vb.L, vb.gold))
    cfg = _cfg(fault_tolerant=True, aggregator="majority_vote")
    fit = fit_aggregate_step(stats.extract_output(acc), cfg, ["spam_kw", "fragile", "short"],
                             str(tmp_path / "p.npz"))
    attach = AttachLabels(cfg)
    attach.setup()
    main, tagged = _split(list(attach.process(VoteBatch("train", vb.raws, vb.keys, vb.L), fit, EndResult())))
    out = tagged["train"]
    cols = Columns(out)
    assert cols["label"] == [1, 0] and cols["label_source"] == ["majority_vote"] * 2
    assert cols["lf_votes"] == [[1, -1, -1], [-1, 0, 0]] and [v.decode() if isinstance(v, bytes) else v for v in cols["label_original"]] == ["spam", "ham"]
    [(_, counts)] = tagged["counts"]
    assert counts["rows_out"] == 2 and counts["labels|majority_vote|spam"] == 1
