"""The time-series windower's logic (pure NumPy): rows with timestamps -> grid rows ->
blocks -> windows. Its Beam glue only decodes, keys, calls these and encodes.

1. :func:`row_seconds` reads a row's time (one column in s, ms or ISO-8601 text, or
   year/month/day/hour/minute/second parts; UTC) as declared by a :class:`TimestampSpec`;
2. :func:`grid_index` lays it on the series' regular grid: row index
   ``i = round((t - t_first) / step)``, or None when the row is further than the
   tolerance from a grid point;
3. :func:`blocks_of_row`: the windower cuts a series into blocks of ``block_rows`` grid
   rows; block ``b`` owns the windows that *start* in ``[b * B, (b + 1) * B)`` and
   receives the rows up to ``(b + 1) * B + span - 1`` that those windows need, so
   memory per worker is bounded by the block, not the series;
4. :func:`block_input` sorts a block's rows and drops repeated grid rows (counted once,
   by the block that owns the row); :func:`split_end_rows` turns time splits (ISO dates
   or fractions of the series' range) into grid rows;
5. :func:`window_block` makes the block's windows (never across a gap, a split boundary
   or two series), :func:`window_features` their optional features.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal, Mapping, Optional, Sequence, Union

import numpy as np
from pydantic import model_validator

from datalife.common.strict import StrictModel
from datalife.transforms.windows import WindowSpec, majority_labels, make_windows

__all__ = ["TimestampSpec", "TIME_PARTS", "TimestampError", "row_seconds", "to_number", "grid_index", "split_end_rows",
           "blocks_of_series", "blocks_of_row", "BlockInput", "block_input", "owned_rows", "window_block", "window_features",
           "days_from_civil"]

TIME_PARTS = ("year", "month", "day", "hour", "minute", "second")


class TimestampSpec(StrictModel):
    """Either one ``column`` (seconds, milliseconds or ISO-8601 text) or ``parts``
    mapping year/month/day/hour/minute/second to columns (UTC)."""

    column: Optional[str] = None
    unit: Literal["s", "ms", "iso"] = "s"
    parts: Optional[dict[str, str]] = None

    @model_validator(mode="after")
    def _one(self):
        if (self.column is None) == (self.parts is None):
            raise ValueError("give exactly one of 'column' or 'parts'")
        if self.parts is not None:
            unknown = sorted(set(self.parts) - set(TIME_PARTS))
            if unknown or not {"year", "month", "day"} <= set(self.parts):
                raise ValueError(f"parts needs year, month, day (and may have hour, minute, second); "
                                 f"unknown: {unknown}")
        return self

    def columns(self) -> list[str]:
        return [self.column] if self.column else list(self.parts.values())


class TimestampError(ValueError):
    """A row's time that cannot be read: ``field`` names the column, ``reason`` says why
    (``no_timestamp``: the cell is empty; ``bad_timestamp``: it is not a time)."""

    def __init__(self, field: str, reason: str, message: str):
        self.field, self.reason = field, reason
        super().__init__(f"column {field!r}: {message}")


def _iso_seconds(text: str, column: str = "until") -> float:
    try:
        dt = datetime.fromisoformat(str(text))
    except ValueError:
        raise TimestampError(column, "bad_timestamp", f"{str(text)[:60]!r} is not an ISO-8601 time") from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).timestamp()


def _number(v, column: str) -> float:
    if v is None or (isinstance(v, str) and not v.strip()):
        raise TimestampError(column, "no_timestamp", "the cell is empty")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise TimestampError(column, "bad_timestamp", f"{str(v)[:60]!r} is not a number") from None
    if not math.isfinite(x):
        raise TimestampError(column, "bad_timestamp", f"{v!r} is not a finite number")
    return x


def row_seconds(row: Mapping, ts: TimestampSpec) -> float:
    """Seconds since 1970 (UTC) of a row ``{column: plain value}``; :class:`TimestampError`
    naming the column when a cell the spec names is empty (also an hour, minute or second
    part: an empty part is never read as 0) or is not a time (unparsable, NaN, infinite,
    month 13, a fractional day)."""
    if ts.column:
        v = row.get(ts.column)
        if ts.unit == "iso":
            if v is None or not str(v).strip():
                raise TimestampError(ts.column, "no_timestamp", "the cell is empty")
            return _iso_seconds(v, ts.column)
        return _number(v, ts.column) / (1000.0 if ts.unit == "ms" else 1.0)
    p = {k: _number(row.get(c), c) for k, c in ts.parts.items()}
    for k in ("year", "month", "day", "hour", "minute"):
        if k in p and p[k] != int(p[k]):
            raise TimestampError(ts.parts[k], "bad_timestamp", f"{k} {p[k]!r} is not a whole number")
    try:
        datetime(int(p["year"]), int(p["month"]), int(p["day"]), int(p.get("hour", 0)), int(p.get("minute", 0)),
                 int(p.get("second", 0)))
    except (ValueError, OverflowError) as exc:
        cols = ", ".join(f"{k}={p[k]:g}" for k in p)
        raise TimestampError(ts.parts["year"], "bad_timestamp", f"not a date/time ({cols}): {exc}") from None
    days = int(days_from_civil(int(p["year"]), int(p["month"]), int(p["day"])))
    return float(days * 86400 + int(p.get("hour", 0)) * 3600 + int(p.get("minute", 0)) * 60 + p.get("second", 0.0))


def to_number(v) -> float:
    """A feature value as a float; NaN (missing) for None, lists and non-numbers."""
    if v is None or isinstance(v, list):
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def grid_index(t: float, t_first: float, step_seconds: float, tolerance_seconds: float) -> Optional[int]:
    """The grid row of time ``t`` (``round((t - t_first) / step)``), or None when ``t`` is
    further than the tolerance from that grid point (the row is off the grid)."""
    idx = int(round((t - t_first) / step_seconds))
    if abs(t - (t_first + idx * step_seconds)) > tolerance_seconds + 1e-9:
        return None
    return idx


def split_end_rows(untils: Sequence[Union[float, str]], t_first: float, t_last: float,
                   step_seconds: float) -> np.ndarray:
    """Exclusive end grid row of every split but the last, for one series: ``until`` is a
    fraction of the series' time range or an ISO date (UTC when no zone is given)."""
    ends = []
    for until in untils:
        end_t = t_first + until * (t_last - t_first) if isinstance(until, float) else _iso_seconds(until)
        ends.append(math.ceil((end_t - t_first) / step_seconds - 1e-9))
    return np.array(ends, dtype=np.int64)


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (vectorised, integers)."""
    y, m, d = (np.asarray(a, dtype=np.int64) for a in (y, m, d))
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def blocks_of_series(last_idx: int, block_rows: int) -> range:
    """Every block of a series whose last grid row is ``last_idx``: each is windowed, even
    one no row falls in (its windows are all gaps, and are counted as such)."""
    return range(last_idx // block_rows + 1)


def blocks_of_row(idx: int, span: int, block_rows: int) -> range:
    """The blocks that need grid row ``idx`` (its own block and earlier ones whose
    windows reach it)."""
    return range(max(0, (idx - span + 1) // block_rows), idx // block_rows + 1)


@dataclass
class BlockInput:
    block: int
    idx: np.ndarray  # grid rows present in this block (sorted, unique)
    values: np.ndarray  # [n, F] input features (NaN = missing)
    targets: np.ndarray | None  # [n, G]
    labels: np.ndarray | None  # [n] class ids
    last_idx: int  # the series' last grid row


def block_input(block: int, rows: Sequence[tuple], block_rows: int, last_idx: int, n_features: int,
                n_targets: int, vocab: Optional[Sequence[str]] = None) -> tuple[BlockInput, int]:
    """A block's rows ``(grid row, features, targets, label)`` (any order, any repeats) ->
    the block's input, and how many rows were repeats of a grid row this block owns
    (the first of a grid row's rows in sorted order is kept; a repeat is counted only
    by the block that owns the row, so it is counted once)."""
    rows = sorted(rows, key=lambda r: (r[0], r[1], r[2], r[3] or ""))
    idx = np.array([r[0] for r in rows], dtype=np.int64)
    first = np.ones(len(idx), bool)
    first[1:] = idx[1:] != idx[:-1]
    duplicates = int((~first & (idx // block_rows == block)).sum())
    rows = [r for r, keep in zip(rows, first) if keep]
    values = np.array([r[1] for r in rows], dtype=np.float64).reshape(len(rows), n_features)
    targets = np.array([r[2] for r in rows], dtype=np.float64).reshape(len(rows), n_targets) if n_targets else None
    labels = np.array([vocab.index(r[3]) for r in rows], dtype=np.int64) if vocab is not None else None
    return BlockInput(block, idx[first], values, targets, labels, last_idx), duplicates


def owned_rows(idx: np.ndarray, block: int, block_rows: int) -> int:
    """How many of these (unique) grid rows the block owns."""
    return int((np.asarray(idx) // block_rows == block).sum())


@dataclass
class BlockWindows:
    starts: np.ndarray  # grid row of each window's first row
    split: np.ndarray  # split index per window
    inputs: np.ndarray
    targets: np.ndarray | None
    labels: np.ndarray | None
    purity: np.ndarray | None
    counts: dict = field(default_factory=dict)


def window_block(blk: BlockInput, spec: WindowSpec, block_rows: int, split_ends_idx: np.ndarray,
                 purity: float = 0.0) -> BlockWindows:
    """Windows starting in this block. ``split_ends_idx``: exclusive end grid row of each
    split but the last. A window is kept only if its whole span lies in one split."""
    first = blk.block * block_rows
    n = min(block_rows + spec.span - 1, blk.last_idx - first + 1)
    F = blk.values.shape[1]
    local = blk.idx - first
    present = np.zeros(max(n, 0), bool)
    values = np.full((max(n, 0), F), np.nan)
    inside = (local >= 0) & (local < n)
    present[local[inside]] = True
    values[local[inside]] = blk.values[inside]
    tv = None
    if blk.targets is not None:
        tv = np.full((max(n, 0), blk.targets.shape[1]), np.nan)
        tv[local[inside]] = blk.targets[inside]
    lv = None
    if blk.labels is not None:
        lv = np.zeros(max(n, 0), np.int64)
        lv[local[inside]] = blk.labels[inside]
    counts = {"windows_candidate": 0, "dropped_gap": 0, "dropped_missing_value": 0, "dropped_missing_target": 0,
              "dropped_split_boundary": 0, "dropped_impure": 0, "windows_out": 0}
    starts, inputs, targets, skipped = make_windows(values, spec, tv, present=present, offset=first)
    own = starts < block_rows  # later starts belong to the next block
    skipped_own = skipped  # gaps are only ever counted by the owning block:
    if skipped:
        all_starts = np.arange((-first) % spec.stride, max(n - spec.span + 1, 0), spec.stride)
        skipped_own = int((all_starts < block_rows).sum()) - int(own.sum())
    starts, inputs = starts[own], inputs[own]
    targets = targets[own] if targets is not None else None
    counts["dropped_gap"] = skipped_own
    counts["windows_candidate"] = len(starts) + skipped_own
    ok = np.isfinite(inputs).all(axis=(1, 2))
    counts["dropped_missing_value"] = int((~ok).sum())  # a missing input value
    if targets is not None:  # inputs complete, a target missing: never a window with an invented target
        target_ok = np.isfinite(targets).all(axis=(1, 2))
        counts["dropped_missing_target"] = int((ok & ~target_ok).sum())
        ok &= target_ok
    g0 = starts + first
    g1 = g0 + spec.span - 1
    split_first = np.searchsorted(split_ends_idx, g0, side="right")
    split_last = np.searchsorted(split_ends_idx, g1, side="right")
    same = split_first == split_last
    counts["dropped_split_boundary"] = int((ok & ~same).sum())
    ok &= same
    labels = pur = None
    if lv is not None:
        labels, pur = majority_labels(lv, starts, spec)
        pure = pur >= purity
        counts["dropped_impure"] = int((ok & ~pure).sum())
        ok &= pure
        labels, pur = labels[ok], pur[ok]
    counts["windows_out"] = int(ok.sum())
    return BlockWindows(g0[ok], split_first[ok], inputs[ok], None if targets is None else targets[ok],
                        labels, pur, counts)


def window_features(inputs: np.ndarray, kinds) -> dict[str, np.ndarray]:
    """Per-window features over the time axis of ``inputs`` [W, T, F]."""
    out = {}
    if "stats" in kinds:
        out.update(stats_mean=inputs.mean(axis=1), stats_std=inputs.std(axis=1),
                   stats_min=inputs.min(axis=1), stats_max=inputs.max(axis=1))
    if "fft" in kinds:
        out["fft"] = np.abs(np.fft.rfft(inputs, axis=1))  # [W, T//2 + 1, F]
    if "spectrogram" in kinds:
        from scipy.signal import stft

        nperseg = min(16, inputs.shape[1])
        _, _, z = stft(inputs, nperseg=nperseg, noverlap=nperseg // 2, axis=1)  # [W, freq, F, frames]
        out["spectrogram"] = np.abs(z)
    return out
