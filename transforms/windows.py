"""Sliding windows over an ordered series (pure NumPy, vectorised).

A window is described in *sampled steps* (one step = ``sampling_rate`` raw rows), as
TensorFlow's time-series tutorial ``WindowGenerator`` does:

- ``history``: input steps; ``shift``: steps from the last input to the last target
  (the horizon); ``targets``: target steps, the last ``targets`` steps of the
  ``history + shift`` step window; ``stride``: raw rows between window starts.

A window starting at raw row ``s`` reads rows ``s + k * sampling_rate`` for
``k < history + shift``; its raw span is ``(history + shift - 1) * sampling_rate + 1``.

Mapping to ``tf.keras.utils.timeseries_dataset_from_array`` (what the tests check):
inputs are ``timeseries_dataset_from_array(x, None, sequence_length=history,
sequence_stride=stride, sampling_rate=sampling_rate)``, and targets are the same call
with ``sequence_length=targets`` on ``y[(history + shift - targets) * sampling_rate:]``,
both truncated to the windows whose whole span fits in the series.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import Field, model_validator

from datalife.common.strict import FrozenModel

__all__ = ["WindowSpec", "window_starts", "make_windows", "majority_labels"]


class WindowSpec(FrozenModel):
    """A window in sampled steps (see the module docstring); validated when built, so a
    config that embeds it (the windower's ``window``) fails with the rule named."""

    history: int = Field(ge=1)
    targets: int = Field(1, ge=0)
    shift: int = Field(1, ge=0)
    stride: int = Field(1, ge=1)
    sampling_rate: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _targets_fit(self):
        if self.targets > self.history + self.shift:
            raise ValueError(f"targets ({self.targets}) cannot exceed history + shift ({self.history + self.shift})")
        return self

    @property
    def steps(self) -> int:
        return self.history + self.shift

    @property
    def span(self) -> int:
        """Raw rows covered by one window, first to last."""
        return (self.steps - 1) * self.sampling_rate + 1


def window_starts(n: int, spec: WindowSpec, offset: int = 0) -> np.ndarray:
    """Raw start rows of the windows that fit in ``n`` rows; starts are the rows
    ``i`` with ``(i + offset) % stride == 0`` (``offset`` aligns blocks of a longer series)."""
    last = n - spec.span
    if last < 0:
        return np.zeros(0, dtype=np.int64)
    first = (-offset) % spec.stride
    return np.arange(first, last + 1, spec.stride, dtype=np.int64)


def make_windows(values: np.ndarray, spec: WindowSpec, target_values: np.ndarray | None = None,
                 present: np.ndarray | None = None, offset: int = 0):
    """Windows of ``values`` [T, F] (and targets from ``target_values`` [T, G]).

    Returns ``(starts, inputs [W, history, F], targets [W, targets, G] or None, skipped)``
    where windows whose span holds a row that is not ``present`` (a gap) are skipped
    and ``skipped`` counts them.
    """
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    n = len(values)
    starts = window_starts(n, spec, offset)
    skipped = 0
    if present is not None and len(starts):
        missing = np.concatenate([[0], np.cumsum(~np.asarray(present, bool))])
        ok = missing[starts + spec.span] - missing[starts] == 0
        skipped = int((~ok).sum())
        starts = starts[ok]
    r = spec.sampling_rate
    if len(starts) == 0:
        empty_t = None if target_values is None else np.zeros((0, spec.targets, np.asarray(target_values).reshape(n, -1).shape[1]))
        return starts, np.zeros((0, spec.history, values.shape[1]), values.dtype), empty_t, skipped
    view = sliding_window_view(values, spec.span, axis=0)  # [n - span + 1, F, span], no copy
    inputs = view[starts][:, :, : spec.history * r : r].transpose(0, 2, 1)
    targets = None
    if target_values is not None:
        tv = np.asarray(target_values).reshape(n, -1)
        tview = sliding_window_view(tv, spec.span, axis=0)
        first = (spec.steps - spec.targets) * r
        targets = tview[starts][:, :, first::r].transpose(0, 2, 1)
    return starts, np.ascontiguousarray(inputs), None if targets is None else np.ascontiguousarray(targets), skipped


def majority_labels(labels: np.ndarray, starts: np.ndarray, spec: WindowSpec):
    """Majority label of each window's input rows and its purity (share of that label).

    ``labels`` are integer class ids per raw row; ties go to the smallest id."""
    labels = np.asarray(labels, dtype=np.int64)
    if len(starts) == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    r = spec.sampling_rate
    view = sliding_window_view(labels, spec.span)[starts][:, : spec.history * r : r]  # [W, history]
    k = int(labels.max()) + 1
    counts = np.zeros((len(starts), k), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(len(starts)), view.shape[1]), view.ravel()), 1)
    best = counts.argmax(axis=1)
    return best, counts.max(axis=1) / view.shape[1]
