"""Beam glue of the windower: decode rows, key them by (series, block), call the core
(``datalife.transforms.series_blocks``), encode the windows. Imports neither
TensorFlow nor TFX."""
from __future__ import annotations

import math

import apache_beam as beam

from datalife.common.codec import Columns, content_keys, encode_columns
from datalife.common.quarantine import quarantine_record
from datalife.components.beam_glue import ConfigDoFn, bundle_end_output
from datalife.components.time_series_windower.spec import WindowerConfig
from datalife.transforms.series_blocks import (TimestampError, block_input, blocks_of_row, blocks_of_series, grid_index, owned_rows,
                                               row_seconds, split_end_rows, to_number, window_block, window_features)

__all__ = ["DecodeRows", "ToGrid", "WindowBlock", "MinMax", "series_time", "row_label", "block_keys",
           "series_length", "COUNTS", "QUARANTINE"]

COUNTS, QUARANTINE = "counts", "quarantine"


class _WithConfig(ConfigDoFn):
    config_type = WindowerConfig


class DecodeRows(_WithConfig):
    """(split, [serialized]) batches -> (series, (t, features, targets, label)) rows; a row
    whose time cannot be read (empty cell, also an empty hour/minute part; not a time) is
    quarantined naming its split, row key, series and column, and counted."""

    def process(self, batch):
        cfg = self.cfg
        split, raws = batch
        cols = Columns(raws)
        names = [c for c in cfg.input_columns() if c in cols]
        values = {c: cols[c] for c in names}
        bad = {"no_timestamp": 0, "bad_timestamp": 0}
        keys = None
        for i in range(len(raws)):
            row = {c: values[c][i] for c in names}
            series = str(row.get(cfg.series_key, "")) if cfg.series_key else ""
            try:
                t = row_seconds(row, cfg.timestamp)
            except TimestampError as exc:
                bad[exc.reason] += 1
                keys = keys or content_keys(raws)
                cells = {c: row.get(c) for c in cfg.timestamp.columns()}
                yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_record(
                    None, exc.reason, f"[{split}] row {keys[i]}" + (f" of series {series!r}" if cfg.series_key else "")
                    + f": {exc} (time cells: {cells})", record=keys[i], field=exc.field, split=split, series=series))
                continue
            label = None if cfg.label is None else str(row.get(cfg.label))
            yield series, (t, tuple(to_number(row.get(f)) for f in cfg.features),
                           tuple(to_number(row.get(f)) for f in cfg.targets), label)
        yield beam.pvalue.TaggedOutput(COUNTS, {"rows_in": len(raws), "rows_no_timestamp": bad["no_timestamp"],
                                                "rows_bad_timestamp": bad["bad_timestamp"]})


def series_length(bounds, step_seconds: float, span: int):
    """(series, (t_first, t_last)) -> counts, and a quarantine record when the series
    spans fewer grid rows than one window (it can give no window)."""
    series, (tmin, tmax) = bounds
    rows = int(round((tmax - tmin) / step_seconds)) + 1
    if rows >= span:
        yield beam.pvalue.TaggedOutput(COUNTS, {"series_in": 1, "series_windowed": 1})
        return
    yield beam.pvalue.TaggedOutput(COUNTS, {"series_in": 1, "series_too_short": 1})
    yield beam.pvalue.TaggedOutput(QUARANTINE, quarantine_record(
        None, "series_too_short", f"series {series!r} spans {rows} grid row(s) of {step_seconds:g} s, fewer than one "
        f"window ({span} rows): it gives no window", record=series, field=None, series=series))


def series_time(kv):
    """(series, row) -> (series, t)."""
    return kv[0], kv[1][0]


def row_label(kv):
    return kv[1][3]


def block_keys(bounds, step_seconds: float, block_rows: int):
    """(series, (t_first, t_last)) -> ((series, block), None) for every block of the series,
    so that a block no row falls in is windowed too (its windows are counted as gaps)."""
    series, (tmin, tmax) = bounds
    for b in blocks_of_series(int(round((tmax - tmin) / step_seconds)), block_rows):
        yield (series, b), None


class MinMax(beam.CombineFn):
    def create_accumulator(self):
        return (math.inf, -math.inf)

    def add_input(self, acc, t):
        return (min(acc[0], t), max(acc[1], t))

    def merge_accumulators(self, accs):
        accs = list(accs)
        return (min(a[0] for a in accs), max(a[1] for a in accs))

    def extract_output(self, acc):
        return acc


class ToGrid(_WithConfig):
    """A row -> ((series, block), (idx, ...)) for every block that needs it; the rows
    placed and the copies sent are counted per bundle."""

    def setup(self):
        super().setup()
        self.span = self.cfg.window.span

    def start_bundle(self):
        self._placed = self._sent = 0

    def process(self, item, bounds):
        series, (t, feats, tgts, label) = item
        cfg = self.cfg
        idx = grid_index(t, bounds[series][0], cfg.step_seconds, cfg.gap_tolerance_seconds)
        if idx is None:
            yield beam.pvalue.TaggedOutput(COUNTS, {"rows_off_grid": 1})
            return
        self._placed += 1
        for b in blocks_of_row(idx, self.span, cfg.block_rows):
            self._sent += 1
            yield (series, b), (idx, feats, tgts, label)

    def finish_bundle(self):
        if self._placed:
            yield bundle_end_output(COUNTS, {"rows_placed": self._placed, "row_copies_sent": self._sent})
        self._placed = self._sent = 0


class WindowBlock(_WithConfig):
    """((series, block), rows) -> serialized window Examples tagged by split, plus counts."""

    def process(self, item, bounds, vocab):
        (series, block), rows = item
        rows = [r for r in rows if r is not None]  # None: the block's key from block_keys
        cfg, spec = self.cfg, self.cfg.window
        tmin, tmax = bounds[series]
        last_idx = int(round((tmax - tmin) / cfg.step_seconds))
        blk, dupes = block_input(block, list(rows), cfg.block_rows, last_idx, len(cfg.features), len(cfg.targets),
                                 vocab if cfg.label else None)
        ends = split_end_rows([s.until for s in cfg.splits[:-1]], tmin, tmax, cfg.step_seconds)
        out = window_block(blk, spec, cfg.block_rows, ends, cfg.purity)
        names = [s.name for s in cfg.splits]
        n = len(out.starts)
        if n:
            columns = {"inputs": list(out.inputs), "series": [series] * n,
                       "start_time": [round(tmin + int(s) * cfg.step_seconds) for s in out.starts],
                       "end_time": [round(tmin + (int(s) + spec.span - 1) * cfg.step_seconds) for s in out.starts]}
            if out.targets is not None:
                columns["targets"] = list(out.targets)
            if out.labels is not None:
                columns.update(label=out.labels.tolist(), label_name=[vocab[k] for k in out.labels],
                               purity=out.purity.tolist())
            if cfg.window_features:
                columns.update({k: list(v) for k, v in window_features(out.inputs, cfg.window_features).items()})
            kinds = {k: "float" for k in columns}
            kinds.update(series="bytes", start_time="int", end_time="int", label="int", label_name="bytes")
            for split, example in zip(out.split, encode_columns(columns, kinds)):
                yield beam.pvalue.TaggedOutput(names[split], example)
        counts = dict(out.counts)
        counts.update({"rows_gridded": owned_rows(blk.idx, block, cfg.block_rows), "rows_duplicate_time": dupes,
                       "row_copies_grouped": len(rows)})
        for s, name in enumerate(names):
            counts[f"windows_{name}"] = int((out.split == s).sum())
        yield beam.pvalue.TaggedOutput(COUNTS, counts)
