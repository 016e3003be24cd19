"""Class rebalancing, the pure core: random over- and undersampling, SMOTE, and
class-frequency sample weights, with targets as data and exact counts.

- ``spec``: :class:`RebalanceSpec` (strategy, target, seed, ...) and the provenance fields;
- ``plan``: class counts -> per-class plan (in, out, added, removed), class weights, the
  accounting check;
- ``resample``: per-class decisions from each example's key (``keyed_order``);
- ``smote``: neighbours within one class and synthetic points seeded per source key and index;
- ``frame``: the pandas API :func:`rebalance`; ``arrays``: :func:`rebalance_arrays` (X, y);
- ``chart``: class counts before and after as a PNG.
"""
from datalife.transforms.rebalance.arrays import Resampled, rebalance_arrays
from datalife.transforms.rebalance.chart import class_counts_png
from datalife.transforms.rebalance.frame import KINDS, describe_provenance, rebalance
from datalife.transforms.rebalance.plan import (AccountingError, ClassPlan, Plan, RebalanceError, check_accounting,
                                                class_weights, make_plan)
from datalife.transforms.rebalance.spec import FIELDS, RebalanceSpec

__all__ = ["rebalance", "rebalance_arrays", "Resampled", "describe_provenance", "KINDS", "RebalanceSpec", "FIELDS", "make_plan", "Plan", "ClassPlan",
           "class_weights", "check_accounting", "RebalanceError", "AccountingError", "class_counts_png"]
