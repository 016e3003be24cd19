"""The windower's Beam graph and its report."""
from __future__ import annotations

import json
import typing

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.examples_beam import (gather, mark_examples, read_gathered, read_split_batches,
                                               split_names, split_records, write_split)
from datalife.components.report import Picture, draw_pictures, write_report
from datalife.components.time_series_windower.beam_glue import (COUNTS, QUARANTINE, DecodeRows, MinMax, ToGrid,
                                                                WindowBlock, block_keys, row_label, series_length,
                                                                series_time)
from datalife.components.time_series_windower.spec import RULES, WindowerConfig

__all__ = ["run", "NoWindows"]


class NoWindows(ValueError):
    """Rows in, no window out: every row or series quarantined, or every window dropped."""


def _sorted_labels(labels):
    return sorted(x for x in labels if x is not None)


def _plot_first_window(examples_uri: str, split: str, cfg: WindowerConfig) -> bytes:
    """A PNG of one written window of the first split (inputs and targets over time)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from datalife.common.codec import Columns
    from datalife.transforms.draw import figure_png

    w = cfg.window
    [raw] = split_records(examples_uri, split, limit=1)
    cols = Columns([raw])
    x = np.array(cols.values("inputs")[0]).reshape(w.history, len(cfg.features))
    fig, ax = plt.subplots(figsize=(7, 3))
    for j, name in enumerate(cfg.features):
        ax.plot(range(w.history), x[:, j], label=name)
    if cfg.targets:
        y = np.array(cols.values("targets")[0]).reshape(w.targets, len(cfg.targets))
        steps = range(w.history + w.shift - w.targets, w.history + w.shift)
        for j, name in enumerate(cfg.targets):
            ax.plot(steps, y[:, j], "o--", label=f"target {name}")
    ax.set_xlabel("step")
    ax.legend(fontsize=6)
    return figure_png(fig)


def run(examples, windows, report, config_json: str, pipeline) -> None:
    cfg = WindowerConfig.model_validate_json(config_json)
    out_splits = [s.name for s in cfg.splits]
    mark_examples(windows, out_splits)
    with pipeline as p:
        batches = read_split_batches(p, examples, split_names(examples), batch_size=1000)
        decoded = batches | beam.ParDo(DecodeRows(config_json)).with_outputs(COUNTS, QUARANTINE, main="rows")
        rows = decoded.rows
        bounds = rows | "Times" >> beam.Map(series_time) | beam.CombinePerKey(MinMax())
        vocab = (rows | "Labels" >> beam.Map(row_label) | beam.Distinct()
                 | beam.combiners.ToList() | "Sort" >> beam.Map(_sorted_labels))
        gridded = rows | beam.ParDo(ToGrid(config_json), beam.pvalue.AsDict(bounds)).with_outputs(
            COUNTS, main="grid")
        lengths = bounds | "SeriesLength" >> beam.FlatMap(series_length, cfg.step_seconds,
                                                          cfg.window.span).with_outputs(COUNTS, QUARANTINE)
        blocks = bounds | "Blocks" >> beam.FlatMap(block_keys, cfg.step_seconds, cfg.block_rows)
        made = ((gridded.grid, blocks) | "RowsAndBlocks" >> beam.Flatten()
                | "KeyedRows" >> beam.Map(tuple).with_output_types(typing.Tuple[typing.Any, typing.Any])
                | beam.GroupByKey()
                | beam.ParDo(WindowBlock(config_json), beam.pvalue.AsDict(bounds),
                             beam.pvalue.AsSingleton(vocab)).with_outputs(COUNTS, *out_splits))
        for s in out_splits:
            write_split(made[s], windows, s)
        counts = ((decoded[COUNTS], gridded[COUNTS], made[COUNTS], lengths[COUNTS]) | "AllCounts" >> beam.Flatten()
                  | beam.CombineGlobally(sum_counts))
        gather(counts, report.uri, "counts")
        gather((decoded[QUARANTINE], lengths[QUARANTINE]) | "AllQuarantined" >> beam.Flatten(), report.uri,
               "quarantine")
    [counts] = read_gathered(report.uri, "counts")
    quarantine = sorted(read_gathered(report.uri, "quarantine"), key=lambda q: (q["reason"], str(q["record"])))
    terms = check_accounting(counts, RULES, component="time_series_windower")
    w = cfg.window
    shapes = {"inputs": [w.history, len(cfg.features)],
              "targets": [w.targets, len(cfg.targets)] if cfg.targets else None}
    pictures = draw_pictures({"example_window.png": lambda: _plot_first_window(windows.uri, out_splits[0], cfg)})
    write_report(report.uri, "Time-series windows",
                 {"counts": counts, "config": json.loads(cfg.model_dump_json()), "window_shape": shapes},
                 sections=[("Counts", counts), ("Window shape", shapes),
                           ("An example window", Picture("example_window.png", "an example window"))],
                 pictures=pictures, quarantine=quarantine, accounting=(RULES, {"all": terms}))
    if counts.get("rows_in") and not counts.get("windows_out"):  # report written first: it says why
        why = {k: v for k, v in sorted(counts.items()) if v and k.startswith(("rows_", "dropped_", "series_"))}
        raise NoWindows(f"time_series_windower: {counts['rows_in']} row(s) in, no window out ({why}); "
                        f"see {report.uri}/quarantine.jsonl")
