"""The weak labeler's Beam graph: apply the LFs per batch, combine vote-pattern
statistics (a CombineFn: no worker holds the label matrix), choose the aggregator on
the dev split, train the end model on a key-hash sample of the covered fit rows, and
write every example with its label, probabilities, ``label_source`` and votes; then
the report."""
from __future__ import annotations

import apache_beam as beam

from datalife.common.accounting import Rule, check_accounting, sum_counts
from datalife.components.examples_beam import (gather, mark_examples, read_gathered, read_split_batches,
                                               split_names, write_split)
from datalife.components.report import Picture, draw_pictures, write_report
from datalife.components.weak_labeler.beam_glue import (ApplyLFs, AttachLabels, EndModelRows, EndRowsFn, VoteStatsFn, fit_aggregate_step,
                                                        fit_end_step, votes_of)
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.labeling.lf_loader import load_lfs

__all__ = ["run", "report_sections", "RULES", "DEFAULT_MAX_TRAIN_ROWS"]

# per split: every example read is written, dropped (no LF voted, drop_abstained) or quarantined
RULES = [Rule("rows_in", ("rows_out", "dropped_all_abstain", "rows_quarantined"))]
DEFAULT_MAX_TRAIN_ROWS = 200_000  # end-model training rows gathered (a key-hash sample) when not configured


def _label_counts(counts: dict) -> dict:
    """{source: {class: n}} from the 'labels|source|class' counts of all splits."""
    out: dict = {}
    for c in counts.values():
        for k, v in c.items():
            if k.startswith("labels|"):
                _, src, cls = k.split("|", 2)
                out.setdefault(src, {}).setdefault(cls, 0)
                out[src][cls] += v
    return out


def report_sections(summary: dict, counts: dict, has_pictures: set) -> list:
    """What a person reads: the choice and why, the aggregators side by side, the LFs,
    the pictures, each LF's dev mistakes, the counts per split."""
    sections = [("Labels", {"aggregator": summary["chosen"], "why": summary["reason"],
                            "end model labels": summary["from_end_model"]})]
    if summary["warnings"]:
        sections.append(("Warnings", [w["message"] for w in summary["warnings"]]))
    if summary.get("dev"):
        sections.append((f"Dev split {summary['dev']['split']} ({summary['dev']['rows']} rows): accuracy of each "
                         f"step (cross-fitted where it learns from dev labels)", summary["dev"]["steps"]))
    sections.append(("Labeling functions", summary["lfs"]))
    for name in ("lf_bars.png", "label_distribution.png", "dev_confusion.png"):
        if name in has_pictures:
            sections.append(("", Picture(name)))
    if summary.get("end_model"):
        sections.append(("End model", summary["end_model"]))
    if summary.get("end_model_candidates"):
        sections.append(("End model candidates (chosen on dev: highest accuracy; ties: the chosen aggregator, "
                         "covered rows, the smallest C)", summary["end_model_candidates"]))
    if summary.get("mistakes"):
        rows = [{"lf": lf, **r} for lf, items in summary["mistakes"].items() for r in items]
        sections.append(("Dev rows each LF got wrong", rows))
    sections.append(("Aggregator", summary["aggregator"]))
    sections.append(("Counts per split", {s: {k: v for k, v in c.items() if not k.startswith("labels|")}
                                          for s, c in counts.items()}))
    return sections


def _dev_steps(fit_report: dict, end_report: dict) -> list:
    rows = [{"step": r["aggregator"], "dev_accuracy": r["dev_accuracy"], "dev_accuracy_covered":
             r["dev_accuracy_covered"], "chosen": r["chosen"],
             "note": r["note"] or ("cross-fitted" if r["cross_fitted"] else "")} for r in fit_report["candidates"]]
    return rows + list(end_report.get("dev_metrics", []))


def run(examples, labeled_examples, label_matrix, report, config_json: str, pipeline) -> None:
    from tfx.dsl.io import fileio

    cfg = WeakLabelerConfig.model_validate_json(config_json)
    if cfg.end_model is not None and cfg.end_model.get("max_train_rows") is None:
        cfg = cfg.model_copy(update={"end_model": {**cfg.end_model, "max_train_rows": DEFAULT_MAX_TRAIN_ROWS}})
        config_json = cfg.model_dump_json()
    lf_names = [lf.name for lf in load_lfs(cfg.lf_module)]  # fail fast on a bad module path
    splits = split_names(examples)
    mark_examples(labeled_examples, splits)
    fileio.makedirs(label_matrix.uri)
    end_spec = cfg.end_model_spec()

    def read(pbegin):  # no shuffle of the batches: nothing holds the whole input
        return read_split_batches(pbegin, examples, splits, cfg.batch_size, spread_batches=False)

    with pipeline as p:
        # pass 1: the LFs' votes -> vote statistics and the end model's (bounded) rows
        applied = (p | "Read" >> beam.ptransform_fn(read)()
                   | beam.ParDo(ApplyLFs(config_json)).with_outputs("counts", "quarantine", main="votes"))
        batches = applied.votes
        stats = (batches | "Votes" >> beam.Map(votes_of)
                 | "VoteStats" >> beam.CombineGlobally(VoteStatsFn(cfg.cardinality, len(lf_names), cfg.max_patterns)))
        fit = stats | "FitAggregate" >> beam.Map(fit_aggregate_step, config_json, lf_names,
                                                 f"{label_matrix.uri}/vote_patterns.npz")
        n_train = end_spec.max_train_rows if end_spec is not None else 1
        end = (batches | "EndModelRows" >> beam.ParDo(EndModelRows(config_json))
               | "EndRows" >> beam.CombineGlobally(EndRowsFn(n_train))
               | "FitEnd" >> beam.Map(_fit_end, beam.pvalue.AsSingleton(fit), config_json, lf_names))
        # pass 2 (once the fits are done): read and apply the LFs again, attach labels, write.
        # Reusing pass 1's batches would make the runner keep every example until the fits end.
        again = (p | "Reread" >> beam.ptransform_fn(read)()
                 | "ApplyLFsAgain" >> beam.ParDo(ApplyLFs(config_json)).with_outputs("counts", "quarantine",
                                                                                    main="votes"))
        out = again.votes | "AttachLabels" >> beam.ParDo(
            AttachLabels(config_json), beam.pvalue.AsSingleton(fit), beam.pvalue.AsSingleton(end)) \
            .with_outputs("counts", *splits)
        for s in splits:
            write_split(out[s], labeled_examples, s)
        counts = ((applied.counts, out.counts) | "AllCounts" >> beam.Flatten()
                  | "SumCounts" >> beam.CombinePerKey(sum_counts))
        gather(counts, report.uri, "counts")
        gather(applied.quarantine, report.uri, "quarantine")
        gather(fit | "FitReport" >> beam.Map(_report_of), report.uri, "fit")
        gather(end | "EndReport" >> beam.Map(_report_of), report.uri, "end")
    counts = {s: c for s, c in read_gathered(report.uri, "counts")}
    [fit_report], [end_report] = read_gathered(report.uri, "fit"), read_gathered(report.uri, "end")
    quarantine = read_gathered(report.uri, "quarantine")
    checked = {s: check_accounting(c, RULES, component=f"weak_labeler [{s}]") for s, c in counts.items()}
    write_report(report.uri, "Weak labeling report", *_summary_and_sections(cfg, lf_names, fit_report, end_report,
                                                                             counts, quarantine),
                 quarantine=quarantine, accounting=(RULES, checked))


def _fit_end(rows, fit, config_json, lf_names):
    train_rows, dev_rows = rows
    return fit_end_step(train_rows, dev_rows, config_json, lf_names, fit.aggregator, fit.fitted)


def _report_of(result):
    return {**result.report, "from_end_model": getattr(result, "from_end_model", None)}


def _summary_and_sections(cfg: WeakLabelerConfig, lf_names, fit_report, end_report, counts, quarantine):
    from datalife.labeling.report_pictures import confusion_png, label_distribution_png, lf_bars_png
    import numpy as np

    names = cfg.names()
    faults = {n: sum(c.get(f"lf_faults|{n}", 0) for c in counts.values()) for n in lf_names}
    lfs = [{**r, "faults": faults[r["lf"]]} for r in fit_report["lfs"]]
    labels = _label_counts(counts)
    summary = {"chosen": fit_report["chosen"], "reason": fit_report["reason"],
               "from_end_model": end_report["from_end_model"], "class_names": names, "lf_names": list(lf_names),
               "fit_rows": fit_report["fit_rows"], "warnings": fit_report["warnings"] + end_report["warnings"],
               "aggregator": fit_report["aggregator"], "candidates": fit_report["candidates"], "lfs": lfs,
               "lf_faults": faults, "labels": labels, "end_model": end_report.get("end_model"),
               "end_model_candidates": end_report.get("end_model_candidates"),
               "mistakes": end_report.get("mistakes"),
               "splits": {s: {k: v for k, v in c.items() if not k.startswith(("labels|", "lf_faults|"))}
                          for s, c in counts.items()}}
    if cfg.dev_split is not None and end_report.get("dev_rows"):
        steps = _dev_steps(fit_report, end_report)
        acc = {r["step"]: r["dev_accuracy"] for r in steps}
        summary["dev"] = {"split": cfg.dev_split, "rows": end_report["dev_rows"], "coverage":
                          end_report["dev_coverage"], "steps": steps, "accuracy": acc,
                          "confusion": end_report["dev_confusion"]}
    acc_by_lf = [r.get("dev_accuracy") for r in lfs] if cfg.dev_split else None
    makers = {"lf_bars.png": lambda: lf_bars_png(lf_names, [r["coverage"] for r in lfs], acc_by_lf),
              "label_distribution.png": lambda: label_distribution_png(labels, names)}
    if summary.get("dev"):
        makers["dev_confusion.png"] = lambda: confusion_png(np.array(summary["dev"]["confusion"]), names)
    pictures = draw_pictures(makers)
    return summary, report_sections(summary, counts, set(pictures)), pictures
