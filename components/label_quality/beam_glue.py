"""Beam glue of label_quality: a batch of serialized examples -> rows (content key, id,
split, model input, label) for the one global cross-validated fit."""
from __future__ import annotations

from datalife.common.codec import Columns, content_keys
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.label_quality.spec import LabelQualityConfig

__all__ = ["Rows"]


def _label(value) -> int:
    if value is None:
        return -1
    v = value[0] if isinstance(value, list) else value
    return int(v)


class Rows(ConfigDoFn):
    """(split, [serialized]) -> [(key, id, split, input, label), ...] (label -1: not labelled)."""

    config_type = LabelQualityConfig

    def process(self, batch):
        split, raws = batch
        cfg = self.cfg
        cols = Columns(raws)
        for name in [cfg.label_field, *([cfg.text_field] if cfg.text_field else cfg.feature_fields)]:
            if name not in cols:
                raise KeyError(f"label_quality: {name!r} is not a feature of split {split!r}: {sorted(cols)}")
        ids = cols[cfg.id_field] if cfg.id_field and cfg.id_field in cols else [None] * len(raws)
        keys = content_keys(raws)
        if cfg.text_field:
            inputs = [t if isinstance(t, str) else " ".join(t or []) for t in cols[cfg.text_field]]
        else:
            per = [cols.values(f) for f in cfg.feature_fields]
            inputs = [[float(x) for vals in row for x in (vals or [0.0])] for row in zip(*per)]
        labels = [_label(v) for v in cols[cfg.label_field]]
        yield [(k, None if i is None else str(i), split, x, y) for k, i, x, y in zip(keys, ids, inputs, labels)]
