"""The windower's Beam graph and its report."""
from __future__ import annotations

import json
import typing

import apache_beam as beam

from datalife.components.examples_beam import mark_examples, read_split_batches, write_split
from datalife.components.time_series_windower.beam_glue import COUNTS, DecodeRows, MinMax, ToGrid, WindowBlock
from datalife.components.time_series_windower.spec import WindowerConfig
from datalife.splits import sum_counts

__all__ = ["run", "check_accounting"]


def check_accounting(counts: dict) -> dict:
    """Every row and every candidate window is accounted for; raises if not."""
    rows = ("rows_no_timestamp", "rows_off_grid", "rows_duplicate_time", "rows_gridded")
    windows = ("dropped_gap", "dropped_missing_value", "dropped_split_boundary", "dropped_impure", "windows_out")
    c = {k: counts.get(k, 0) for k in ("rows_in", "windows_candidate", *rows, *windows)}
    if c["rows_in"] != sum(c[k] for k in rows):
        raise AssertionError(f"row accounting broken: {c}")
    if c["windows_candidate"] != sum(c[k] for k in windows):
        raise AssertionError(f"window accounting broken: {c}")
    return c


def _write_report(counts: dict, cfg: WindowerConfig, uri: str, sample_uri_hint: str) -> None:
    import tensorflow as tf

    check_accounting(counts)
    report = {"counts": counts, "config": json.loads(cfg.model_dump_json()),
              "window_shape": {"inputs": [cfg.window.history, len(cfg.features)],
                               "targets": [cfg.window.targets, len(cfg.targets)] if cfg.targets else None}}
    tf.io.gfile.makedirs(uri)
    with tf.io.gfile.GFile(f"{uri}/report.json", "w") as f:
        f.write(json.dumps(report, indent=2, sort_keys=True))
    rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in sorted(counts.items()))
    with tf.io.gfile.GFile(f"{uri}/report.html", "w") as f:
        f.write("<!doctype html><html><head><meta charset='utf-8'><title>Time-series windows</title></head>"
                f"<body><h1>Time-series windows</h1><table>{rows}</table>"
                f"<p>inputs shape {report['window_shape']}</p><img src='example_window.png' "
                "alt='an example window'></body></html>")


def _plot_first_window(examples_uri: str, split: str, cfg: WindowerConfig, report_uri: str) -> None:
    """A PNG of one window of the first split (inputs and targets over time)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import tensorflow as tf

    files = tf.io.gfile.glob(f"{examples_uri}/Split-{split}/*")
    for raw in tf.data.TFRecordDataset(files, compression_type="GZIP").take(1):
        ex = tf.train.Example.FromString(raw.numpy()).features.feature
        x = np.array(ex["inputs"].float_list.value).reshape(cfg.window.history, len(cfg.features))
        fig, ax = plt.subplots(figsize=(7, 3))
        for j, name in enumerate(cfg.features):
            ax.plot(range(cfg.window.history), x[:, j], label=name)
        if cfg.targets:
            y = np.array(ex["targets"].float_list.value).reshape(cfg.window.targets, len(cfg.targets))
            steps = range(cfg.window.history + cfg.window.shift - cfg.window.targets,
                          cfg.window.history + cfg.window.shift)
            for j, name in enumerate(cfg.targets):
                ax.plot(steps, y[:, j], "o--", label=f"target {name}")
        ax.set_xlabel("step")
        ax.legend(fontsize=6)
        fig.tight_layout()
        with tf.io.gfile.GFile(f"{report_uri}/example_window.png", "wb") as f:
            fig.savefig(f, format="png", dpi=80)
        plt.close(fig)


def run(examples, windows, report, config_json: str, pipeline) -> None:
    from tfx.types import artifact_utils

    cfg = WindowerConfig.model_validate_json(config_json)
    in_splits = artifact_utils.decode_split_names(examples.split_names)
    out_splits = [s.name for s in cfg.splits]
    mark_examples(windows, out_splits)
    with pipeline as p:
        batches = read_split_batches(p, examples, in_splits, batch_size=1000)
        decoded = batches | beam.ParDo(DecodeRows(config_json)).with_outputs(COUNTS, main="rows")
        rows = decoded.rows
        bounds = rows | "Times" >> beam.Map(lambda kv: (kv[0], kv[1][0])) | beam.CombinePerKey(MinMax())
        vocab = (rows | "Labels" >> beam.Map(lambda kv: kv[1][3]) | beam.Distinct()
                 | beam.combiners.ToList() | "Sort" >> beam.Map(lambda v: sorted(x for x in v if x is not None)))
        gridded = rows | beam.ParDo(ToGrid(config_json), beam.pvalue.AsDict(bounds)).with_outputs(
            COUNTS, main="grid")
        made = (gridded.grid
                | "KeyedRows" >> beam.Map(lambda kv: kv).with_output_types(typing.Tuple[typing.Any, typing.Any])
                | beam.GroupByKey()
                | beam.ParDo(WindowBlock(config_json), beam.pvalue.AsDict(bounds),
                             beam.pvalue.AsSingleton(vocab)).with_outputs(COUNTS, *out_splits))
        for s in out_splits:
            write_split(made[s], windows, s)
        _ = ((decoded[COUNTS], gridded[COUNTS], made[COUNTS]) | "AllCounts" >> beam.Flatten()
             | beam.CombineGlobally(sum_counts) | beam.Map(_write_report, cfg, report.uri, windows.uri))
    try:
        _plot_first_window(windows.uri, out_splits[0], cfg, report.uri)
    except Exception as exc:  # a report picture must never fail the run; say why it is missing
        import logging

        logging.warning("no example window plotted: %s", exc)
