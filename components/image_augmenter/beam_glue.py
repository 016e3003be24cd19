"""Beam DoFn of the image augmenter: a batch of serialized examples of one split ->
originals and augmented copies (augmented splits) or the same examples (others)."""
from __future__ import annotations

from collections import Counter

import apache_beam as beam
from apache_beam import pvalue

from datalife.components.image_augmenter.core import augment_example, decode
from datalife.components.image_augmenter.spec import AugmenterConfig
from datalife.components.record_io import Columns

__all__ = ["Augment", "COUNTS", "PROBLEMS", "rows_of"]

COUNTS, PROBLEMS = "counts", "problems"


def rows_of(raws, cfg: AugmenterConfig):
    """(row {feature: raw values}, kinds {feature: int|float|bytes}) per serialized example."""
    cols = Columns(raws)
    names = [cfg.image_feature, "image/filename", *cfg.box_features, *cfg.per_box_features] + (
        [cfg.mask_feature] if cfg.mask_feature else [])
    raw = {n: cols.raw_column(n) for n in names}
    for i in range(len(raws)):
        yield ({n: raw[n][i][1] for n in names if raw[n][i] is not None},
               {n: raw[n][i][0] for n in names if raw[n][i] is not None})


class Augment(beam.DoFn):
    def __init__(self, config_json: str):
        self.config_json = config_json

    def setup(self):
        self.cfg = AugmenterConfig.model_validate_json(self.config_json)
        self.policy = self.cfg.parsed_policy()

    def process(self, item):
        split, raws = item
        counts = Counter(images_in=len(raws))
        if split not in self.cfg.splits:
            counts["passed_through"] += len(raws)
            for raw in raws:
                yield pvalue.TaggedOutput(split, raw)
        else:
            for raw, (row, kinds) in zip(raws, rows_of(raws, self.cfg)):
                try:
                    dec = decode(row, self.cfg)
                except ValueError as exc:  # corrupt image or inconsistent boxes: set aside, counted
                    counts["images_quarantined"] += 1
                    yield pvalue.TaggedOutput(PROBLEMS, {"split": split, "message": str(exc),
                                                         "filename": (row.get("image/filename") or [b"?"])[0]})
                    continue
                counts["images_augmented"] += 1
                for out in augment_example(raw, dec, self.cfg, self.policy, self.cfg.seed, counts, kinds):
                    yield pvalue.TaggedOutput(split, out)
        yield pvalue.TaggedOutput(COUNTS, (split, dict(counts)))
