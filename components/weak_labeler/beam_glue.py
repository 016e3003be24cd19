"""Beam glue of the weak labeler: batches of serialized examples -> label-matrix rows
(the per-batch work is ``datalife.labeling.applier.apply_batch``), and labels back
onto the examples. Imports neither TensorFlow nor TFX (``common.codec`` decodes and
encodes)."""
from __future__ import annotations

import apache_beam as beam

from datalife.common.codec import Columns, add_features, example_key
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.labeling.applier import apply_batch
from datalife.labeling.lf_loader import load_lfs
from datalife.labeling.weak_supervision import LabeledRow

__all__ = ["ApplyLFs", "attach_labels", "rows_only", "fit_labels", "first", "second"]


class ApplyLFs(ConfigDoFn):
    """(split, [serialized, ...]) batches -> one list of (LabeledRow, serialized, original)
    per batch, where ``original`` is the input's label feature as (kind, values), to keep
    as ``<label>_original``."""

    config_type = WeakLabelerConfig

    def setup(self):
        super().setup()
        self.lfs = load_lfs(self.cfg.lf_module)

    def process(self, batch):
        split, raws = batch
        cfg = self.cfg
        columns = Columns(raws)
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
        kind = columns.kind(cfg.label_field)
        originals = [None if v is None else (kind, v) for v in columns.values(cfg.label_field)]
        votes = [tuple(r) for r in L.tolist()]
        faults = ([tuple(int(j) for j in row.nonzero()[0]) for row in faulted] if faulted.any()
                  else [()] * len(raws))
        yield [(LabeledRow(keys[i], split, votes[i], faults[i], None if gold[i] is None else int(gold[i])),
                raw, originals[i]) for i, raw in enumerate(raws)]


def rows_only(batch) -> list:
    return [item[0] for item in batch]


def attach_labels(batch, labels: dict, label_field: str, probs_field: str):
    """Add the hard label and the class probabilities to each kept example (no parsing:
    an encoded Example appended to the bytes merges into it); each goes to the tagged
    output named after its split."""
    kept = [(row, raw, original) for row, raw, original in batch if labels[row.key][2]]
    if not kept:
        return
    columns = {label_field: [labels[row.key][0] for row, _, _ in kept],
               probs_field: [labels[row.key][1] for row, _, _ in kept]}
    kinds = {label_field: "int", probs_field: "float"}
    originals = [original for _, _, original in kept]
    if any(o is not None for o in originals):
        kind = next(o[0] for o in originals if o is not None)
        columns[f"{label_field}_original"] = [None if o is None else o[1] for o in originals]
        kinds[f"{label_field}_original"] = kind
    for (row, _, _), out in zip(kept, add_features([raw for _, raw, _ in kept], columns, kinds)):
        yield beam.pvalue.TaggedOutput(row.split, out)


def fit_labels(batches, cfg: WeakLabelerConfig, lf_names, matrix_path: str):
    """All rows at once (sorted by key inside ``label_rows``) -> the label model, labels
    and report; writes the label matrix (``.npz``) with Beam's file system layer.
    Returns (labels by key, report)."""
    import io

    import numpy as np
    from apache_beam.io.filesystems import FileSystems

    from datalife.labeling.weak_supervision import label_rows

    result = label_rows([row for batch in batches for row in batch], lf_names, cfg.label_model, cfg.fit_splits,
                        cfg.dev_split, cfg.drop_abstained)
    buf = io.BytesIO()
    np.savez_compressed(buf, L=result.L, keys=np.array(result.keys), splits=np.array(result.splits),
                        lf_names=np.array(lf_names), labels=result.labels, probs=result.probs)
    with FileSystems.create(matrix_path) as f:
        f.write(buf.getvalue())
    return result.by_key(), result.report


def first(pair):
    return pair[0]


def second(pair):
    return pair[1]
