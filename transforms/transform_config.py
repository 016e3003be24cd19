"""What Transform does, as data: the ``transform`` section of the pipeline config, read
by the ``preprocessing_fn``s (``transforms/tabular.py``, ``transforms/audio_transform.py``)
and validated by the pipeline config, which embeds :class:`TransformConfig` as it is.

Pure (pydantic only): the config is checked before anything runs, and the
``preprocessing_fn`` parses the same model from the ``custom_config`` TFX hands it.
"""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field, model_validator

from datalife.common.strict import StrictModel
from datalife.transforms.audio_features import FeatureSpec
from datalife.transforms.series_blocks import TimestampSpec

__all__ = ["TransformConfig", "FeatureTransform", "Bucketize", "Cross", "WindVector", "TimeSignals",
           "AudioFeaturesConfig"]


class Bucketize(StrictModel):
    """Either ``num_buckets`` (quantile boundaries learnt from the data) or fixed ``boundaries``."""

    num_buckets: Optional[int] = Field(None, ge=2)
    boundaries: Optional[list[float]] = None

    @model_validator(mode="after")
    def _one_of(self):
        if (self.num_buckets is None) == (self.boundaries is None):
            raise ValueError("give exactly one of 'num_buckets' or 'boundaries'")
        if self.boundaries is not None and sorted(self.boundaries) != self.boundaries:
            raise ValueError(f"'boundaries' must be increasing, got {self.boundaries}")
        return self


PRESENT_SUFFIX = "_present"  # the presence mask of a feature declared missing: keep


class FeatureTransform(StrictModel):
    """What Transform does to one input feature (applied in this order: impute, then one op)."""

    impute: Optional[Literal["mean", "median", "most_frequent", "constant"]] = None
    fill_value: Optional[Union[float, str]] = None
    scale: Optional[Literal["zscore", "minmax"]] = None
    encode: Optional[Literal["vocabulary", "one_hot"]] = None
    top_k: Optional[int] = Field(None, gt=0)
    num_oov_buckets: int = Field(1, ge=0)
    bucketize: Optional[Bucketize] = None
    sentinels: list[float] = Field(default_factory=list)
    # keep: missing values are not invented; the output holds NaN where the value is
    # missing and `<name>_present` (1 / 0) says which; scale statistics come from the
    # present values only. The windower drops windows with a missing value (counted).
    missing: Optional[Literal["keep"]] = None

    @model_validator(mode="after")
    def _consistent(self):
        ops = [k for k in ("scale", "encode", "bucketize") if getattr(self, k) is not None]
        if len(ops) > 1:
            raise ValueError(f"choose one of scale / encode / bucketize per feature, got {ops}")
        if self.missing == "keep" and (self.impute is not None or self.encode or self.bucketize):
            raise ValueError("missing: keep passes missing values through as NaN with a presence mask; it "
                             "cannot go with impute, encode or bucketize (allowed with it: scale, sentinels)")
        if self.impute == "constant" and self.fill_value is None:
            raise ValueError("impute: constant needs 'fill_value'")
        if self.impute != "constant" and self.fill_value is not None:
            raise ValueError("'fill_value' is only used with impute: constant")
        if self.encode == "one_hot" and self.top_k is None:
            raise ValueError("encode: one_hot needs 'top_k' (the one-hot width is top_k + num_oov_buckets)")
        return self


class Cross(StrictModel):
    """A feature cross: the joined values of ``features``, hashed or given vocabulary ids."""

    features: list[str] = Field(min_length=2)
    hash_buckets: Optional[int] = Field(None, gt=0)
    name: Optional[str] = None

    @property
    def output_name(self) -> str:
        return self.name or "_x_".join(self.features)


class WindVector(StrictModel):
    """Wind speed and direction -> ``<name>_x``, ``<name>_y``. ``direction`` holds degrees,
    or categories turned into degrees by ``degrees_map`` (null = calm, a zero vector)."""

    speed: str
    direction: str
    degrees_map: Optional[dict[str, Optional[float]]] = None
    name: str = "wind"


class TimeSignals(StrictModel):
    """Time of day / of year as sine and cosine (``day_sin``, ``day_cos``, ``year_sin``,
    ``year_cos``), and the timestamp in seconds as ``output`` (for the windower)."""

    timestamp: TimestampSpec
    periods: list[Literal["day", "year"]] = Field(default_factory=lambda: ["day", "year"])
    output: Optional[str] = "timestamp"


class AudioFeaturesConfig(FeatureSpec):
    """For ``datalife.transforms.audio_transform.preprocessing_fn``: which waveform, label
    and features, and the audio settings of the core's ``FeatureSpec`` (MSWC defaults,
    declared there once)."""

    input: str = "audio"
    label: str = "label"
    features: list[Literal["spectrogram", "log_mel", "mfcc"]] = Field(default_factory=lambda: ["log_mel"],
                                                                       min_length=1)
    # label ids: natural (numeric when every label is a number, else by bytes) or TFT's frequency order
    label_order: Literal["natural", "frequency"] = "natural"


class TransformConfig(StrictModel):
    preprocessing_fn: str = "datalife.transforms.tabular.preprocessing_fn"
    audio: Optional[AudioFeaturesConfig] = None  # speech features (with the audio preprocessing_fn)
    features: dict[str, FeatureTransform] = Field(default_factory=dict)
    crosses: list[Cross] = Field(default_factory=list)
    passthrough: list[str] = Field(default_factory=list)
    wind_vectors: list[WindVector] = Field(default_factory=list)
    time_signals: Optional[TimeSignals] = None

    def input_features(self) -> set[str]:
        names = set(self.features) | set(self.passthrough)
        for cross in self.crosses:
            names |= set(cross.features)
        for wind in self.wind_vectors:
            names |= {wind.speed, wind.direction}
        if self.time_signals:
            names |= set(self.time_signals.timestamp.columns())
        return names

    def output_names(self) -> list[str]:
        """The features the tabular ``preprocessing_fn`` outputs for this config."""
        names = [*self.features, *(c.output_name for c in self.crosses), *self.passthrough]
        names += [f"{n}{PRESENT_SUFFIX}" for n, spec in self.features.items() if spec.missing == "keep"]
        for wind in self.wind_vectors:
            names += [f"{wind.name}_x", f"{wind.name}_y"]
        if self.time_signals:
            names += [f"{p}_{f}" for p in self.time_signals.periods for f in ("sin", "cos")]
            names += [self.time_signals.output] if self.time_signals.output else []
        return names
