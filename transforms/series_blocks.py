"""Windows of one block of one series (pure NumPy): the per-block work of the
time-series windower.

A series is laid on a regular grid: row index ``i = round((t - t_first) / step)``.
The windower cuts a series into blocks of ``block_rows`` grid rows; block ``b`` owns
the windows that *start* in ``[b * B, (b + 1) * B)`` and receives the rows up to
``(b + 1) * B + span - 1`` that those windows need, so memory per worker is bounded
by the block, not the series.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from datalife.transforms.windows import WindowSpec, majority_labels, make_windows

__all__ = ["blocks_of_row", "BlockInput", "window_block", "window_features", "days_from_civil"]


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (vectorised, integers)."""
    y, m, d = (np.asarray(a, dtype=np.int64) for a in (y, m, d))
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


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
    counts = {"windows_candidate": 0, "dropped_gap": 0, "dropped_missing_value": 0,
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
    if targets is not None:
        ok &= np.isfinite(targets).all(axis=(1, 2))
    counts["dropped_missing_value"] = int((~ok).sum())
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
