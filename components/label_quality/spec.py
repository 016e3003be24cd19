"""The label-quality side branch's configuration, declared once. The out-of-sample
model and cleanlab's settings are the core's ``LabelErrorSpec``, embedded as ``model``
(its ``features`` follows from which input is given: ``text_field`` -> tfidf,
``feature_fields`` -> numeric)."""
from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from datalife.common.accounting import Rule
from datalife.common.strict import StrictModel
from datalife.labeling.quality.label_errors import LabelErrorSpec

__all__ = ["LabelQualityConfig", "RULES"]

RULES = [Rule("rows_in", ("rows_rated", "rows_unlabeled"))]


class LabelQualityConfig(StrictModel):
    label_field: str = "label"  # integer class ids (negative or absent: not labelled, left out and counted)
    text_field: Optional[str] = None  # the model reads TF-IDF of this text feature ...
    feature_fields: list[str] = Field(default_factory=list)  # ... or these numeric features (an embedding)
    id_field: Optional[str] = None  # shown in the review table beside the content key
    classes: Optional[list[str]] = None  # class names by id (default: the ids)
    splits: list[str] = Field(default_factory=lambda: ["train"], min_length=1)
    model: LabelErrorSpec = Field(default_factory=LabelErrorSpec)  # its seed defaults to the pipeline's
    review_rows: int = Field(50, ge=1)  # rows of the ranked list shown in the report (the CSV has all)
    batch_size: int = Field(500, ge=1)

    @model_validator(mode="after")
    def _check(self):
        if (self.text_field is None) == (not self.feature_fields):
            raise ValueError("give exactly one of text_field (TF-IDF) or feature_fields (numeric features)")
        wanted = "tfidf" if self.text_field else "numeric"
        if self.model.features != wanted:
            if "features" in self.model.model_fields_set:
                raise ValueError(f"model.features {self.model.features!r} does not fit the input: "
                                 f"{'text_field' if self.text_field else 'feature_fields'} needs {wanted!r}")
            object.__setattr__(self, "model", self.model.model_copy(update={"features": wanted}))
        return self
