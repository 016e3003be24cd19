"""The active sampler's Beam graph: decode the pool splits into small rows, select once
on all of them (the core's ``labeling.active.select``), write the selected examples;
then, in the executor, the batch for people (CSV, JSON, Label Studio tasks) and the
report (accounting, class balance, the 2-D picture)."""
from __future__ import annotations

import csv
import io
import json

import apache_beam as beam

from datalife.common.accounting import Rule, check_accounting, sum_counts
from datalife.components.active_sampler.beam_glue import AttachSelection, DecodeRows, select_rows
from datalife.components.active_sampler.spec import ActiveSamplerConfig
from datalife.components.examples_beam import gather, mark_examples, read_gathered, read_split_batches, write_split
from datalife.components.report import Picture, draw_pictures, write_report

__all__ = ["run", "RULES", "OUTPUT_SPLIT", "batch_files", "class_balance"]

OUTPUT_SPLIT = "batch"
RULES = [Rule("rows_in", ("rows_labeled", "rows_unlabeled", "rows_quarantined")),
         Rule("rows_unlabeled", ("rows_selected", "rows_not_selected")),
         Rule("rows_out", ("rows_selected",))]


def _picture(projection: dict, title: str) -> bytes:
    import os
    import tempfile

    import numpy as np

    from datalife.labeling.active.projection import plot_selection

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "p.png")
        plot_selection(np.asarray(projection["xy"]).reshape(-1, 2), np.asarray(projection["y"]),
                       projection["selected"], path, classes=projection["classes"], title=title)
        with open(path, "rb") as f:
            return f.read()


def class_balance(summary: dict) -> dict:
    """Per class: the labeled examples and the batch's examples the model predicts in it."""
    classes = [str(c) for c in summary["classes"]]
    labeled = summary.get("labeled_class_counts", {})
    predicted = summary.get("batch_predicted_class_counts", {})
    return {c: {"labeled": int(labeled.get(c, 0)), "in batch (predicted)": int(predicted.get(c, 0))}
            for c in classes}


def batch_files(selection: dict, cfg: ActiveSamplerConfig, batch_id: str) -> dict[str, bytes]:
    """``batch.csv`` and ``batch.json`` for people, ``tasks.json`` for Label Studio
    (when ``show_field`` names what the annotator sees) and its ``label_config.xml``."""
    from datalife.labeling.label_studio_tasks import batch_tasks, label_config

    import pandas as pd

    records = selection["batch"]
    out = io.StringIO()
    fields = list(dict.fromkeys(k for r in records for k in r)) or ["rank", "key"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    writer.writerows(records)
    files = {"batch.csv": out.getvalue().encode(), "batch.json": json.dumps(records, indent=1).encode()}
    if cfg.show_field and records:
        kind = "image" if any(str(r[cfg.show_field]).lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".bmp"))
                              for r in records) else "text"
        tasks = batch_tasks(pd.DataFrame(records), batch_id=batch_id, kind=kind, data_column=cfg.show_field)
        files["tasks.json"] = json.dumps(tasks, indent=1, ensure_ascii=False).encode()
        files["label_config.xml"] = label_config(selection["summary"]["classes"], kind=kind).encode()
    return files


def run(examples, selected_examples, labeling_batch, report, config_json: str, pipeline) -> None:
    from tfx.dsl.io import fileio
    from tfx.types import artifact_utils

    cfg = ActiveSamplerConfig.model_validate_json(config_json)
    available = artifact_utils.decode_split_names(examples.split_names)
    missing = sorted(set(cfg.splits) - set(available))
    if missing:
        raise ValueError(f"active_sampler: splits {missing} are not in the input (it has {available})")
    mark_examples(selected_examples, [OUTPUT_SPLIT])
    with pipeline as p:
        batches = read_split_batches(p, examples, cfg.splits, cfg.read_batch_size)
        selection = (batches | "Decode" >> beam.ParDo(DecodeRows(config_json)) | "Pool" >> beam.combiners.ToList()
                     | "Select" >> beam.Map(select_rows, config_json))
        out = batches | "Attach" >> beam.ParDo(AttachSelection(config_json),
                                               beam.pvalue.AsSingleton(selection)).with_outputs("counts", main="rows")
        write_split(out.rows, selected_examples, OUTPUT_SPLIT)
        gather(out.counts | "SumOut" >> beam.CombineGlobally(sum_counts), report.uri, "written")
        gather(selection, report.uri, "selection")
    [selection] = read_gathered(report.uri, "selection")
    if "error" in selection:
        raise ValueError(f"active_sampler: {selection['error']}")
    [written] = read_gathered(report.uri, "written")
    counts = {**selection["counts"], "rows_out": int(written.get("rows_out", 0))}
    checked = {"pool": check_accounting(counts, RULES, component="active_sampler")}
    summary = selection["summary"]
    batch_id = f"{cfg.strategy}-{report.uri.rstrip('/').rsplit('/', 1)[-1]}"
    fileio.makedirs(labeling_batch.uri)
    for name, data in batch_files(selection, cfg, batch_id).items():
        with fileio.open(f"{labeling_batch.uri}/{name}", "wb") as f:
            f.write(data)
    labeling_batch.set_string_custom_property("strategy", cfg.strategy)
    labeling_batch.set_int_custom_property("selected", len(selection["batch"]))
    title = f"{cfg.strategy}: {len(selection['batch'])} selected of {summary['unlabeled']:,} unlabeled"
    pictures = draw_pictures({"selection.png": lambda: _picture(selection["projection"], title)})
    top = [{k: r.get(k) for k in ("rank", "id", "key", "split", "score", "reason", "predicted", "confidence")}
           for r in selection["batch"][:50]]
    write_report(report.uri, "Active sampler: what to label next",
                 {**summary, "counts": counts, "batch_uri": labeling_batch.uri},
                 sections=[("Counts", counts), ("Class balance (labeled, and the batch as the model predicts it)",
                                                class_balance(summary)),
                           ("Labeled, unlabeled and selected examples (PCA)", Picture("selection.png")),
                           (f"The batch, best first ({len(selection['batch'])}; all in batch.csv)", top)],
                 pictures=pictures, quarantine=selection["quarantine"], accounting=(RULES, checked))
