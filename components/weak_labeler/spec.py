"""The weak labeler's configuration, declared once: validated from the pipeline YAML,
passed to the component as one JSON parameter and parsed back by the executor.

The core's types are embedded, not copied: ``label_model`` is ``LabelModelSpec``
(its ``cardinality``, ``tie_break`` and ``seed`` apply to every step; its ``epochs``,
``lr``, ``l2`` and ``class_balance``, when given, to Snorkel's LabelModel candidate,
which otherwise keeps its better-conditioned defaults),
``end_model`` holds the fields of the core's ``EndModelSpec`` and the aggregator keys
are those of ``AggregateSpec``."""
from __future__ import annotations

import dataclasses
from typing import Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from datalife.common.strict import StrictModel, seed_or_default
from datalife.labeling.aggregate_select import DEFAULT_CANDIDATES, AggregateSpec, class_name_list
from datalife.labeling.end_model import EndModelSpec
from datalife.labeling.label_model import LabelModelSpec
from datalife.labeling.vote_patterns import MAX_PATTERNS

__all__ = ["WeakLabelerConfig"]

_LM_OPTIONS = {"epochs": "epochs", "lr": "lr", "l2": "l2", "class_balance": "class_balance"}


class WeakLabelerConfig(StrictModel):
    lf_module: str  # dotted path pkg.module or the path of a .py file (relative: from the working folder); :LIST
    id_field: Optional[str] = None  # example id for error messages and keys
    label_model: LabelModelSpec = Field(default_factory=LabelModelSpec)  # its seed defaults to the pipeline's
    class_names: Optional[list[str]] = None  # names of the classes 0..cardinality-1 in the report
    aggregator: str = "auto"  # auto (best on the dev split) | majority_vote | weighted_vote | dawid_skene | label_model
    candidates: list[str] = Field(default_factory=lambda: list(DEFAULT_CANDIDATES))
    score_on: Literal["all", "covered"] = "all"  # dev rows the aggregators are scored on
    folds: int = Field(5, ge=2)  # cross-fitting folds for aggregators that learn from dev labels
    end_model: Optional[dict[str, Any]] = None  # EndModelSpec fields, e.g. {text_fields: [CONTENT]}
    from_end_model: Literal["auto", "all", "uncovered", "none"] = "auto"  # which examples the end model labels
    fit_splits: list[str] = Field(default_factory=lambda: ["train"])
    dev_split: Optional[str] = None  # a split with gold labels: scores the aggregators, never fits them blindly
    dev_label_field: str = "label"  # gold: class ids or class names
    label_field: str = "label"  # output: hard label (an input feature of that name moves to <name>_original)
    probs_field: str = "label_probs"
    label_source_field: str = "label_source"  # output: which step produced the label
    votes_field: str = "lf_votes"  # output: the example's LF votes (-1 = abstain), in lf order
    drop_abstained: bool = False  # drop examples no LF voted on (counted per split)
    fault_tolerant: bool = False  # an LF that raises abstains (counted); a bad dev label is quarantined
    max_patterns: int = Field(MAX_PATTERNS, ge=1)  # distinct vote patterns kept per split (then moments)
    mistakes_per_lf: int = Field(3, ge=0)  # dev rows each LF got wrong, shown in the report
    batch_size: int = Field(500, ge=1)

    @field_validator("end_model")
    @classmethod
    def _end_model(cls, v):
        if v is None:
            return v
        known = {f.name for f in dataclasses.fields(EndModelSpec)}
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(f"unknown end_model key(s) {unknown}; allowed: {sorted(known)}")
        EndModelSpec(**_tuples(v))  # its own checks (features given, train_rows)
        return v

    @model_validator(mode="after")
    def _check(self):
        if self.dev_split and self.dev_split in self.fit_splits:
            raise ValueError(f"dev_split {self.dev_split!r} must not be one of fit_splits {self.fit_splits}")
        self.aggregate_spec()  # unknown aggregator names, majority_vote missing from candidates
        class_name_list(self.label_model.cardinality, self.class_names)
        return self

    @property
    def cardinality(self) -> int:
        return self.label_model.cardinality

    @property
    def resolved_seed(self) -> int:
        return seed_or_default(self.label_model.seed)

    def names(self) -> list[str]:
        return class_name_list(self.cardinality, self.class_names)

    def aggregate_spec(self) -> AggregateSpec:
        """The core's AggregateSpec; label_model keys given in the config override the
        label model candidate's defaults (keys left out keep the better-conditioned ones)."""
        lm = {opt: getattr(self.label_model, key) for key, opt in _LM_OPTIONS.items()
              if getattr(self.label_model, key) is not None}
        return AggregateSpec(aggregator=self.aggregator, candidates=tuple(self.candidates), score_on=self.score_on,
                             folds=self.folds, seed=self.resolved_seed, options={"label_model": lm} if lm else {})

    def end_model_spec(self) -> Optional[EndModelSpec]:
        if self.end_model is None:
            return None
        return EndModelSpec(**{"seed": self.resolved_seed, **_tuples(self.end_model)})


def _tuples(d: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
