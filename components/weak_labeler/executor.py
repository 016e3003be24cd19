"""The weak labeler's Beam graph: apply LFs in batches, fit the label model on the
whole (key-sorted) matrix, write labeled examples, the matrix and the report."""
from __future__ import annotations

import apache_beam as beam

from datalife.common.accounting import check_accounting
from datalife.components.examples_beam import (gather, mark_examples, read_gathered, read_split_batches,
                                               split_names, write_split)
from datalife.components.report import write_report
from datalife.components.weak_labeler.beam_glue import ApplyLFs, attach_labels, first, fit_labels, rows_only, second
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.labeling.lf_loader import load_lfs
from datalife.labeling.weak_supervision import RULES

__all__ = ["run", "report_sections"]


def report_sections(report: dict) -> list:
    """The report's sections: the label model, LF faults, the dev split, each split."""
    sections = [("Label model", report["label_model"]), ("Labeling-function faults", report["lf_faults"])]
    if "dev" in report:
        dev = report["dev"]
        sections += [(f"Dev split {dev['split']} ({dev['rows']} rows)",
                      {"label model accuracy": dev["label_model_accuracy"],
                       "majority vote accuracy": dev["majority_vote_accuracy"],
                       "label model accuracy (covered rows)": dev["label_model_accuracy_covered"],
                       "majority vote accuracy (covered rows)": dev["majority_vote_accuracy_covered"],
                       "coverage": dev["coverage"]}),
                     ("", dev["lfs"])]
    for split, s in report["splits"].items():
        sections += [(f"Split {split}", {k: v for k, v in s.items() if k != "lfs"}), ("", s["lfs"])]
    return sections


def run(examples, labeled_examples, label_matrix, report, config_json: str, pipeline) -> None:
    from tfx.dsl.io import fileio

    cfg = WeakLabelerConfig.model_validate_json(config_json)
    lf_names = [lf.name for lf in load_lfs(cfg.lf_module)]  # fail fast on a bad module path
    splits = split_names(examples)
    mark_examples(labeled_examples, splits)
    fileio.makedirs(label_matrix.uri)
    with pipeline as p:
        batches = (read_split_batches(p, examples, splits, cfg.batch_size)
                   | beam.ParDo(ApplyLFs(config_json)))
        fitted = (batches | "RowsOnly" >> beam.Map(rows_only) | beam.combiners.ToList()
                  | beam.Map(fit_labels, cfg, lf_names, f"{label_matrix.uri}/label_matrix.npz"))
        labels = fitted | "Labels" >> beam.Map(first)
        gather(fitted | "Report" >> beam.Map(second), report.uri, "report")
        out = batches | beam.FlatMap(attach_labels, beam.pvalue.AsSingleton(labels), cfg.label_field,
                                     cfg.probs_field).with_outputs(*splits)
        for s in splits:
            write_split(out[s], labeled_examples, s)
    [summary] = read_gathered(report.uri, "report")
    checked = {split: check_accounting(s, RULES, component=f"weak_labeler [{split}]")
               for split, s in summary["splits"].items()}
    write_report(report.uri, "Weak labeling report", summary, sections=report_sections(summary),
                 accounting=(RULES, checked))
