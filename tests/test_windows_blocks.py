"""Block-wise windowing (what the windower's Beam graph does) equals windowing the
whole ordered series, whatever the block size and the row order; no window crosses
a gap, a series boundary or a split boundary (property tests with hypothesis)."""
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from datalife.transforms.series_blocks import (BlockInput, blocks_of_row, blocks_of_series, days_from_civil,
                                               window_block)
from datalife.transforms.windows import WindowSpec, make_windows


def blockwise(rows, spec, block_rows, split_ends, last_idx, labels=None, purity=0.0):
    """Mimic ToGrid + block_keys + GroupByKey + WindowBlock for one series; rows = [(idx, value)]
    in any order. Every block of the series is windowed, also one no row falls in."""
    groups = {b: [] for b in blocks_of_series(last_idx, block_rows)}
    for idx, value in rows:
        for b in blocks_of_row(idx, spec.span, block_rows):
            groups.setdefault(b, []).append((idx, value))
    starts, inputs, counts = [], [], {}
    for b, members in sorted(groups.items()):
        members.sort()
        idx = np.array([m[0] for m in members], dtype=np.int64)
        vals = np.array([[m[1]] for m in members], float).reshape(len(members), 1)
        lab = None if labels is None else np.array([labels[i] for i in idx])
        out = window_block(BlockInput(b, idx, vals, vals.copy(), lab, last_idx), spec, block_rows,
                           np.asarray(split_ends), purity)
        starts += out.starts.tolist()
        inputs += list(out.inputs)
        for k, v in out.counts.items():
            counts[k] = counts.get(k, 0) + v
    return starts, inputs, counts


def test_a_gap_longer_than_a_block_is_counted():
    """Found by hypothesis: with one-row blocks, block 0 holds no row (row 0 is a gap); its
    window is a gap all the same and must be counted (the whole-series oracle counts it)."""
    spec = WindowSpec(history=1, targets=1, shift=0)
    starts, _, counts = blockwise([(1, 10.0)], spec, 1, [0], 1)
    assert starts == [1] and counts["dropped_gap"] == 1 and counts["windows_candidate"] == 2


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 80), history=st.integers(1, 6), shift=st.integers(0, 4), stride=st.integers(1, 4),
       rate=st.integers(1, 2), block_rows=st.integers(1, 30), gaps=st.lists(st.integers(0, 79), max_size=4),
       split_at=st.integers(0, 80), seed=st.integers(0, 1000))
def test_blockwise_equals_whole_series(n, history, shift, stride, rate, block_rows, gaps, split_at, seed):
    spec = WindowSpec(history=history, targets=min(1, history + shift), shift=shift, stride=stride, sampling_rate=rate)
    values = np.arange(n, dtype=float) * 10
    present = np.ones(n, bool)
    present[[g for g in gaps if g < n]] = False
    rows = [(i, values[i]) for i in range(n) if present[i]]
    if not rows:
        return
    random.Random(seed).shuffle(rows)  # ExampleGen's order is arbitrary
    last_idx = n - 1
    starts, inputs, counts = blockwise(rows, spec, block_rows, [split_at], last_idx)
    # the oracle: the whole ordered series at once, then drop split-straddling windows
    w_starts, w_inputs, _, skipped = make_windows(values[:, None], spec, present=present)
    same_split = (w_starts < split_at) == (w_starts + spec.span - 1 < split_at)
    assert starts == w_starts[same_split].tolist()
    for got, want in zip(inputs, w_inputs[same_split]):
        np.testing.assert_array_equal(got, want)
    assert counts["dropped_gap"] == skipped
    assert counts["windows_candidate"] == counts["dropped_gap"] + counts["dropped_split_boundary"] + \
        counts["dropped_missing_value"] + counts["dropped_missing_target"] + counts["windows_out"]
    for s in starts:  # no window crosses a gap or the split boundary
        span = range(s, s + spec.span)
        assert all(present[i] for i in span)
        assert (s < split_at) == (s + spec.span - 1 < split_at)


def test_purity_filter_counts_impure_windows():
    labels = [0] * 10 + [1] * 10
    rows = [(i, float(i)) for i in range(20)]
    spec = WindowSpec(history=5, targets=0, shift=0, stride=5)
    starts, _, counts = blockwise(rows, spec, 7, [], 19, labels=labels, purity=0.8)
    assert starts == [0, 5, 10, 15] and counts["dropped_impure"] == 0
    spec = WindowSpec(history=6, targets=0, shift=0, stride=3)
    starts, _, counts = blockwise(rows, spec, 7, [], 19, labels=labels, purity=0.8)
    # starts 0,3,6,9,12; window 6..11 has 4 of label 0 and 2 of 1 (purity 0.67): dropped; 9..14: 1/6 -> 0.83 kept
    assert starts == [0, 3, 9, 12] and counts["dropped_impure"] == 1


def test_days_from_civil_matches_numpy_datetime64():
    dates = np.array(["1970-01-01", "2000-02-29", "2012-03-01", "1969-12-31", "2100-12-31"], "datetime64[D]")
    y = dates.astype("datetime64[Y]").astype(int) + 1970
    m = dates.astype("datetime64[M]").astype(int) % 12 + 1
    d = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    np.testing.assert_array_equal(days_from_civil(y, m, d), dates.astype(int))


def test_window_features_match_numpy_and_scipy():
    from scipy.signal import stft

    from datalife.transforms.series_blocks import window_features

    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 32, 2))
    f = window_features(x, ["stats", "fft", "spectrogram"])
    np.testing.assert_allclose(f["stats_mean"], x.mean(axis=1))
    np.testing.assert_allclose(f["stats_std"], x.std(axis=1))
    np.testing.assert_allclose(f["stats_max"], x.max(axis=1))
    # FFT magnitude of window 1, channel 0, by the definition
    k = np.arange(17)[:, None]
    dft = (x[1, :, 0][None, :] * np.exp(-2j * np.pi * k * np.arange(32)[None, :] / 32)).sum(axis=1)
    np.testing.assert_allclose(f["fft"][1, :, 0], np.abs(dft), atol=1e-9)
    _, _, z = stft(x[2, :, 1], nperseg=16, noverlap=8)
    np.testing.assert_allclose(f["spectrogram"][2, :, 1, :], np.abs(z), atol=1e-12)
