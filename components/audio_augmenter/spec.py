"""The audio augmenter's configuration, declared once (YAML -> JSON parameter -> executor).
The pipeline runs waveform ops before Transform and SpecAugment after it (on the
features Transform computed), as two instances of the component."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from datalife.common.accounting import Rule
from datalife.common.splits import refuse_eval_splits
from datalife.common.strict import StrictModel
from datalife.transforms.audio_features import FEATURE_KINDS, FeatureSpec

__all__ = ["AudioAugmenterConfig"]


class AudioAugmenterConfig(StrictModel):
    ops: list[dict[str, Any]] = Field(default_factory=list)  # waveform ops: time_shift, gain, noise, ...
    spec_augment: Optional[dict[str, Any]] = None  # frequency / time masks on features_field
    copies: int = Field(1, ge=1, le=100)
    keep_originals: bool = True
    splits: list[str] = Field(default_factory=lambda: ["train"], min_length=1)
    seed: Optional[int] = None  # default: the pipeline seed
    noise_dir: Optional[str] = None  # WAV clips for the noise op with kind 'folder'
    audio_feature: str = "audio"
    features_field: Literal[FEATURE_KINDS] = "log_mel"  # the Transform output SpecAugment masks
    # the audio settings (sample rate; the features' channels): in a pipeline, those of
    # transform.audio (with audio_example_gen's sample rate); give them only to use the component alone
    audio: Optional[FeatureSpec] = None
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

    def feature_spec(self) -> FeatureSpec:
        return self.audio or FeatureSpec()

    def features_shape(self, values: int) -> tuple[int, int]:
        """(frames, channels) of a ``features_field`` of ``values`` values: the channels
        come from the audio settings, the frames from the clip's length."""
        channels = self.feature_spec().channels(self.features_field)
        if values == 0 or values % channels:
            raise ValueError(f"{self.features_field!r} holds {values} values, not a whole number of frames of "
                             f"{channels} channels (audio settings: {self.feature_spec().model_dump()})")
        return values // channels, channels

    def rules(self) -> list[Rule]:
        """Per split: every clip augmented, passed through or quarantined (NaN / infinite /
        out-of-range samples, no waveform); copies and originals as configured."""
        return [Rule("clips_in", ("clips_augmented", "passed_through", "clips_quarantined")),
                Rule("copies_out", ("clips_augmented",), times=self.copies),
                Rule("originals_out", ("clips_augmented",) if self.keep_originals else ())]

    def stage(self, which: str) -> "AudioAugmenterConfig":
        """The waveform-only part of this config (``copies`` copies per clip), or the
        SpecAugment part, which masks every example of the augmented splits in place
        (one masked copy replaces each example, as SpecAugment is used in training)."""
        if which == "waveform":
            return self.model_copy(update={"spec_augment": None})
        return self.model_copy(update={"ops": [], "copies": 1, "keep_originals": False})

    def with_base(self, resolve) -> "AudioAugmenterConfig":
        return self.model_copy(update={"noise_dir": str(resolve(self.noise_dir)) if self.noise_dir else None})
