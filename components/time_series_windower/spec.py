"""The windower's configuration, declared once (YAML -> JSON parameter -> executor).
The window itself is the core's ``WindowSpec`` and the timestamp the core's
``TimestampSpec``, embedded as they are (their rules are checked there, once)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from datalife.common.accounting import Rule
from datalife.common.strict import StrictModel
from datalife.transforms.series_blocks import TimestampSpec
from datalife.transforms.windows import WindowSpec

__all__ = ["WindowerConfig", "SplitConfig", "RULES"]

ROWS = ("rows_no_timestamp", "rows_bad_timestamp", "rows_off_grid", "rows_placed")
PLACED = ("rows_duplicate_time", "rows_gridded")
WINDOWS = ("dropped_gap", "dropped_missing_value", "dropped_missing_target", "dropped_split_boundary", "dropped_impure",
           "windows_out")
SERIES = ("series_windowed", "series_too_short")
# rows_placed: rows ToGrid put on the grid; row_copies_*: the copies of them it sent to
# blocks (a row near a block's start also goes to the block before) and the copies the
# blocks received after the shuffle. The last rule checks the runner: a shuffle that
# lost elements fails there, by name, instead of as false gaps.
RULES = [Rule("rows_in", ROWS), Rule("row_copies_sent", ("row_copies_grouped",)), Rule("rows_placed", PLACED),
         Rule("windows_candidate", WINDOWS), Rule("series_in", SERIES)]


class SplitConfig(StrictModel):
    """A time split: rows with ``until`` > time (exclusive end: ISO date or fraction of each
    series' time range); the last split has no ``until``."""

    name: str
    until: Optional[str | float] = None


class WindowerConfig(StrictModel):
    timestamp: TimestampSpec
    series_key: Optional[str] = None
    step_seconds: float = Field(gt=0)
    gap_tolerance_seconds: float = Field(0.0, ge=0)
    features: list[str] = Field(min_length=1)
    targets: list[str] = Field(default_factory=list)  # forecasting: future values of these columns
    label: Optional[str] = None  # activity recognition: majority label of the window
    purity: float = Field(0.8, gt=0, le=1)
    window: WindowSpec
    splits: list[SplitConfig] = Field(default_factory=lambda: [SplitConfig(name="train", until=0.7),
                                                               SplitConfig(name="eval", until=0.85),
                                                               SplitConfig(name="test")])
    window_features: list[Literal["fft", "spectrogram", "stats"]] = Field(default_factory=list)
    block_rows: int = Field(20_000, ge=1)

    @model_validator(mode="after")
    def _check(self):
        if bool(self.targets) == bool(self.label):
            raise ValueError("give 'targets' (forecasting) or 'label' (activity recognition), not both or neither")
        if self.label:  # activity windows have no targets: window.targets left out means 0
            if "targets" not in self.window.model_fields_set:
                self.window = self.window.model_copy(update={"targets": 0})
            elif self.window.targets:
                raise ValueError(f"activity windows (label) have no targets: window.targets is {self.window.targets}; "
                                 "leave it out or set it to 0")
        if self.targets and self.window.targets == 0:
            raise ValueError("forecasting needs window.targets >= 1")
        if not self.splits or self.splits[-1].until is not None or any(s.until is None for s in self.splits[:-1]):
            raise ValueError("splits: every split but the last needs 'until'; the last has none")
        kinds = {type(s.until) for s in self.splits[:-1]}
        if len(kinds) > 1:
            raise ValueError("splits: 'until' values are all dates or all fractions")
        return self

    def input_columns(self) -> list[str]:
        """The columns the windower reads."""
        return list(dict.fromkeys(c for c in (*self.timestamp.columns(), self.series_key, self.label,
                                              *self.features, *self.targets) if c))
