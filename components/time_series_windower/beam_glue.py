"""Beam glue of the windower: rows -> grid rows keyed by (series, block) -> windows.
The per-block work is ``datalife.transforms.series_blocks.window_block``."""
from __future__ import annotations

import math
from datetime import datetime, timezone

import apache_beam as beam
import numpy as np
import tensorflow as tf

from datalife.components.examples_beam import decode_value
from datalife.components.time_series_windower.spec import WindowerConfig
from datalife.transforms.series_blocks import BlockInput, blocks_of_row, days_from_civil, window_block, window_features

__all__ = ["DecodeRows", "ToGrid", "WindowBlock", "MinMax", "split_end_rows"]

COUNTS = "counts"


def _seconds(row: dict, ts) -> float | None:
    if ts.column:
        v = row.get(ts.column)
        if v is None:
            return None
        if ts.unit == "iso":
            dt = datetime.fromisoformat(str(v))
            return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()
        return float(v) / (1000.0 if ts.unit == "ms" else 1.0)
    p = {k: row.get(c) for k, c in ts.parts.items()}
    if any(p.get(k) is None for k in ("year", "month", "day")):
        return None
    days = int(days_from_civil(p["year"], p["month"], p["day"]))
    return float(days * 86400 + int(p.get("hour") or 0) * 3600 + int(p.get("minute") or 0) * 60
                 + float(p.get("second") or 0))


def _num(v) -> float:
    if v is None or isinstance(v, list):
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


class DecodeRows(beam.DoFn):
    """(split, [serialized]) batches -> (series, (t, features, targets, label)) rows;
    rows without a timestamp go to the 'counts' output."""

    def __init__(self, config_json: str):
        self._json = config_json

    def setup(self):
        self.cfg = WindowerConfig.model_validate_json(self._json)

    def process(self, batch):
        cfg = self.cfg
        _, raws = batch
        bad = 0
        for raw in raws:
            feats = tf.train.Example.FromString(raw).features.feature
            row = {k: decode_value(feats[k]) for k in set(cfg.timestamp.columns()) | {
                cfg.series_key, cfg.label, *cfg.features, *cfg.targets} if k and k in feats}
            t = _seconds(row, cfg.timestamp)
            if t is None:
                bad += 1
                continue
            series = str(row.get(cfg.series_key, "")) if cfg.series_key else ""
            label = None if cfg.label is None else str(row.get(cfg.label))
            yield series, (t, tuple(_num(row.get(f)) for f in cfg.features),
                           tuple(_num(row.get(f)) for f in cfg.targets), label)
        yield beam.pvalue.TaggedOutput(COUNTS, {"rows_in": len(raws), "rows_no_timestamp": bad})


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


class ToGrid(beam.DoFn):
    """A row -> ((series, block), (idx, ...)) for every block that needs it."""

    def __init__(self, config_json: str):
        self._json = config_json

    def setup(self):
        self.cfg = WindowerConfig.model_validate_json(self._json)
        self.span = self.cfg.spec().span

    def process(self, item, bounds):
        series, (t, feats, tgts, label) = item
        cfg = self.cfg
        tmin, _ = bounds[series]
        exact = (t - tmin) / cfg.step_seconds
        idx = int(round(exact))
        if abs(t - (tmin + idx * cfg.step_seconds)) > cfg.gap_tolerance_seconds + 1e-9:
            yield beam.pvalue.TaggedOutput(COUNTS, {"rows_off_grid": 1})
            return
        for b in blocks_of_row(idx, self.span, cfg.block_rows):
            yield (series, b), (idx, feats, tgts, label)


def split_end_rows(cfg: WindowerConfig, tmin: float, tmax: float) -> np.ndarray:
    """Exclusive end grid row of every split but the last, for one series."""
    ends = []
    for s in cfg.splits[:-1]:
        if isinstance(s.until, float):
            end_t = tmin + s.until * (tmax - tmin)
        else:
            dt = datetime.fromisoformat(str(s.until))
            end_t = (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()
        ends.append(math.ceil((end_t - tmin) / cfg.step_seconds - 1e-9))
    return np.array(ends, dtype=np.int64)


def _feature(values, kind="float"):
    flat = np.asarray(values).ravel()
    if kind == "int":
        return tf.train.Feature(int64_list=tf.train.Int64List(value=flat.astype(np.int64).tolist()))
    if kind == "bytes":
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[str(v).encode() for v in flat]))
    return tf.train.Feature(float_list=tf.train.FloatList(value=flat.astype(np.float32).tolist()))


class WindowBlock(beam.DoFn):
    """((series, block), rows) -> serialized window Examples tagged by split, plus counts."""

    def __init__(self, config_json: str):
        self._json = config_json

    def setup(self):
        self.cfg = WindowerConfig.model_validate_json(self._json)
        self.spec = self.cfg.spec()

    def process(self, item, bounds, vocab):
        (series, block), rows = item
        cfg, spec = self.cfg, self.spec
        tmin, tmax = bounds[series]
        rows = sorted(rows, key=lambda r: (r[0], r[1], r[2], r[3] or ""))
        idx = np.array([r[0] for r in rows], dtype=np.int64)
        first = np.ones(len(idx), bool)
        first[1:] = idx[1:] != idx[:-1]
        owned = idx // cfg.block_rows == block
        dupes = int((~first & owned).sum())
        rows = [r for r, keep in zip(rows, first) if keep]
        idx = idx[first]
        last_idx = int(round((tmax - tmin) / cfg.step_seconds))
        blk = BlockInput(
            block, idx,
            np.array([r[1] for r in rows], dtype=np.float64).reshape(len(rows), len(cfg.features)),
            np.array([r[2] for r in rows], dtype=np.float64).reshape(len(rows), len(cfg.targets))
            if cfg.targets else None,
            np.array([vocab.index(r[3]) for r in rows], dtype=np.int64) if cfg.label else None,
            last_idx)
        out = window_block(blk, spec, cfg.block_rows, split_end_rows(cfg, tmin, tmax), cfg.purity)
        extra = window_features(out.inputs, cfg.window_features) if cfg.window_features else {}
        names = [s.name for s in cfg.splits]
        for w in range(len(out.starts)):
            start = int(out.starts[w])
            f = {"inputs": _feature(out.inputs[w]), "series": _feature([series], "bytes"),
                 "start_time": _feature([round(tmin + start * cfg.step_seconds)], "int"),
                 "end_time": _feature([round(tmin + (start + spec.span - 1) * cfg.step_seconds)], "int")}
            if out.targets is not None:
                f["targets"] = _feature(out.targets[w])
            if out.labels is not None:
                f["label"] = _feature([out.labels[w]], "int")
                f["label_name"] = _feature([vocab[out.labels[w]]], "bytes")
                f["purity"] = _feature([out.purity[w]])
            for name, arr in extra.items():
                f[name] = _feature(arr[w])
            example = tf.train.Example(features=tf.train.Features(feature=f))
            yield beam.pvalue.TaggedOutput(names[out.split[w]], example.SerializeToString())
        counts = dict(out.counts)
        counts.update({"rows_gridded": int(owned.sum()) - dupes, "rows_duplicate_time": dupes})
        for s, name in enumerate(names):
            counts[f"windows_{name}"] = int((out.split == s).sum())
        yield beam.pvalue.TaggedOutput(COUNTS, counts)
