"""The weak labeler's Beam graph: apply LFs in batches, fit the label model on the
whole (key-sorted) matrix, write labeled examples, the matrix and the report."""
from __future__ import annotations

import io

import apache_beam as beam
import numpy as np

from datalife.components.examples_beam import mark_examples, read_split_batches, write_split
from datalife.components.weak_labeler.beam_glue import ApplyLFs, attach_labels
from datalife.components.weak_labeler.report import write_report
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.labeling.label_model import LabelModelSpec
from datalife.labeling.lf_loader import load_lfs
from datalife.labeling.weak_supervision import label_rows

__all__ = ["run"]


def _fit_and_write(batches, cfg: WeakLabelerConfig, lf_names, seed: int, matrix_uri: str, report_uri: str):
    import tensorflow as tf

    spec = LabelModelSpec(cardinality=cfg.cardinality, epochs=cfg.epochs, lr=cfg.lr, l2=cfg.l2,
                          class_balance=tuple(cfg.class_balance) if cfg.class_balance else None,
                          tie_break=cfg.tie_break, seed=seed)
    result = label_rows([row for batch in batches for row in batch], lf_names, spec, cfg.fit_splits, cfg.dev_split, cfg.drop_abstained)
    buf = io.BytesIO()
    np.savez_compressed(buf, L=result.L, keys=np.array(result.keys), splits=np.array(result.splits),
                        lf_names=np.array(lf_names), labels=result.labels, probs=result.probs)
    tf.io.gfile.makedirs(matrix_uri)
    with tf.io.gfile.GFile(f"{matrix_uri}/label_matrix.npz", "wb") as f:
        f.write(buf.getvalue())
    write_report(result.report, report_uri)
    return result.by_key()


def run(examples, labeled_examples, label_matrix, report, config_json: str, pipeline) -> None:
    cfg = WeakLabelerConfig.model_validate_json(config_json)
    lf_names = [lf.name for lf in load_lfs(cfg.lf_module)]  # fail fast on a bad module path
    seed = cfg.seed if cfg.seed is not None else 0
    from tfx.types import artifact_utils

    splits = artifact_utils.decode_split_names(examples.split_names)
    mark_examples(labeled_examples, splits)
    with pipeline as p:
        batches = (read_split_batches(p, examples, splits, cfg.batch_size)
                   | beam.ParDo(ApplyLFs(config_json)))
        labels = (batches | "RowsOnly" >> beam.Map(lambda batch: [item[0] for item in batch])
                  | beam.combiners.ToList()
                  | beam.Map(_fit_and_write, cfg, lf_names, seed, label_matrix.uri, report.uri))
        out = batches | beam.FlatMap(attach_labels, beam.pvalue.AsSingleton(labels), cfg.label_field,
                                     cfg.probs_field).with_outputs(*splits)
        for s in splits:
            write_split(out[s], labeled_examples, s)
