"""The phase-2 Beam graphs, prototyped on the core (the rebalancer's and the pair
maker's ``beam_glue`` will hold them): no step gathers a split. Combiners build priority
histograms per class; only one boundary bucket per class is grouped (rebalancing), one
class's matrix for SMOTE, (class, bucket) groups for ranks and (class, rank) joins for
pairs. On the DirectRunner, with the input shuffled, resharded and run on 1 or 2
workers, the output equals the pandas API's, example for example."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

beam = pytest.importorskip("apache_beam")

from datalife.transforms import keyed_order as ko  # noqa: E402
from datalife.transforms.pairs import PairSpec, make_pair_plan, make_pairs  # noqa: E402
from datalife.transforms.pairs.partners import anchored_pairs, pair_ids  # noqa: E402
from datalife.transforms.rebalance import RebalanceSpec, make_plan, rebalance  # noqa: E402
from datalife.transforms.rebalance.resample import class_cut, outputs_for  # noqa: E402
from datalife.transforms.rebalance.smote import plan_synthetics, points  # noqa: E402


class Histogram(beam.CombineFn):
    """Priority histogram per class: at most min(n, 65,536) entries."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, prio):
        b = int(ko.bucket_of(np.array([prio], np.uint64))[0])
        acc[b] = acc.get(b, 0) + 1
        return acc

    def merge_accumulators(self, accs):
        return ko.merge_histograms(accs)

    def extract_output(self, acc):
        return acc


def _prio(seed, key):
    return int(ko.priorities(seed, [key])[0])


def _out(kind, key, partner, copy, label, x):
    return (kind, key, partner, copy, label, tuple(np.round(x, 12)))


def rebalance_graph(examples, spec: RebalanceSpec):
    """examples: (key, label, features) -> (kind, source, partner, copy, label, features)."""
    seed = spec.resolved_seed
    keyed = examples | "prio" >> beam.Map(lambda e: (e[1], (e, _prio(seed, e[0]))))
    hists = keyed | "p" >> beam.Map(lambda kv: (kv[0], kv[1][1])) | beam.CombinePerKey(Histogram())
    counts = hists | "n" >> beam.Map(lambda kv: (kv[0], sum(kv[1].values()))) | "cd" >> beam.combiners.ToDict()
    plan_only = counts | beam.Map(lambda c: make_plan(c, spec))  # from class counts only
    cuts = (hists | "cut" >> beam.Map(lambda kv, p: (kv[0], class_cut(p, kv[0], kv[1])), beam.pvalue.AsSingleton(plan_only))
            | "ct" >> beam.combiners.ToDict())  # four integers per class
    plan = plan_only | "pc" >> beam.Map(lambda p, c: (p, c), beam.pvalue.AsSingleton(cuts))

    def emit(e, n):
        key, label, x = e
        for j in range(n):
            yield _out("original" if j == 0 else "duplicate", key, None, j, label, x)

    def decide(kv, pc):
        (label, (e, prio)), (plan, cuts) = kv, pc
        cp, s = plan.classes[label], plan.strategy
        needs = (s == "undersample" and cp.removed) or (s == "oversample" and cp.added)
        if not needs:
            yield from emit(e, 1)
            return
        side = int(ko.side(np.array([prio], np.uint64), cuts[label])[0])
        if side == ko.BOUNDARY:
            yield beam.pvalue.TaggedOutput("boundary", (label, (e, prio)))
        else:
            yield from emit(e, int(outputs_for(cp, s, side == ko.SELECTED)))

    decided = keyed | beam.ParDo(
        lambda kv, pc: decide(kv, pc), beam.pvalue.AsSingleton(plan)).with_outputs("boundary", main="out")

    def settle(kv, pc):
        (label, items), (plan, cuts) = kv, pc
        items = list(items)
        mask = ko.settle_boundary(np.array([p for _, p in items], np.uint64), [e[0] for e, _ in items],
                                  cuts[label].take)
        for (e, _), m in zip(items, mask):
            yield from emit(e, int(outputs_for(plan.classes[label], plan.strategy, m)))
    settled = decided.boundary | "gb" >> beam.GroupByKey() | beam.FlatMap(settle, beam.pvalue.AsSingleton(plan))

    def smote(kv, pc):  # ONE class's matrix: n x d x 8 bytes
        (label, items), (plan, _) = kv, pc
        cp = plan.classes[label]
        keys = [e[0] for e, _ in items]
        X = np.array([e[2] for e, _ in items], dtype=np.float64)
        syn = plan_synthetics(X, keys, cp.added, spec.k_neighbors, spec.resolved_seed)
        for lo in range(0, len(syn.base), 1000):
            pts = points(X, syn, slice(lo, lo + 1000))
            for i, x in enumerate(pts, lo):
                yield _out("synthetic", keys[syn.base[i]], keys[syn.partner[i]], int(syn.copy[i]), label, x)
    oversampled = keyed | "os" >> beam.Filter(  # only the classes SMOTE raises are gathered
        lambda kv, pc: pc[0].strategy == "smote" and pc[0].classes[kv[0]].added > 0, beam.pvalue.AsSingleton(plan))
    synth = oversampled | "gc" >> beam.GroupByKey() | beam.FlatMap(smote, beam.pvalue.AsSingleton(plan))
    return (decided.out, settled, synth) | beam.Flatten()


def pairs_graph(examples, spec: PairSpec):
    """examples: (key, label) -> (pair_id, a, b)."""
    seed = spec.resolved_seed
    keyed = examples | "prio" >> beam.Map(lambda e: (e[1], (e[0], _prio(seed, e[0]))))
    hists = keyed | "p" >> beam.Map(lambda kv: (kv[0], kv[1][1])) | beam.CombinePerKey(Histogram())
    counts = hists | "n" >> beam.Map(lambda kv: (kv[0], sum(kv[1].values()))) | "cd" >> beam.combiners.ToDict()
    plan = counts | beam.Map(lambda c: make_pair_plan("train", c, spec))
    # each bucket's offset travels to its own group (a join), never as one big side input
    offsets = hists | "off" >> beam.FlatMap(lambda kv: (((kv[0], b), o) for b, o in ko.bucket_offsets(kv[1]).items()))
    grouped = keyed | beam.Map(lambda kv: ((kv[0], int(ko.bucket_of(np.array([kv[1][1]], np.uint64))[0])), kv[1]))

    def rank(kv):  # one (class, bucket) group: about n / 65,536 examples
        (label, _), g = kv
        (offset,) = g["offset"]
        items = list(g["examples"])
        r = ko.ranks(np.array([p for _, p in items], np.uint64), [k for k, _ in items], offset)
        for (k, _), ri in zip(items, r):
            yield (label, int(ri)), k
    ranked = {"offset": offsets, "examples": grouped} | "gb" >> beam.CoGroupByKey() | beam.FlatMap(rank)

    def anchor(kv, plan):
        (label, r), key = kv
        ap = anchored_pairs([key], np.array([r]), label, plan, seed)
        for pid, bc, br in zip(pair_ids(ap.kind, [key] * len(ap.j), ap.j), ap.b_class, ap.b_rank):
            yield (bc, int(br)), (pid, key)
    requests = ranked | beam.FlatMap(anchor, beam.pvalue.AsSingleton(plan))

    def join(kv):  # one example and the pairs that name it as partner
        _, g = kv
        (b,) = g["example"]
        for pid, a in g["request"]:
            yield pid, a, b
    return {"example": ranked, "request": requests} | beam.CoGroupByKey() | beam.FlatMap(join)


def _check(build, items, want, workers: int):
    """Run the graph on ``items`` and assert its output equals ``want`` (as a multiset)."""
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.testing.util import assert_that, equal_to

    opts = PipelineOptions(direct_num_workers=workers, direct_running_mode="multi_threading" if workers > 1
                           else "in_memory")
    with beam.Pipeline(options=opts) as p:
        out = build(p | beam.Create(items, reshuffle=True) | beam.Reshuffle())
        assert_that(out, equal_to(want))


def _frame():
    rng = np.random.default_rng(0)
    labels = ["a"] * 400 + ["b"] * 37 + ["c"] * 9
    df = pd.DataFrame(rng.normal(size=(len(labels), 3)), columns=["x0", "x1", "x2"])
    df["y"] = labels
    df.index = [f"k{i}" for i in range(len(df))]
    return df


@pytest.mark.parametrize("strategy,target", [("oversample", "balance"), ("undersample", {"ratio": 0.5}),
                                             ("smote", {"ratio": 0.3})])
def test_rebalance_graph_equals_pandas_api(strategy, target):
    df = _frame()
    spec = RebalanceSpec(strategy=strategy, target=target, seed=3, k_neighbors=4)
    want = rebalance(df, "y", strategy=strategy, target=target, seed=3, k_neighbors=4)
    want = [_out(r.rebalance_kind, r.rebalance_source, r.rebalance_partner, int(r.rebalance_copy), r.y,
                 np.array([r.x0, r.x1, r.x2])) for r in want.itertuples()]
    assert len(want) == {"oversample": 1200, "undersample": 45, "smote": 640}[strategy]
    items = [(k, y, tuple(x)) for k, y, x in zip(df.index, df["y"], df[["x0", "x1", "x2"]].to_numpy())]
    rng = np.random.default_rng(1)
    for workers in (1, 2):
        shuffled = [items[i] for i in rng.permutation(len(items))]
        _check(lambda pc: rebalance_graph(pc, spec), shuffled, want, workers)


def test_pairs_graph_equals_pandas_api():
    df = _frame()
    spec = PairSpec(count=700, positive_fraction=0.6, views_fraction=0.25, seed=8)
    want = make_pairs(df, "y", count=700, positive_fraction=0.6, views_fraction=0.25, seed=8)
    want = list(zip(want["pair_id"], want["a"], want["b"]))
    assert len(want) == 700
    items = list(zip(df.index, df["y"]))
    rng = np.random.default_rng(2)
    for workers in (1, 2):
        shuffled = [items[i] for i in rng.permutation(len(items))]
        _check(lambda pc: pairs_graph(pc, spec), shuffled, want, workers)
