"""The pair maker's Beam steps; no step gathers a split (the prototype's graph in
``tests/test_rebalance_pairs_beam_graph.py``, on serialized examples):

1. :class:`KeyExamples`: ``((split, class), (key, priority, serialized))``;
2. priority histograms per (split, class) (``rebalancer.beam_glue.Histogram``), each
   split's plan from its class counts (:func:`split_plan`), each bucket's rank offset;
3. ranks: one (split, class, bucket) group at a time (about n / 65,536 examples);
4. :class:`Anchor`: the pairs an example anchors, each a request to the partner's
   (split, class, rank), carrying the anchor's serialized example;
5. :class:`Join`: one partner and the requests naming it -> pair Examples.

Every decision is the core's (``transforms/pairs``), so the pairs equal the pandas API's
:func:`datalife.transforms.pairs.make_pairs` whatever the parallelism. It imports
neither TensorFlow nor TFX."""
from __future__ import annotations

import apache_beam as beam
import numpy as np
from apache_beam import pvalue

from datalife.common.codec import Columns, content_keys, encode_rows
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.pair_maker.spec import PairMakerConfig
from datalife.components.rebalancer.beam_glue import COUNTS, _Counting, _label_text
from datalife.transforms import keyed_order as ko
from datalife.transforms.pairs.partners import anchored_pairs, pair_ids
from datalife.transforms.pairs.plan import make_pair_plan
from datalife.transforms.pairs.spec import FIELDS, PAIR_KINDS

__all__ = ["KeyExamples", "split_plan", "plan_dict", "bucket_offsets", "by_bucket", "rank_group", "Anchor", "Join", "COUNTS"]


class KeyExamples(_Counting):
    config_type = PairMakerConfig

    def process(self, batch):
        split, raws = batch
        keys = content_keys(raws)
        labels = [_label_text(v, split, k, self.cfg.label) for v, k in zip(Columns(raws).values(self.cfg.label), keys)]
        self.count(split, examples_in=len(raws))
        for key, label, p, raw in zip(keys, labels, ko.priorities(self.cfg.resolved_seed, keys).tolist(), raws):
            yield (split, label), (key, int(p), raw)


def split_plan(kv, config_json: str):
    split, counts = kv
    return split, make_pair_plan(split, dict(counts), PairMakerConfig.model_validate_json(config_json))


def plan_dict(kv):
    split, plan = kv
    return split, plan.to_dict()


def bucket_offsets(kv):
    (split, label), hist = kv
    for b, o in ko.bucket_offsets(hist).items():
        yield (split, label, b), o


def by_bucket(kv):
    (split, label), item = kv
    return (split, label, int(item[1]) >> (63 - ko.BUCKET_BITS)), item


def rank_group(kv):
    """One (split, class, bucket) group -> ((split, class, rank), (key, serialized))."""
    (split, label, _), g = kv
    offsets, items = list(g["offset"]), list(g["examples"])
    if not items:
        return
    r = ko.ranks(np.array([p for _, p, _ in items], np.uint64), [k for k, _, _ in items], offsets[0])
    for (key, _, raw), ri in zip(items, r.tolist()):
        yield (split, label, int(ri)), (key, raw)


class Anchor(ConfigDoFn):
    config_type = PairMakerConfig

    def process(self, kv, plans):
        (split, label, rank), (key, raw) = kv
        ap = anchored_pairs([key], np.array([rank]), label, plans[split], self.cfg.resolved_seed)
        ids = pair_ids(ap.kind, [key] * len(ap.j), ap.j)
        for pid, k, bc, br, va, vb in zip(ids, ap.kind.tolist(), ap.b_class, ap.b_rank.tolist(), ap.view_a.tolist(),
                                          ap.view_b.tolist()):
            yield (split, bc, int(br)), (pid, PAIR_KINDS[k], key, label, raw, int(va), int(vb))


class Join(_Counting):
    """One partner example and the pairs that name it -> the pair Examples."""

    config_type = PairMakerConfig

    def setup(self):
        super().setup()
        from datalife.transforms.augment_policy import parse_policy

        self.policy = None if self.cfg.policy is None else parse_policy(self.cfg.policy)

    def sides(self, raws: list) -> list[dict]:
        """{feature: (kind, values)} of each example (one decode for the whole group; an
        empty or absent feature is left out)."""
        cols = Columns(raws)
        per = {f: (cols.kind(f), cols.values(f)) for f in self.cfg.features}
        return [{f: (k, v[i]) for f, (k, v) in per.items() if k is not None and v[i]} for i in range(len(raws))]

    def view(self, side: dict, key: str, view: int) -> dict:
        """The side with its image augmented for a view >= 1 (seeded by seed, key, view)."""
        cfg = self.cfg
        if not view or cfg.image_feature not in side:
            return side
        from datalife.transforms.augment_policy import augment
        from datalife.transforms.draw import decode_image, encode_png
        from datalife.transforms.pairs.plan import PairError

        if self.policy is None:
            raise PairError("views pairs of images need an augmentation policy ('policy')")
        img = decode_image(side[cfg.image_feature][1][0])
        return {**side, cfg.image_feature: ("bytes", [encode_png(
            augment(img, None, self.policy, cfg.resolved_seed, key, view).image)])}

    def process(self, kv):
        (split, b_label, _), g = kv
        examples, requests = list(g["example"]), sorted(g["request"])
        if not requests:
            return
        (b_key, b_raw), = examples
        sides = self.sides([b_raw] + [r[4] for r in requests]) if self.cfg.features else [{}] * (1 + len(requests))
        rows, kinds = [], {FIELDS[k]: "bytes" for k in ("pair_id", "pair_kind", "a", "b", "label_a", "label_b")}
        kinds.update({FIELDS[k]: "int" for k in ("pair_label", "view_a", "view_b")})
        for (pid, kind, a_key, a_label, _, va, vb), a_side in zip(requests, sides[1:]):
            row = {FIELDS["pair_id"]: [pid.encode()], FIELDS["pair_kind"]: [kind.encode()],
                   FIELDS["pair_label"]: [int(kind != "different_class")], FIELDS["a"]: [a_key.encode()],
                   FIELDS["b"]: [b_key.encode()], FIELDS["label_a"]: [a_label.encode()],
                   FIELDS["label_b"]: [b_label.encode()], FIELDS["view_a"]: [va], FIELDS["view_b"]: [vb]}
            for prefix, side, key, view in (("a", a_side, a_key, va), ("b", sides[0], b_key, vb)):
                for f, (f_kind, values) in self.view(side, key, view).items():
                    row[f"{prefix}/{f}"], kinds[f"{prefix}/{f}"] = values, f_kind
            rows.append(row)
            self.count(split, pairs_out=1, **{kind: 1, f"labels/{a_label}/{b_label}": 1})
        for out in encode_rows(rows, kinds):
            yield pvalue.TaggedOutput(split, out)
