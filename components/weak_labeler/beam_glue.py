"""Beam glue of the weak labeler: batches of serialized examples -> label-matrix rows
(the per-batch work is ``datalife.labeling.applier.apply_batch``), and labels back
onto the examples. Imports neither TensorFlow nor TFX (see ``record_io``)."""
from __future__ import annotations

import apache_beam as beam

from datalife.components.record_io import Columns, encode_example, example_key
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.labeling.applier import apply_batch
from datalife.labeling.lf_loader import load_lfs
from datalife.labeling.weak_supervision import LabeledRow

__all__ = ["ApplyLFs", "attach_labels"]


class ApplyLFs(beam.DoFn):
    """(split, [serialized, ...]) batches -> one list of (LabeledRow, serialized, extra)
    per batch, where ``extra`` holds the input label to keep as ``<label>_original``."""

    def __init__(self, config_json: str):
        self._config_json = config_json

    def setup(self):
        from tfx_bsl.coders import example_coder

        self.cfg = WeakLabelerConfig.model_validate_json(self._config_json)
        self.lfs = load_lfs(self.cfg.lf_module)
        self.decoder = example_coder.ExamplesToRecordBatchDecoder()

    def process(self, batch):
        split, raws = batch
        cfg = self.cfg
        columns = Columns(raws, self.decoder)
        if cfg.id_field is not None and cfg.id_field not in columns:
            raise KeyError(f"id_field {cfg.id_field!r} is not a feature of the examples: {sorted(columns)}")
        ids = columns[cfg.id_field] if cfg.id_field else [None] * len(raws)
        keys = [example_key(raw, i) for raw, i in zip(raws, ids)]
        L, faulted = apply_batch(self.lfs, columns, keys, fault_tolerant=cfg.fault_tolerant)
        gold = [None] * len(raws)
        if split == cfg.dev_split:
            gold = columns[cfg.dev_label_field] if cfg.dev_label_field in columns else gold
            for i, g in enumerate(gold):
                if g is None:
                    raise ValueError(f"dev split {split!r}: example {keys[i]!r} has no "
                                     f"dev label field {cfg.dev_label_field!r}")
        originals = columns.raw_column(cfg.label_field)
        votes = [tuple(r) for r in L.tolist()]
        faults = ([tuple(int(j) for j in row.nonzero()[0]) for row in faulted] if faulted.any()
                  else [()] * len(raws))
        out = [(LabeledRow(keys[i], split, votes[i], faults[i], None if gold[i] is None else int(gold[i])),
                raw, originals[i]) for i, raw in enumerate(raws)]
        yield out


def attach_labels(batch, labels: dict, label_field: str, probs_field: str):
    """Append the hard label and the class probabilities to each kept example (no
    parsing: an encoded Example appended to the bytes merges into it); each goes to
    the tagged output named after its split."""
    for row, raw, original in batch:
        label, probs, keep = labels[row.key]
        if not keep:
            continue
        extra = {label_field: ("int", [label]), probs_field: ("float", probs)}
        if original is not None:
            extra[f"{label_field}_original"] = original
        yield beam.pvalue.TaggedOutput(row.split, raw + encode_example(extra))
