"""The rebalancer's Beam steps. No step gathers a split into one worker:

1. :class:`KeyExamples`: a batch of one split -> ``((split, class), (key, priority,
   serialized))`` per example of a rebalanced split (key from ``content_keys``,
   priority from ``keyed_order``); other splits go straight to their output, unchanged;
2. :class:`Histogram`: a combiner per (split, class): a priority histogram (at most
   min(n, 65,536) entries); :func:`split_plan` makes each split's plan from its class
   counts only, :class:`ClassCut` where each class's selection ends (four integers);
3. :class:`Decide`: per example, how many outputs it makes (original, duplicates,
   removed) from its priority and the cut; only the boundary bucket of a class (about
   n / 65,536 examples) is grouped and settled (:class:`Settle`);
4. :class:`Synthesize` (SMOTE): ONE class's examples are grouped, for the classes the
   plan raises: n x d x 8 bytes of features plus their serialized bytes.

Every decision is the core's (``transforms/rebalance``, ``transforms/keyed_order``), so
the output equals the pandas API's :func:`datalife.transforms.rebalance.rebalance`
example for example, whatever the batching or parallelism. It imports neither
TensorFlow nor TFX."""
from __future__ import annotations

from collections import Counter

import apache_beam as beam
import numpy as np
from apache_beam import pvalue

from datalife.common.codec import Columns, add_features, content_keys
from datalife.components.beam_glue import ConfigDoFn, bundle_end_output
from datalife.components.rebalancer.spec import RebalancerConfig
from datalife.transforms import keyed_order as ko
from datalife.transforms.rebalance.plan import Plan, RebalanceError, make_plan
from datalife.transforms.rebalance.resample import class_cut, outputs_for
from datalife.transforms.rebalance.smote import check_features, plan_synthetics, points
from datalife.transforms.rebalance.spec import FIELDS

__all__ = ["KeyExamples", "Histogram", "split_plan", "class_count", "ClassCut", "Decide", "Settle", "Synthesize",
           "smote_features", "priority_of", "COUNTS", "BOUNDARY", "SMOTE"]

COUNTS, BOUNDARY, SMOTE = "counts", "boundary", "smote"
_SHIFT = 63 - ko.BUCKET_BITS
KIND, SOURCE, PARTNER, COPY, GAP = (FIELDS[k] for k in ("rebalance_kind", "rebalance_source", "rebalance_partner",
                                                         "rebalance_copy", "rebalance_gap"))


def _label_text(values, split: str, key: str, feature: str) -> str:
    if values is None or len(values) != 1:
        got = "missing" if not values else f"{len(values)} values"
        raise RebalanceError(f"rebalancer: split {split!r}, example {key}: label feature {feature!r} is {got}; "
                             f"each example needs exactly one label (nothing is dropped silently)")
    v = values[0]
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


class _Counting(ConfigDoFn):
    """Counts summed per bundle and emitted once, as (split, {name: n})."""

    def start_bundle(self):
        self._counts = {}

    def count(self, split: str, **kv):
        self._counts.setdefault(split, Counter()).update(kv)

    def finish_bundle(self):
        for split, c in self._counts.items():
            yield bundle_end_output(COUNTS, (split, dict(c)))
        self._counts = {}


class KeyExamples(_Counting):
    config_type = RebalancerConfig

    def process(self, batch):
        split, raws = batch
        cfg = self.cfg
        if split not in cfg.splits:  # eval / test: untouched
            self.count(split, rows_in=len(raws), rows_out=len(raws), rows_kept=len(raws), passed_through=len(raws))
            for raw in raws:
                yield pvalue.TaggedOutput(split, raw)
            return
        keys = content_keys(raws)
        values = Columns(raws).values(cfg.label)
        labels = [_label_text(v, split, k, cfg.label) for v, k in zip(values, keys)]
        prio = ko.priorities(cfg.resolved_seed, keys)
        self.count(split, rows_in=len(raws), **Counter(f"in/{c}" for c in labels))
        for key, label, p, raw in zip(keys, labels, prio.tolist(), raws):
            yield (split, label), (key, int(p), raw)


class Histogram(beam.CombineFn):
    """Priority histogram of one (split, class): {bucket: count}."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, prio):
        b = int(prio) >> _SHIFT
        acc[b] = acc.get(b, 0) + 1
        return acc

    def merge_accumulators(self, accs):
        return ko.merge_histograms(accs)

    def extract_output(self, acc):
        return acc


def priority_of(kv):
    (split_class, (_, prio, _)) = kv
    return split_class, prio


def class_count(kv):
    (split, label), hist = kv
    return split, (label, sum(hist.values()))


def split_plan(kv, config_json: str):
    """(split, [(class, n), ...]) -> (split, plan as a dict): raises RebalanceError
    naming the class and the numbers when the target cannot be met."""
    split, counts = kv
    cfg = RebalancerConfig.model_validate_json(config_json)
    return split, make_plan(dict(counts), cfg).to_dict()


class ClassCut(beam.DoFn):
    def process(self, kv, plans):
        (split, label), hist = kv
        yield (split, label), class_cut(Plan.from_dict(plans[split]), label, hist)


def _provenance(kind: str, key: str, copies, partner=None, gap=None) -> dict:
    n = len(copies)
    out = {KIND: [[kind.encode()]] * n, SOURCE: [[key.encode()]] * n, COPY: [[int(c)] for c in copies]}
    if partner is not None:
        out[PARTNER] = [[p.encode()] for p in partner]
        out[GAP] = [[float(g)] for g in gap]
    return out


_KINDS = {KIND: "bytes", SOURCE: "bytes", COPY: "int", PARTNER: "bytes", GAP: "float", "sample_weight": "float"}


class Decide(_Counting):
    """Per example of a rebalanced split: its outputs (original + duplicates, or none),
    a sample weight (weight strategy), or BOUNDARY when its class's cut falls in its
    bucket; SMOTE classes that the plan raises also go to SMOTE."""

    config_type = RebalancerConfig

    def process(self, kv, plans, cuts):
        (split, label), (key, prio, raw) = kv
        plan = Plan.from_dict(plans[split])
        cp, s = plan.classes[label], plan.strategy
        if s == "smote" and cp.added:
            yield pvalue.TaggedOutput(SMOTE, kv)
        if (s == "undersample" and cp.removed) or (s == "oversample" and cp.added):
            c = cuts[(split, label)]
            side = ko.SELECTED if prio >> _SHIFT < c.bucket else ko.BOUNDARY if prio >> _SHIFT == c.bucket \
                else ko.NOT_SELECTED
            if side == ko.BOUNDARY:
                yield pvalue.TaggedOutput(BOUNDARY, kv)
                return
            n = int(outputs_for(cp, s, side == ko.SELECTED))
        else:
            n = 1
        extra = {"sample_weight": [[float(plan.weights[label])]]} if s == "weight" else {}
        yield from emit(self, split, label, key, raw, n, extra)


def emit(counter: _Counting, split: str, label: str, key: str, raw: bytes, n: int, extra=None):
    """The example's n outputs: the original (copy 0) and n - 1 duplicates (copies 1..)."""
    if n == 0:
        counter.count(split, rows_removed=1, **{f"removed/{label}": 1})
        return
    counter.count(split, rows_kept=1, rows_out=n, rows_added=n - 1, duplicates_out=n - 1,
                  **{f"out/{label}/original": 1, f"out/{label}/duplicate": n - 1})
    cols = _provenance("original", key, [0])
    cols.update(extra or {})
    out = add_features([raw], cols, _KINDS)
    if n > 1:
        out += add_features([raw] * (n - 1), _provenance("duplicate", key, range(1, n)), _KINDS)
    for o in out:
        yield pvalue.TaggedOutput(split, o)


class Settle(_Counting):
    """One class's boundary bucket: its ``take`` smallest (priority, key) are selected."""

    config_type = RebalancerConfig

    def process(self, kv, plans, cuts):
        (split, label), items = kv
        items = list(items)
        plan = Plan.from_dict(plans[split])
        mask = ko.settle_boundary(np.array([p for _, p, _ in items], np.uint64), [k for k, _, _ in items],
                                  cuts[(split, label)].take)
        for (key, _, raw), m in zip(items, mask):
            yield from emit(self, split, label, key, raw, int(outputs_for(plan.classes[label], plan.strategy, m)))


def smote_features(cols: Columns, cfg: RebalancerConfig) -> list[str]:
    """The features SMOTE interpolates: ``cfg.features``, or every float feature but the
    label and the provenance."""
    if cfg.features is not None:
        missing = [f for f in cfg.features if cols.kind(f) is None]
        if missing:
            raise RebalanceError(f"rebalancer: SMOTE feature {missing[0]!r} is not in the examples "
                                 f"(features: {sorted(cols)})")
        bad = [f for f in cfg.features if cols.kind(f) == "bytes"]
        if bad:
            raise RebalanceError(f"rebalancer: SMOTE interpolates numeric features only: {bad[0]!r} is bytes")
        return list(cfg.features)
    feats = sorted(f for f in cols if f != cfg.label and cols.kind(f) == "float" and f not in _KINDS)
    if not feats:
        raise RebalanceError("rebalancer: SMOTE found no float features; name them with 'features'")
    return feats


class Synthesize(_Counting):
    """ONE class's examples -> its synthetic examples: each is its source example with
    the interpolated features replaced (float) and the provenance added."""

    config_type = RebalancerConfig
    CHUNK = 1000

    def process(self, kv, plans):
        (split, label), items = kv
        cfg = self.cfg
        items = list(items)
        keys = [k for k, _, _ in items]
        raws = [r for _, _, r in items]
        cols = Columns(raws)
        feats = smote_features(cols, cfg)
        X = np.full((len(raws), len(feats)), np.nan)
        for j, f in enumerate(feats):
            for i, v in enumerate(cols.values(f)):
                if v is not None and len(v) == 1 and v[0] is not None:
                    X[i, j] = v[0]
        check_features(X, feats, label, keys)
        cp = Plan.from_dict(plans[split]).classes[label]
        syn = plan_synthetics(X, keys, cp.added, cfg.k_neighbors, cfg.resolved_seed)
        n = len(syn.base)
        self.count(split, rows_out=n, rows_added=n, synthetics_out=n, **{f"out/{label}/synthetic": n})
        kinds = dict(_KINDS, **{f: "float" for f in feats})
        for lo in range(0, n, self.CHUNK):
            rows = slice(lo, lo + self.CHUNK)
            pts = points(X, syn, rows)
            base = syn.base[rows]
            cols_out = {KIND: [[b"synthetic"]] * len(base), SOURCE: [[keys[b].encode()] for b in base],
                        PARTNER: [[keys[p].encode()] for p in syn.partner[rows]],
                        COPY: [[int(c)] for c in syn.copy[rows]], GAP: [[float(g)] for g in syn.gap[rows]]}
            cols_out.update({f: [[float(x)] for x in pts[:, j]] for j, f in enumerate(feats)})
            for o in add_features([raws[b] for b in base], cols_out, kinds):
                yield pvalue.TaggedOutput(split, o)
