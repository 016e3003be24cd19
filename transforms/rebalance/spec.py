"""What to rebalance and to what, as data (YAML in the pipeline config, JSON to the
component, keyword arguments to :func:`datalife.transforms.rebalance.rebalance`).

Targets: ``"balance"``, ``{"ratio": r}`` or ``{"counts": {class: n}}``:

- oversample / smote: ``balance`` raises every class to the majority's count; ``ratio``
  raises every class below ``floor(r * majority)`` to it (imbalanced-learn's float
  ``sampling_strategy``); ``counts`` sets the listed classes (never below their count);
- undersample: ``balance`` lowers every class to the minority's count; ``ratio`` lowers
  every class above ``floor(minority / r)`` to it; ``counts`` sets the listed classes
  (never above their count);
- weight: no resampling; a ``sample_weight`` per example from the class counts
  (``weighting``: none, inverse = scikit-learn's "balanced", or effective number of
  samples, Cui et al. 2019, with ``beta``).

Only training splits are rebalanced: ``splits`` naming eval, test, validation, valid or
dev is refused (the augmenters' rule); the other splits pass through unchanged.
"""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from datalife.common.splits import refuse_eval_splits
from datalife.common.strict import seed_or_default

__all__ = ["RebalanceSpec", "Ratio", "Counts", "STRATEGIES", "FIELDS"]

STRATEGIES = ("oversample", "undersample", "smote", "weight")

# The provenance every output example carries: pandas column -> Example feature.
FIELDS = {
    "rebalance_kind": "rebalance/kind",  # original | duplicate | synthetic
    "rebalance_source": "rebalance/source",  # the key it is (a copy of, or synthesized from)
    "rebalance_partner": "rebalance/partner",  # synthetic: the neighbour's key; else empty
    "rebalance_copy": "rebalance/copy",  # 0 for an original, j >= 1 for the j-th copy / synthetic of a source
    "rebalance_gap": "rebalance/gap",  # synthetic: source + gap * (partner - source)
}


class Ratio(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ratio: float = Field(gt=0, le=1)


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    counts: dict[str, int] = Field(min_length=1)

    @field_validator("counts")
    @classmethod
    def _non_negative(cls, v):
        bad = {c: n for c, n in v.items() if n < 0}
        if bad:
            raise ValueError(f"target counts must be >= 0: {bad}")
        return v


class RebalanceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Literal["oversample", "undersample", "smote", "weight"] = "oversample"
    target: Union[Literal["balance"], Ratio, Counts] = "balance"
    seed: Optional[int] = None  # None: the pipeline's seed (DEFAULT_SEED outside a pipeline)
    splits: list[str] = Field(default_factory=lambda: ["train"], min_length=1)  # resampled; others pass through
    classes: Optional[list[str]] = None  # the label vocabulary; None: the classes present
    k_neighbors: int = Field(5, ge=1)  # smote
    features: Optional[list[str]] = None  # smote: numeric features to interpolate (None: all numeric)
    weighting: Literal["none", "inverse", "effective"] = "inverse"  # weight
    beta: float = Field(0.999, gt=0, lt=1)  # weight, effective number of samples

    @property
    def resolved_seed(self) -> int:
        return seed_or_default(self.seed)

    @field_validator("splits")
    @classmethod
    def _splits(cls, v):
        return refuse_eval_splits(v)

    @field_validator("target", mode="before")
    @classmethod
    def _target(cls, v):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return {"ratio": v}
        if isinstance(v, dict) and v and "ratio" not in v and "counts" not in v:
            return {"counts": v}
        if isinstance(v, dict) and "counts" in v:
            return {"counts": {str(k): n for k, n in v["counts"].items()}}
        return v
