"""The windower's configuration, declared once (YAML -> JSON parameter -> executor)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["WindowerConfig", "TimestampConfig", "WindowConfig", "SplitConfig"]

TIME_PARTS = ("year", "month", "day", "hour", "minute", "second")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TimestampConfig(_Strict):
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


class WindowConfig(_Strict):
    history: int = Field(ge=1)
    targets: int = Field(1, ge=0)
    shift: int = Field(1, ge=0)
    stride: int = Field(1, ge=1)
    sampling_rate: int = Field(1, ge=1)


class SplitConfig(_Strict):
    """A time split: rows with ``until`` > time (exclusive end: ISO date or fraction of each
    series' time range); the last split has no ``until``."""

    name: str
    until: Optional[str | float] = None


class WindowerConfig(_Strict):
    timestamp: TimestampConfig
    series_key: Optional[str] = None
    step_seconds: float = Field(gt=0)
    gap_tolerance_seconds: float = Field(0.0, ge=0)
    features: list[str] = Field(min_length=1)
    targets: list[str] = Field(default_factory=list)  # forecasting: future values of these columns
    label: Optional[str] = None  # activity recognition: majority label of the window
    purity: float = Field(0.8, gt=0, le=1)
    window: WindowConfig
    splits: list[SplitConfig] = Field(default_factory=lambda: [SplitConfig(name="train", until=0.7),
                                                               SplitConfig(name="eval", until=0.85),
                                                               SplitConfig(name="test")])
    window_features: list[Literal["fft", "spectrogram", "stats"]] = Field(default_factory=list)
    block_rows: int = Field(20_000, ge=1)

    @model_validator(mode="after")
    def _check(self):
        if bool(self.targets) == bool(self.label):
            raise ValueError("give 'targets' (forecasting) or 'label' (activity recognition), not both or neither")
        if self.label and self.window.targets:
            object.__setattr__(self.window, "targets", 0)
        if self.targets and self.window.targets == 0:
            raise ValueError("forecasting needs window.targets >= 1")
        if self.window.targets > self.window.history + self.window.shift:
            raise ValueError("window.targets cannot exceed window.history + window.shift")
        if not self.splits or self.splits[-1].until is not None or any(s.until is None for s in self.splits[:-1]):
            raise ValueError("splits: every split but the last needs 'until'; the last has none")
        kinds = {type(s.until) for s in self.splits[:-1]}
        if len(kinds) > 1:
            raise ValueError("splits: 'until' values are all dates or all fractions")
        return self

    def spec(self):
        from datalife.transforms.windows import WindowSpec

        w = self.window
        return WindowSpec(w.history, w.targets, w.shift, w.stride, w.sampling_rate)
