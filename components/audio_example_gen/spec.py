"""The audio ExampleGen's configuration, declared once (YAML -> JSON parameter -> executor)."""
from __future__ import annotations

import re
from typing import Optional

from pydantic import Field, field_validator, model_validator

from datalife.common.accounting import Rule
from datalife.common.strict import HashSplits, StrictModel, default_splits
from datalife.transforms.audio_features import SAMPLE_RATE

__all__ = ["AudioExampleGenConfig", "RULES"]

RULES = [Rule("files_in", ("clips_out", "files_quarantined"))]


class AudioExampleGenConfig(StrictModel):
    input: str  # a folder of WAV files
    pattern: str = "**/*.wav"  # glob under input
    label_pattern: Optional[str] = None  # regex on the file name with a group named 'label'
    labels_csv: Optional[str] = None  # or a CSV with columns file,label (file relative to input)
    group_pattern: Optional[str] = None  # regex group 'group' (e.g. the speaker): one group, one split
    sample_rate: int = Field(SAMPLE_RATE, ge=1000, le=192000)  # the clips' rate (transform.audio follows it)
    seconds: float = Field(1.0, gt=0, le=60)
    splits: HashSplits = Field(default_factory=default_splits)

    @field_validator("label_pattern", "group_pattern")
    @classmethod
    def _regex(cls, v, info):
        if v is None:
            return v
        try:
            compiled = re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        group = "label" if info.field_name == "label_pattern" else "group"
        if group not in compiled.groupindex:
            raise ValueError(f"needs a named group (?P<{group}>...)")
        return v

    @model_validator(mode="after")
    def _check(self):
        if (self.label_pattern is None) == (self.labels_csv is None):
            raise ValueError("give exactly one of 'label_pattern' or 'labels_csv'")
        return self

    @property
    def samples(self) -> int:
        return int(round(self.sample_rate * self.seconds))

    def with_base(self, resolve) -> "AudioExampleGenConfig":
        return self.model_copy(update={"input": str(resolve(self.input)),
                                       "labels_csv": str(resolve(self.labels_csv)) if self.labels_csv else None})
