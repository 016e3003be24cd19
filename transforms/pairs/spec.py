"""Contrastive pairs as data: how many pairs per split, the share of positives, and
how positives are made (two augmented views of one example, or two examples of the
same class); negatives are two examples of different classes."""
from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datalife.common.strict import seed_or_default

__all__ = ["PairSpec", "PAIR_KINDS", "FIELDS"]

PAIR_KINDS = ("views", "same_class", "different_class")

# The fields every pair carries: pandas column -> Example feature.
FIELDS = {
    "pair_id": "pair/id",  # <kind>|<anchor key>|<j>: stable, unique
    "pair_kind": "pair/kind",  # views | same_class | different_class
    "pair_label": "pair_label",  # 1 positive, 0 negative
    "a": "a",  # key (or payload) of the anchor
    "b": "b",  # key (or payload) of the partner
    "label_a": "pair/label_a",
    "label_b": "pair/label_b",
    "view_a": "pair/view_a",  # 0: the example as is; v >= 1: augmentation copy v (seeded by key and v)
    "view_b": "pair/view_b",
}


class PairSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: Optional[Union[int, dict[str, int]]] = None  # pairs per split (one number, or per split name)
    per_example: Optional[float] = Field(None, gt=0)  # or pairs per example of the split (rounded half up)
    positive_fraction: float = Field(0.5, ge=0, le=1)
    views_fraction: float = Field(0.5, ge=0, le=1)  # share of the positives made of two views of one example
    seed: Optional[int] = None  # None: the pipeline's seed (DEFAULT_SEED outside a pipeline)
    classes: Optional[list[str]] = None  # the label vocabulary; None: the classes present
    policy: Optional[Union[str, list[dict[str, Any]]]] = None  # augmentation of views (images)

    @model_validator(mode="after")
    def _one_count(self):
        if (self.count is None) == (self.per_example is None):
            raise ValueError("give exactly one of count (pairs per split) and per_example (pairs per example)")
        counts = self.count.values() if isinstance(self.count, dict) else [self.count] if self.count is not None else []
        if any(c < 0 for c in counts):
            raise ValueError(f"pair counts must be >= 0: {self.count}")
        if self.policy is not None:
            from datalife.transforms.augment_policy import parse_policy

            parse_policy(self.policy)
        return self

    @property
    def resolved_seed(self) -> int:
        return seed_or_default(self.seed)

    def pairs_for(self, split: str, n_examples: int) -> int:
        if self.per_example is not None:
            return int(self.per_example * n_examples + 0.5)
        if isinstance(self.count, dict):
            if split not in self.count:
                raise ValueError(f"no pair count for split {split!r}; counts given for {sorted(self.count)}")
            return self.count[split]
        return int(self.count)
