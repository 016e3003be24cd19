"""The weak labeler's configuration, declared once: validated from the pipeline YAML,
passed to the component as one JSON parameter and parsed back by the executor."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["WeakLabelerConfig"]


class WeakLabelerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lf_module: str  # dotted path: pkg.module (all its LFs) or pkg.module:LIST
    id_field: Optional[str] = None  # example id for error messages and ordering
    cardinality: int = Field(2, ge=2)
    epochs: int = Field(500, ge=1)
    lr: float = Field(0.01, gt=0)
    l2: float = Field(0.0, ge=0)
    class_balance: Optional[list[float]] = None
    tie_break: Literal["abstain", "random"] = "random"
    seed: Optional[int] = None  # default: the pipeline seed
    fit_splits: list[str] = Field(default_factory=lambda: ["train"])
    dev_split: Optional[str] = None  # a split with gold labels, used only to evaluate
    dev_label_field: str = "label"
    label_field: str = "label"  # output: hard label (an input feature of that name moves to <name>_original)
    probs_field: str = "label_probs"
    drop_abstained: bool = False
    fault_tolerant: bool = False  # an LF that raises abstains (counted) instead of failing the run
    batch_size: int = Field(500, ge=1)

    @model_validator(mode="after")
    def _check(self):
        if self.class_balance is not None:
            if len(self.class_balance) != self.cardinality or abs(sum(self.class_balance) - 1) > 1e-6:
                raise ValueError(f"class_balance must have {self.cardinality} shares summing to 1, "
                                 f"got {self.class_balance}")
        if self.dev_split and self.dev_split in self.fit_splits:
            raise ValueError(f"dev_split {self.dev_split!r} must not be one of fit_splits {self.fit_splits}")
        return self
