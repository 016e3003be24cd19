"""Beam glue of the PII masker: a batch of serialized examples -> the same examples with
their text fields masked by ``labeling.quality.pii.mask_text``, counts per split and
type, and quarantined rows (a field that is not UTF-8 text is never passed on unmasked).
The output is re-encoded (``canonical``) so the original text is not left in the bytes."""
from __future__ import annotations

from collections import Counter

import apache_beam as beam

from datalife.common.codec import Columns, add_features, canonical
from datalife.common.quarantine import quarantine_record
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.pii_masker.spec import PiiMaskerConfig
from datalife.labeling.quality.pii import mask_text

__all__ = ["MaskPii", "COUNTS", "QUARANTINE", "SAMPLES"]

COUNTS, QUARANTINE, SAMPLES = "counts", "quarantine", "samples"


def _texts(values, field, kind):
    """A row's values of one field as text (None: absent); raises ValueError when not text."""
    if values is None:
        return None
    if kind != "bytes":
        raise ValueError(f"field {field!r} holds {kind} values, not text")
    try:
        return [v.decode("utf-8") for v in values]
    except UnicodeDecodeError as exc:
        raise ValueError(f"field {field!r} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


class MaskPii(ConfigDoFn):
    """(split, [serialized]) -> masked examples on the output named after the split;
    ``counts``: (split, {rows_in, rows_out, rows_quarantined, rows_masked, values_masked,
    pii:<type>, <field>:<type>}); ``quarantine``; ``samples``: (split, masked text)."""

    config_type = PiiMaskerConfig

    def setup(self):
        super().setup()
        self.key = self.cfg.key()

    def process(self, batch):
        split, raws = batch
        cfg = self.cfg
        cols = Columns(raws)
        kinds = {f: cols.kind(f) for f in cfg.fields}
        raw_values = {f: cols.values(f) for f in cfg.fields}
        counts = Counter(rows_in=len(raws))
        kept, masked_cols, shown = [], {f: [] for f in cfg.fields}, 0
        for i, raw in enumerate(raws):
            row, row_counts = {}, Counter()
            try:
                for f in cfg.fields:
                    texts = _texts(raw_values[f][i], f, kinds[f])
                    if texts is None:
                        row[f] = None
                        counts[f"{f}:absent"] += 1
                        continue
                    out = []
                    for t in texts:
                        m, c = mask_text(t, cfg.mask, self.key)
                        out.append(m)
                        row_counts.update({f"{f}:{k}": v for k, v in c.items()})
                        row_counts.update({f"pii:{k}": v for k, v in c.items()})
                        counts["values_masked"] += bool(c)
                    row[f] = out
            except ValueError as exc:
                counts.update(rows_quarantined=1, quarantined_not_text=1)
                yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_record(
                    None, "not_text", str(exc), record=f"{split} row {i} of a batch", field=f, split=split))
                continue
            kept.append(raw)
            for f in cfg.fields:
                masked_cols[f].append(row[f])
            counts.update(row_counts)
            if row_counts:
                counts["rows_masked"] += 1
                if shown < cfg.samples:
                    shown += 1
                    yield beam.pvalue.TaggedOutput(SAMPLES, (split, {f: row[f] for f in cfg.fields}))
        counts["rows_out"] = len(kept)
        if kept:
            # re-encoded: appended features only shadow the originals, whose bytes would stay in the record
            for out in canonical(add_features(kept, masked_cols, {f: "bytes" for f in cfg.fields})):
                yield beam.pvalue.TaggedOutput(split, out)
        yield beam.pvalue.TaggedOutput(COUNTS, (split, dict(counts)))
