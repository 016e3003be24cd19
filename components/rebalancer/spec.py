"""The rebalancer's configuration: the core's :class:`RebalanceSpec` (strategy, target,
seed, splits, classes, k_neighbors, features, weighting, beta: declared there once) plus
what the component needs to read Examples (the label feature, the batch size)."""
from __future__ import annotations

from pydantic import Field

from datalife.common.accounting import Rule
from datalife.transforms.rebalance.spec import RebalanceSpec

__all__ = ["RebalancerConfig", "RULES"]

# Per rebalanced split; passed-through splits count rows_in = rows_out (no added, no removed).
RULES = [Rule("rows_in", ("rows_kept", "rows_removed")),
         Rule("rows_out", ("rows_kept", "rows_added")),
         Rule("rows_added", ("duplicates_out", "synthetics_out"))]


class RebalancerConfig(RebalanceSpec):
    """``label``: the feature holding each example's class (int or string; one value per
    example). SMOTE interpolates ``features`` (default: every float feature but the label;
    integer features are copied from the source example so Transform's schema still holds)."""

    label: str = "label"
    batch_size: int = Field(500, ge=1)
