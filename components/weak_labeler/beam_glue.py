"""Beam glue of the weak labeler: batches of serialized examples -> label-matrix rows
(the per-batch work is ``datalife.labeling.applier.apply_batch``), and labels back
onto the examples."""
from __future__ import annotations

from collections.abc import Mapping

import apache_beam as beam
import tensorflow as tf

from datalife.components.examples_beam import decode_value, example_key
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.labeling.applier import apply_batch
from datalife.labeling.lf_loader import load_lfs
from datalife.labeling.weak_supervision import LabeledRow

__all__ = ["ApplyLFs", "attach_labels", "LazyColumns"]


class LazyColumns(Mapping):
    """A batch of tf.train.Examples seen as {field: [value per example]}; a column is
    decoded the first time an LF asks for it (LFs usually read one or two fields)."""

    def __init__(self, examples):
        self._examples, self._cache = examples, {}
        self._names = sorted({k for ex in examples for k in ex.features.feature})

    def __getitem__(self, name):
        if name not in self._cache:
            if name not in self._names:
                raise KeyError(name)
            self._cache[name] = [decode_value(ex.features.feature[name]) if name in ex.features.feature
                                 else None for ex in self._examples]
        return self._cache[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


class ApplyLFs(beam.DoFn):
    """(split, [serialized, ...]) batches -> one list of (LabeledRow, serialized) per batch."""

    def __init__(self, config_json: str):
        self._config_json = config_json

    def setup(self):
        self.cfg = WeakLabelerConfig.model_validate_json(self._config_json)
        self.lfs = load_lfs(self.cfg.lf_module)

    def process(self, batch):
        split_name, raws = batch
        cfg = self.cfg
        parsed = [(split_name, raw, tf.train.Example.FromString(raw)) for raw in raws]
        columns = LazyColumns([ex for _, _, ex in parsed])
        keys = [example_key(raw, ex, cfg.id_field) for _, raw, ex in parsed]
        L, faulted = apply_batch(self.lfs, columns, keys, fault_tolerant=cfg.fault_tolerant)
        out = []
        for i, (split, raw, ex) in enumerate(parsed):
            gold = None
            if split == cfg.dev_split:
                value = columns.get(cfg.dev_label_field, [None] * len(parsed))[i]
                if value is None:
                    raise ValueError(f"dev split {split!r}: example {keys[i]!r} has no "
                                     f"dev label field {cfg.dev_label_field!r}")
                gold = int(value)
            out.append((LabeledRow(keys[i], split, tuple(int(v) for v in L[i]),
                                   tuple(int(j) for j in faulted[i].nonzero()[0]), gold), raw))
        yield out


def attach_labels(batch, labels: dict, label_field: str, probs_field: str):
    """Add the hard label and the class probabilities to each example of a batch;
    each kept example goes to the tagged output named after its split."""
    for item in batch:
        labeled = _attach(item, labels, label_field, probs_field)
        if labeled is not None:
            yield beam.pvalue.TaggedOutput(*labeled)


def _attach(item, labels: dict, label_field: str, probs_field: str):
    row, raw = item
    label, probs, keep = labels[row.key]
    if not keep:
        return None
    example = tf.train.Example.FromString(raw)
    features = example.features.feature
    if label_field in features:
        features[f"{label_field}_original"].CopyFrom(features[label_field])
    features[label_field].Clear()
    features[label_field].int64_list.value.append(label)
    features[probs_field].Clear()
    features[probs_field].float_list.value.extend(probs)
    return row.split, example.SerializeToString()
