"""The active sampler's configuration, declared once: validated from the pipeline YAML,
passed to the component as one JSON parameter and parsed back by the executor. The
strategies, their parameters and the classifier are the core's
(``labeling.active.select``); this model only names them and the columns to read."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, model_validator

from datalife.common.strict import StrictModel
from datalife.labeling.active.classifier import DEFAULT_CLASSIFIER
from datalife.labeling.active.select import STRATEGIES, strategy_parameters

__all__ = ["ActiveSamplerConfig"]


class ActiveSamplerConfig(StrictModel):
    label_field: str = "label"  # missing, empty or -1: unlabeled
    features: Optional[list[str]] = None  # numeric feature columns (default: every numeric feature but label/key)
    embedding_field: Optional[str] = None  # or one column holding a vector per example (e.g. the embedder's)
    key_field: Optional[str] = None  # an id column: keys are "<id>|<content hash>" (default: content hash only)
    show_field: Optional[str] = None  # the column a person sees (text, an image path or URL) in the CSV / tasks
    classes: Optional[list[Any]] = None  # the class vocabulary (default: the labels met)
    splits: list[str] = Field(default_factory=lambda: ["train"])  # the pool: these splits' examples
    strategy: str = "hybrid"
    strategy_params: dict[str, Any] = Field(default_factory=dict)
    batch_size: int = Field(50, ge=1)
    allow_partial_batch: bool = False  # a pool smaller than batch_size: take it whole instead of failing
    classifier: str = DEFAULT_CLASSIFIER  # any scikit-learn classifier by dotted path
    classifier_params: dict[str, Any] = Field(default_factory=dict)
    seed: Optional[int] = None  # None: the pipeline's seed
    read_batch_size: int = Field(1000, ge=1)

    @model_validator(mode="after")
    def _check(self):
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy: unknown {self.strategy!r}; expected one of {sorted(STRATEGIES)}")
        allowed = strategy_parameters(self.strategy)
        bad = sorted(set(self.strategy_params) - set(allowed))
        if bad:
            raise ValueError(f"strategy_params: {self.strategy!r} takes no {bad}; it takes {sorted(allowed)}")
        if self.features is not None and self.embedding_field is not None:
            raise ValueError("give either features (columns) or embedding_field (one vector column), not both")
        if not self.splits:
            raise ValueError("splits: name at least one split to select from")
        return self
