"""The label propagator's Beam graph (rows -> one propagation -> outputs by key) and its
report: counts and accounting, per-class counts before and after, held-out accuracy,
a confidence histogram and a 2-D projection of what was written."""
from __future__ import annotations

import json

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.examples_beam import (gather, mark_examples, read_gathered, read_split_batches,
                                               split_names, split_records, write_split)
from datalife.components.label_propagator.beam_glue import (COUNTS, QUARANTINE, attach, propagate, summary_of,
                                                            to_frame)
from datalife.components.label_propagator.spec import RULES, LabelPropagatorConfig
from datalife.components.report import Picture, draw_pictures, write_report

__all__ = ["run"]


def _projection(output_uri: str, splits: list[str], cfg: LabelPropagatorConfig) -> bytes:
    """The written examples (up to ``sample_rows``): features on two principal axes,
    coloured by output label, gold rows marked."""
    import numpy as np

    from datalife.common.codec import Columns
    from datalife.labeling.propagation.plots import projection_png

    raws = []
    for s in splits:
        raws += list(split_records(output_uri, s, cfg.sample_rows - len(raws)))
        if len(raws) >= cfg.sample_rows:
            break
    cols = Columns(raws)
    p = cfg.output_prefix
    sources = np.asarray(cols[f"{p}_source"], dtype=object)
    labels = [lab if src != "none" else None for lab, src in zip(cols[p], sources)]
    if cfg.features is not None:
        x = np.column_stack([np.asarray(cols[f], dtype=np.float64) for f in cfg.features])
    else:
        x = np.asarray(cols.values(cfg.embedding), dtype=np.float64)
    if cfg.scale == "standard":
        std = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return projection_png(x, labels, sources, title=f"{len(raws)} rows (PCA): gold (large, black edge) "
                                                    "and propagated, by class")


def report_sections(summary: dict, counts: dict, pictures: dict) -> list:
    keys = ("rows_in", "rows_out", "rows_quarantined", "gold", "propagated", "none", "holdout_rows",
            "holdout_accuracy", "gold_disagreements", "iterations", "converged", "knn_method", "missing_edges")
    sections = [("Propagation", {k: summary.get(k) for k in keys}),
                ("Per-class counts (labeled before, after)", summary["class_counts"])]
    if "eval" in summary:
        sections.append(("Accuracy against the evaluation labels (never used to propagate)", summary["eval"]))
    sections.append(("Counts per split", counts))
    if "projection.png" in pictures:
        sections.append(("2-D projection: given (gold) and propagated labels",
                         Picture("projection.png", "PCA of the features, coloured by class")))
    if "confidence.png" in pictures:
        sections.append(("Confidence of the rows that were not gold",
                         Picture("confidence.png", "confidence histogram")))
    return sections


def run(examples, labeled_examples, report, config_json: str, pipeline) -> None:
    cfg = LabelPropagatorConfig.model_validate_json(config_json)
    splits = split_names(examples)
    missing = sorted(set(cfg.splits or ()) - set(splits))
    if missing:
        raise ValueError(f"label_propagator: splits {missing} are not in the input (it has {splits})")
    mark_examples(labeled_examples, splits)
    with pipeline as p:
        batches = read_split_batches(p, examples, splits, cfg.batch_size)
        fitted = (batches | "ToFrame" >> beam.Map(to_frame, config_json) | beam.combiners.ToList()
                  | "Propagate" >> beam.Map(propagate, config_json))
        gather(fitted | "Summary" >> beam.Map(summary_of), report.uri, "summary")
        out = batches | "Attach" >> beam.FlatMap(attach, beam.pvalue.AsSingleton(fitted), config_json).with_outputs(
            COUNTS, QUARANTINE, *splits)
        for s in splits:
            write_split(out[s], labeled_examples, s)
        gather(out[COUNTS] | beam.CombinePerKey(sum_counts), report.uri, "counts")
        gather(out[QUARANTINE], report.uri, "quarantine")
    [summary] = read_gathered(report.uri, "summary")
    counts = dict(sorted((s, c) for s, c in read_gathered(report.uri, "counts")))
    quarantine = read_gathered(report.uri, "quarantine")
    checked = {s: check_accounting(c, RULES, component=f"label_propagator [{s}]") for s, c in counts.items()}
    propagated = [s for s in splits if cfg.splits is None or s in cfg.splits]
    from datalife.labeling.propagation.plots import confidence_png

    makers = {"confidence.png": lambda: confidence_png(summary["confidence_histogram"], cfg.min_confidence)}
    if cfg.sample_rows:
        makers["projection.png"] = lambda: _projection(labeled_examples.uri, propagated, cfg)
    pictures = draw_pictures(makers)
    write_report(report.uri, "Label propagation",
                 {**summary, "counts": counts, "config": json.loads(cfg.model_dump_json())},
                 sections=report_sections(summary, counts, pictures), pictures=pictures, quarantine=quarantine,
                 accounting=(RULES, checked))
