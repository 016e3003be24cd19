"""The label propagator's configuration, declared once (YAML -> JSON parameter ->
executor). The kNN graph and the spreading are the core's specs (``KnnSpec``,
``SpreadSpec`` in ``labeling/propagation``), embedded as they are."""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field, model_validator

from datalife.common.accounting import Rule
from datalife.common.strict import StrictModel
from datalife.labeling.propagation.knn_graph import KnnSpec
from datalife.labeling.propagation.spreading import SpreadSpec

__all__ = ["LabelPropagatorConfig", "RULES"]

#: per split: every example is written or quarantined; written ones are gold, propagated,
#: none (below min_confidence) or passed through (a split not propagated)
RULES = [Rule("rows_in", ("rows_out", "rows_quarantined")),
         Rule("rows_out", ("gold", "propagated", "none", "passed_through"))]

Label = Union[int, str]


class LabelPropagatorConfig(StrictModel):
    label_field: str = "label"            # the given labels; missing or an unlabeled_values value: no label
    unlabeled_values: list[Label] = Field(default_factory=lambda: [-1, ""])  # -1: Snorkel's abstain
    features: Optional[list[str]] = None  # numeric feature columns ...
    embedding: Optional[str] = None       # ... or one float-list feature (the embedder's output)
    vocabulary: Optional[list[Label]] = None  # the classes (default: the labels seen, sorted)
    id_field: Optional[str] = None        # example id in the row key and in messages
    splits: Optional[list[str]] = None    # splits propagated together (None: all); others pass through
    knn: KnnSpec = Field(default_factory=KnnSpec)
    spread: SpreadSpec = Field(default_factory=SpreadSpec)
    scale: Literal["none", "standard"] = "none"  # standard: z-score feature columns first
    min_confidence: float = Field(0.5, ge=0, le=1)  # below it the source is none (label left as given)
    holdout: float = Field(0.1, ge=0, lt=1)  # share of the labeled rows held out to measure accuracy
    eval_label_field: Optional[str] = None  # true labels never used to propagate, only to score
    output_prefix: str = "label"          # writes <p>, <p>_id, <p>_probs, <p>_confidence, <p>_source
    sample_rows: int = Field(3000, ge=0)  # rows drawn in the report's projection
    seed: Optional[int] = None            # default: the pipeline seed (held-out rows)
    batch_size: int = Field(500, ge=1)

    @model_validator(mode="after")
    def _one_feature_source(self):
        if (self.features is None) == (self.embedding is None):
            raise ValueError("give exactly one of 'features' (numeric columns) or 'embedding' (a float-list "
                             "feature, e.g. the embedder's output)")
        if self.features is not None and not self.features:
            raise ValueError("'features' is empty")
        if self.eval_label_field == self.label_field:
            raise ValueError("eval_label_field must differ from label_field (it scores, never trains)")
        return self
