"""The weak labeler's configuration, declared once: validated from the pipeline YAML,
passed to the component as one JSON parameter and parsed back by the executor. The
label model's parameters are the core's ``LabelModelSpec``, embedded as ``label_model``."""
from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from datalife.common.strict import StrictModel
from datalife.labeling.label_model import LabelModelSpec

__all__ = ["WeakLabelerConfig"]


class WeakLabelerConfig(StrictModel):
    lf_module: str  # dotted path: pkg.module (all its LFs) or pkg.module:LIST
    id_field: Optional[str] = None  # example id for error messages and ordering
    label_model: LabelModelSpec = Field(default_factory=LabelModelSpec)  # its seed defaults to the pipeline's
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
        if self.dev_split and self.dev_split in self.fit_splits:
            raise ValueError(f"dev_split {self.dev_split!r} must not be one of fit_splits {self.fit_splits}")
        return self
