"""The audio augmenter's configuration, declared once (YAML -> JSON parameter -> executor).
The pipeline runs waveform ops before Transform and SpecAugment after it (on the
features Transform computed), as two instances of the component."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from datalife.splits import refuse_eval_splits

__all__ = ["AudioAugmenterConfig"]


class AudioAugmenterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ops: list[dict[str, Any]] = Field(default_factory=list)  # waveform ops: time_shift, gain, noise, ...
    spec_augment: Optional[dict[str, Any]] = None  # frequency / time masks on features_field
    copies: int = Field(1, ge=1, le=100)
    keep_originals: bool = True
    splits: list[str] = Field(default_factory=lambda: ["train"], min_length=1)
    seed: Optional[int] = None  # default: the pipeline seed
    noise_dir: Optional[str] = None  # WAV clips for the noise op with kind 'folder'
    audio_feature: str = "audio"
    sample_rate: int = Field(16000, ge=1000)
    features_field: str = "log_mel"
    features_shape: tuple[int, int] = (49, 40)  # (frames, channels) of features_field
    batch_size: int = Field(64, ge=1)

    @field_validator("splits")
    @classmethod
    def _splits(cls, v):
        return refuse_eval_splits(v)

    @model_validator(mode="after")
    def _policy(self):
        policy = self.policy()  # raises with the op and range named
        if not policy.ops and policy.spec_augment is None:
            raise ValueError("give waveform 'ops', 'spec_augment', or both")
        if any(op.op == "noise" and op.kind == "folder" for op in policy.ops) and not self.noise_dir:
            raise ValueError("the noise op with kind 'folder' needs 'noise_dir'")
        return self

    def policy(self):
        from datalife.transforms.audio_policy import AudioPolicy

        return AudioPolicy.model_validate({"ops": self.ops, "spec_augment": self.spec_augment})

    def stage(self, which: str) -> "AudioAugmenterConfig":
        """The waveform-only part of this config (``copies`` copies per clip), or the
        SpecAugment part, which masks every example of the augmented splits in place
        (one masked copy replaces each example, as SpecAugment is used in training)."""
        if which == "waveform":
            return self.model_copy(update={"spec_augment": None})
        return self.model_copy(update={"ops": [], "copies": 1, "keep_originals": False})

    def with_base(self, resolve) -> "AudioAugmenterConfig":
        return self.model_copy(update={"noise_dir": str(resolve(self.noise_dir)) if self.noise_dir else None})
