"""The gate's drift / skew check: one pydantic model, each parameter declared once."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from datalife.common.strict import StrictModel
from datalife.transforms.drift import DriftSpec

__all__ = ["DriftConfig"]


class DriftConfig(StrictModel):
    """Compare the validated examples with a baseline Examples artifact.

    ``compare: drift``: the baseline is the previous span (TFDV's ``drift_comparator``);
    ``compare: skew``: the baseline is serving data (TFDV's ``skew_comparator``). Per
    feature: TFDV's L-infinity (categorical) and Jensen-Shannon (numeric) comparators,
    plus our two-sample KS test on the raw values (numeric); thresholds in
    ``thresholds`` (defaults and per-feature overrides, ``None`` switches one off)."""

    # an Examples artifact folder (Split-<name>/*.gz): a previous span, or serving data; or
    # previous_span: the newest earlier span this pipeline read (from its metadata store)
    baseline: str
    compare: Literal["drift", "skew"] = "drift"
    split: str = "train"  # the split compared on both sides
    on_drift: Literal["fail", "warn"] = "fail"
    thresholds: DriftSpec = Field(default_factory=DriftSpec)
    max_rows: int = Field(200_000, ge=100)  # rows per side read for the KS test (the first ones of the split)
