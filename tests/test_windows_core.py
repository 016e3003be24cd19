"""The windowing core against tf.keras.utils.timeseries_dataset_from_array (the
oracle), element by element, on literal arrays and random parameters; gaps; the
majority label with purity."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from datalife.transforms.windows import WindowSpec, majority_labels, make_windows, window_starts

tf = pytest.importorskip("tensorflow")


def keras_windows(x, y, spec: WindowSpec):
    """The oracle: inputs and targets from timeseries_dataset_from_array (see windows.py)."""
    n = len(x)
    n_windows = len(window_starts(n, spec))
    r = spec.sampling_rate
    if n_windows == 0:
        return np.zeros((0,)), np.zeros((0,))
    # keras rejects a stride >= the data length; with one window the stride is irrelevant
    stride = spec.stride if n_windows > 1 else 1
    ins = tf.keras.utils.timeseries_dataset_from_array(
        x, None, sequence_length=spec.history, sequence_stride=stride, sampling_rate=r, batch_size=10_000)
    inputs = np.concatenate([b.numpy() for b in ins])[:n_windows]
    first = (spec.steps - spec.targets) * r
    outs = tf.keras.utils.timeseries_dataset_from_array(
        y[first:], None, sequence_length=spec.targets, sequence_stride=stride, sampling_rate=r,
        batch_size=10_000)
    targets = np.concatenate([b.numpy() for b in outs])[:n_windows]
    return inputs, targets


def test_literal_series_by_hand():
    x = np.arange(10, dtype=np.float32)[:, None]  # 0..9
    spec = WindowSpec(history=3, targets=2, shift=2, stride=2)
    starts, inputs, targets, skipped = make_windows(x, spec, target_values=x * 10)
    # window span = 5 raw rows: starts 0, 2, 4 (4 + 5 = 9 <= 10)
    assert starts.tolist() == [0, 2, 4] and skipped == 0
    assert inputs[:, :, 0].tolist() == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert targets[:, :, 0].tolist() == [[30, 40], [50, 60], [70, 80]]


def test_sampling_rate_keeps_one_row_in_r():
    x = np.arange(20, dtype=np.float32)
    spec = WindowSpec(history=3, targets=1, shift=1, stride=6, sampling_rate=3)  # e.g. hourly from 20-min rows
    starts, inputs, targets, _ = make_windows(x, spec, target_values=x)
    assert starts.tolist() == [0, 6] and inputs[0, :, 0].tolist() == [0, 3, 6] and targets[0, 0, 0] == 9


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), history=st.integers(1, 8), targets=st.integers(1, 4), shift=st.integers(1, 6),
       stride=st.integers(1, 5), rate=st.integers(1, 3), features=st.integers(1, 3))
def test_equals_keras_element_by_element(n, history, targets, shift, stride, rate, features):
    if targets > history + shift:
        return
    spec = WindowSpec(history=history, targets=targets, shift=shift, stride=stride, sampling_rate=rate)
    rng = np.random.default_rng(n * 7 + history)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = rng.normal(size=(n, 2)).astype(np.float32)
    starts, inputs, tgt, _ = make_windows(x, spec, target_values=y)
    first = (spec.steps - spec.targets) * rate
    # keras refuses data no longer than its stride or sampling rate: outside the oracle's domain
    assume(n > max(stride, rate) and n - first > max(stride, rate))
    k_in, k_tgt = keras_windows(x, y, spec)
    assert len(starts) == len(k_in)
    if len(starts):
        np.testing.assert_array_equal(inputs, k_in)
        np.testing.assert_array_equal(tgt, k_tgt)


def test_gap_windows_are_skipped_and_counted():
    x = np.arange(12, dtype=np.float32)
    present = np.ones(12, bool)
    present[5] = False  # a missing row: a gap
    spec = WindowSpec(history=2, targets=1, shift=1)  # span 3
    starts, inputs, _, skipped = make_windows(x, spec, present=present)
    assert starts.tolist() == [0, 1, 2, 6, 7, 8, 9] and skipped == 3  # starts 3, 4, 5 touch row 5
    assert all(5 not in range(s, s + spec.span) for s in starts)


def test_offset_aligns_starts_of_a_later_block():
    spec = WindowSpec(history=2, stride=3)
    assert window_starts(10, spec, offset=4).tolist() == [2, 5]  # global rows 6 and 9


def test_majority_label_and_purity():
    labels = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    spec = WindowSpec(history=4, targets=0, shift=0, stride=2)
    starts = window_starts(len(labels), spec)
    best, purity = majority_labels(labels, starts, spec)
    assert starts.tolist() == [0, 2, 4]
    assert best.tolist() == [0, 1, 2] and purity.tolist() == [0.5, 0.75, 0.75]  # tie 0/1 -> 0


def test_bad_spec_is_named():
    with pytest.raises(ValueError, match=r"history\n  Input should be greater than or equal to 1"):
        WindowSpec(history=0)
    with pytest.raises(ValueError, match=r"targets \(5\) cannot exceed history \+ shift \(3\)"):
        WindowSpec(history=2, targets=5, shift=1)
