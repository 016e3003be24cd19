"""Beam DoFn of the image augmenter: a batch of serialized examples of one split ->
originals and augmented copies (augmented splits) or the same examples (others). It
decodes, keys, calls the core (``transforms.augment_image_example``) and encodes; it
imports neither TensorFlow nor TFX."""
from __future__ import annotations

import hashlib
from collections import Counter

from apache_beam import pvalue

from datalife.common.codec import Columns, add_features
from datalife.common.quarantine import quarantine_record
from datalife.common.strict import seed_or_default
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.image_augmenter.spec import AugmenterConfig
from datalife.transforms.augment_image_example import augmented_copies, decode_image_example

__all__ = ["Augment", "COUNTS", "QUARANTINE", "rows_of"]

COUNTS, QUARANTINE = "counts", "quarantine"


def rows_of(cols: Columns, cfg: AugmenterConfig) -> list[dict]:
    """{feature: raw values} of the features the augmenter reads, per example."""
    names = [cfg.image_feature, "image/filename", *cfg.box_features, *cfg.per_box_features] + (
        [cfg.mask_feature] if cfg.mask_feature else [])
    # other per-box features (a merge's support and raters) are filtered with the boxes too
    names += [n for n in cols if n.startswith("image/object/") and n not in names]
    values = {n: cols.values(n) for n in names}
    return [{n: v[i] for n, v in values.items() if v[i] is not None} for i in range(cols.num_rows)]


class Augment(ConfigDoFn):
    config_type = AugmenterConfig

    def setup(self):
        super().setup()
        self.policy = self.cfg.parsed_policy()
        self.seed = seed_or_default(self.cfg.seed)

    def process(self, item):
        split, raws = item
        cfg = self.cfg
        counts = Counter(images_in=len(raws))
        if split not in cfg.splits:
            counts["passed_through"] += len(raws)
            for raw in raws:
                yield pvalue.TaggedOutput(split, raw)
            yield pvalue.TaggedOutput(COUNTS, (split, dict(counts)))
            return
        cols = Columns(raws)
        sources, extras = [], []
        for raw, row in zip(raws, rows_of(cols, cfg)):
            try:
                ex = decode_image_example(row, cfg)
            except ValueError as exc:  # corrupt / truncated image or inconsistent boxes: set aside, counted
                reason = getattr(exc, "reason", "bad_image")
                counts["images_quarantined"] += 1
                counts[f"quarantined_{reason}"] += 1
                name = (row.get("image/filename") or [b"?"])[0].decode("utf-8", "replace")
                yield pvalue.TaggedOutput(QUARANTINE, quarantine_record(
                    name, reason, f"{name}: {exc}", record=hashlib.sha256(raw).hexdigest()[:16],
                    field=cfg.image_feature if hasattr(exc, "reason") else "image/object/bbox", split=split))
                continue
            counts["images_augmented"] += 1
            if cfg.keep_originals:
                counts["originals_out"] += 1
                sources.append(raw)
                extras.append({"augment/copy": [0], "augment/ops": [b""]})
            for feats in augmented_copies(ex, cfg, self.policy, self.seed, hashlib.sha256(raw).hexdigest(),
                                          cfg.copies, cfg.min_visibility, counts):
                sources.append(raw)
                extras.append(feats)
        if sources:
            names = list(dict.fromkeys(k for e in extras for k in e))
            kinds = {n: cols.kind(n) for n in names if cols.kind(n)}
            kinds.update({"augment/copy": "int", "augment/ops": "bytes", "image/width": "int", "image/height": "int",
                          **{n: "float" for n in cfg.box_features}})
            for out in add_features(sources, {n: [e.get(n) for e in extras] for n in names}, kinds):
                yield pvalue.TaggedOutput(split, out)
        yield pvalue.TaggedOutput(COUNTS, (split, dict(counts)))
