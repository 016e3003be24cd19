"""Audio augmentation policies as data (like image policies): a list of waveform ops
with probabilities and ranges, and an optional SpecAugment for features. ``draw``
takes an :class:`ExampleRandom` (seed, example key, copy) and returns concrete
parameters; ``apply_waveform`` / ``apply_spec`` apply them."""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from datalife.transforms import audio_augment as A
from datalife.transforms.augment_ops import _check_range
from datalife.transforms.augment_random import ExampleRandom

__all__ = ["AudioPolicy", "SpecAugment", "draw", "apply_waveform", "draw_spec", "apply_spec", "describe",
           "augment_copy"]

Range = tuple[float, float]


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")
    p: float = Field(1.0, ge=0, le=1)


class TimeShift(_Op):
    op: Literal["time_shift"] = "time_shift"
    ms: Range = (-100.0, 100.0)
    _v = field_validator("ms")(lambda v: _check_range(v, -10_000, 10_000, "ms"))

    def sample(self, rand, rate):
        return {"samples": int(round(rand.uniform(*self.ms) * rate / 1000))}

    def apply(self, x, params, noise):
        return A.time_shift(x, params["samples"])


class Gain(_Op):
    op: Literal["gain"] = "gain"
    db: Range = (-6.0, 6.0)
    _v = field_validator("db")(lambda v: _check_range(v, -60, 60, "db"))

    def sample(self, rand, rate):
        return {"db": rand.uniform(*self.db)}

    def apply(self, x, params, noise):
        return A.gain(x, params["db"], out=x)  # x is the chain's own copy


class Noise(_Op):
    """Background noise at an SNR (dB): clips from the augmenter's ``noise_dir``, or
    generated ``white`` / ``pink`` noise."""

    op: Literal["noise"] = "noise"
    snr_db: Range = (5.0, 20.0)
    kind: Literal["folder", "white", "pink"] = "pink"
    _v = field_validator("snr_db")(lambda v: _check_range(v, -30, 100, "snr_db"))

    def sample(self, rand, rate):
        return {"snr_db": rand.uniform(*self.snr_db), "pick": rand.random(), "seed": rand.integers(0, 2**31 - 1)}

    def apply(self, x, params, noise):
        if self.kind == "folder":
            if not noise:
                raise ValueError("noise op with kind 'folder' needs noise clips (the augmenter's noise_dir)")
            clip = noise[min(int(params["pick"] * len(noise)), len(noise) - 1)]
        else:
            clip = A.make_noise(self.kind, len(x), np.random.default_rng(params["seed"]))
        return A.add_noise(x, clip, params["snr_db"])


class TimeStretch(_Op):
    op: Literal["time_stretch"] = "time_stretch"
    rate: Range = (0.8, 1.25)
    _v = field_validator("rate")(lambda v: _check_range(v, 0.25, 4, "rate"))

    def sample(self, rand, rate):
        return {"rate": rand.uniform(*self.rate)}

    def apply(self, x, params, noise):
        return A.time_stretch(x, params["rate"])


class PitchShift(_Op):
    op: Literal["pitch_shift"] = "pitch_shift"
    semitones: Range = (-4.0, 4.0)
    _v = field_validator("semitones")(lambda v: _check_range(v, -24, 24, "semitones"))

    def sample(self, rand, rate):
        return {"semitones": rand.uniform(*self.semitones)}

    def apply(self, x, params, noise):
        return A.pitch_shift(x, params["semitones"])


WAVEFORM_OPS = {c.model_fields["op"].default: c for c in (TimeShift, Gain, Noise, TimeStretch, PitchShift)}
AnyOp = Annotated[Union[tuple(WAVEFORM_OPS.values())], Field(discriminator="op")]


class SpecAugment(BaseModel):
    """Up to ``freq_masks`` bands of at most ``max_freq_width`` channels and
    ``time_masks`` bands of at most ``max_time_width`` frames, set to ``value``: a
    number, or ``mean`` (the default), the mean of the example's own feature map before
    masking (a log-mel mean is far below 0; masking with 0 would add energy)."""

    model_config = ConfigDict(extra="forbid")
    freq_masks: int = Field(2, ge=0, le=10)
    max_freq_width: int = Field(8, ge=1)
    time_masks: int = Field(2, ge=0, le=10)
    max_time_width: int = Field(10, ge=1)
    value: Union[float, Literal["mean"]] = "mean"
    p: float = Field(1.0, ge=0, le=1)


class AudioPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ops: list[AnyOp] = Field(default_factory=list)
    spec_augment: Optional[SpecAugment] = None


def draw(policy: AudioPolicy, rand: ExampleRandom, rate: int) -> list[tuple[int, dict]]:
    return [(i, op.sample(rand, rate)) for i, op in enumerate(policy.ops)
            if op.p >= 1 or rand.random() < op.p]


def apply_waveform(policy: AudioPolicy, drawn, x: np.ndarray, noise: Optional[list] = None) -> np.ndarray:
    """The drawn ops in order on a copy of ``x`` (ops may work in place on the copy)."""
    x = np.array(x, dtype=np.float32)
    for i, params in drawn:
        x = policy.ops[i].apply(x, params, noise)
    return x


def draw_spec(spec: SpecAugment, rand: ExampleRandom, frames: int, channels: int):
    """([(f0, width)], [(t0, width)]) bands inside the feature map."""
    if spec.p < 1 and rand.random() >= spec.p:
        return [], []
    bands = []
    for count, max_width, size in ((spec.freq_masks, spec.max_freq_width, channels),
                                   (spec.time_masks, spec.max_time_width, frames)):
        out = []
        for _ in range(count):
            width = rand.integers(0, min(max_width, size))
            out.append((rand.integers(0, size - width), width))
        bands.append(out)
    return bands[0], bands[1]


def apply_spec(spec: SpecAugment, bands, features: np.ndarray) -> np.ndarray:
    value = float(np.mean(features, dtype=np.float64)) if spec.value == "mean" else spec.value
    return A.spec_mask(features, bands[0], bands[1], value)


def describe(policy: AudioPolicy, drawn) -> str:
    return " ".join(f"{policy.ops[i].op}(" + ", ".join(f"{k}={v:.3g}" for k, v in p.items()
                                                      if k not in ("seed", "pick")) + ")" for i, p in drawn)


def augment_copy(policy: AudioPolicy, rand: ExampleRandom, rate: int, audio: Optional[np.ndarray] = None,
                 features: Optional[np.ndarray] = None, noise: Optional[list] = None) -> tuple[dict, str]:
    """One augmented copy of a clip: ``{"audio": waveform}`` when the policy has waveform
    ops, ``{"features": masked (frames, channels)}`` when it has SpecAugment, and the
    drawn ops described (``time_shift(samples=-812) spec_augment(freq=[(3, 5)], time=[])``)."""
    out, ops = {}, []
    if policy.ops:
        drawn = draw(policy, rand, rate)
        out["audio"] = apply_waveform(policy, drawn, np.asarray(audio, np.float32), noise)
        ops.append(describe(policy, drawn))
    if policy.spec_augment is not None:
        f = np.asarray(features, np.float32)
        bands = draw_spec(policy.spec_augment, rand, *f.shape)
        out["features"] = apply_spec(policy.spec_augment, bands, f)
        ops.append(f"spec_augment(freq={bands[0]}, time={bands[1]})")
    return out, " ".join(ops)
