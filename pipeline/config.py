"""The pipeline configuration: a YAML file validated with pydantic.

Every model forbids unknown keys, so a typo in a component, feature or option name
fails before anything runs. :func:`load_config` turns pydantic's errors into lines
that name the file, the YAML line, the dotted key and the allowed values, e.g.::

    demo.yaml:14: components.transform.features.age.scale: invalid value 'zscor';
    allowed: 'zscore', 'minmax'

This module imports no TFX: it is used by the CLI and tests before TFX is loaded.
"""
from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from datalife.components.audio_augmenter.spec import AudioAugmenterConfig
from datalife.components.arrow_example_gen.spec import ReadOptions
from datalife.components.audio_example_gen.spec import AudioExampleGenConfig
from datalife.components.image_augmenter.spec import AugmenterConfig
from datalife.components.label_unifier.spec import LabelUnifierConfig
from datalife.components.time_series_windower.spec import TimestampConfig, WindowerConfig
from datalife.components.weak_labeler.spec import WeakLabelerConfig

__all__ = [
    "ConfigError",
    "PipelineConfig",
    "ComponentsConfig",
    "FeatureSpec",
    "load_config",
    "parse_config",
]

KUBEFLOW_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")


class ConfigError(ValueError):
    """A configuration that cannot run; ``problems`` holds one line per fault."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid configuration:\n  " + "\n  ".join(self.problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------- transform
class Bucketize(_Strict):
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


class FeatureSpec(_Strict):
    """What Transform does to one input feature (applied in this order: impute, then one op)."""

    impute: Optional[Literal["mean", "median", "most_frequent", "constant"]] = None
    fill_value: Optional[Union[float, str]] = None
    scale: Optional[Literal["zscore", "minmax"]] = None
    encode: Optional[Literal["vocabulary", "one_hot"]] = None
    top_k: Optional[int] = Field(None, gt=0)
    num_oov_buckets: int = Field(1, ge=0)
    bucketize: Optional[Bucketize] = None
    sentinels: list[float] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self):
        ops = [k for k in ("scale", "encode", "bucketize") if getattr(self, k) is not None]
        if len(ops) > 1:
            raise ValueError(f"choose one of scale / encode / bucketize per feature, got {ops}")
        if self.impute == "constant" and self.fill_value is None:
            raise ValueError("impute: constant needs 'fill_value'")
        if self.impute != "constant" and self.fill_value is not None:
            raise ValueError("'fill_value' is only used with impute: constant")
        if self.encode == "one_hot" and self.top_k is None:
            raise ValueError("encode: one_hot needs 'top_k' (the one-hot width is top_k + num_oov_buckets)")
        return self


class Cross(_Strict):
    """A feature cross: the joined values of ``features``, hashed or given vocabulary ids."""

    features: list[str] = Field(min_length=2)
    hash_buckets: Optional[int] = Field(None, gt=0)
    name: Optional[str] = None

    @property
    def output_name(self) -> str:
        return self.name or "_x_".join(self.features)


class WindVector(_Strict):
    """Wind speed and direction -> ``<name>_x``, ``<name>_y``. ``direction`` holds degrees,
    or categories turned into degrees by ``degrees_map`` (null = calm, a zero vector)."""

    speed: str
    direction: str
    degrees_map: Optional[dict[str, Optional[float]]] = None
    name: str = "wind"


class TimeSignals(_Strict):
    """Time of day / of year as sine and cosine (``day_sin``, ``day_cos``, ``year_sin``,
    ``year_cos``), and the timestamp in seconds as ``output`` (for the windower)."""

    timestamp: TimestampConfig
    periods: list[Literal["day", "year"]] = Field(default_factory=lambda: ["day", "year"])
    output: Optional[str] = "timestamp"


class AudioFeaturesConfig(_Strict):
    """For ``datalife.transforms.audio_transform.preprocessing_fn`` (MSWC defaults)."""

    input: str = "audio"
    label: str = "label"
    features: list[Literal["spectrogram", "log_mel", "mfcc"]] = Field(default_factory=lambda: ["log_mel"],
                                                                       min_length=1)
    sample_rate: int = Field(16000, ge=1000)
    window_ms: float = Field(30.0, gt=0)
    stride_ms: float = Field(20.0, gt=0)
    mel_channels: int = Field(40, ge=1)


class TransformConfig(_Strict):
    preprocessing_fn: str = "datalife.transforms.tabular.preprocessing_fn"
    audio: Optional[AudioFeaturesConfig] = None  # speech features (with the audio preprocessing_fn)
    features: dict[str, FeatureSpec] = Field(default_factory=dict)
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


# ----------------------------------------------------------------------------- components
class ExampleGenConfig(ReadOptions):
    """Files -> Examples. ``csv`` and ``jsonl`` are read by the Arrow ExampleGen with the
    read options of :class:`ReadOptions` (delimiter, quote_char, null_values,
    column_types, on_invalid, ...); ``engine: tfx`` picks TFX's own CsvExampleGen."""

    format: Literal["csv", "jsonl", "tfrecord", "parquet"] = "csv"
    engine: Literal["arrow", "tfx"] = "arrow"
    input: str
    # either hash-bucket splits of all input files, or one file pattern per split
    splits: dict[str, int] = Field(default_factory=lambda: {"train": 4, "eval": 1})
    input_splits: Optional[dict[str, str]] = None
    split_key: Optional[str] = None  # hash this column instead of the whole row (TFX's partition_feature_name)

    @model_validator(mode="after")
    def _splits(self):
        if not self.splits or any(v <= 0 for v in self.splits.values()):
            raise ValueError(f"'splits' maps split names to positive hash-bucket counts, got {self.splits}")
        if self.input_splits is not None and not self.input_splits:
            raise ValueError("'input_splits' maps split names to file patterns; it is empty")
        if self.split_key is not None and self.input_splits:
            raise ValueError("'split_key' hashes rows into 'splits'; with 'input_splits' the files decide the split")
        arrow = self.format in ("csv", "jsonl") and self.engine == "arrow"
        if self.engine == "tfx" and self.format != "csv":
            raise ValueError(f"engine: tfx reads only format: csv (TFX has no {self.format} reader here)")
        changed = sorted(k for k in ReadOptions.model_fields if k in self.model_fields_set)
        if changed and not arrow:
            raise ValueError(f"{', '.join(changed)}: read options of the Arrow ExampleGen (format csv or jsonl, "
                             f"engine arrow); this example_gen is format {self.format}, engine {self.engine}")
        return self

    def arrow_config(self, schema_file: Optional[str] = None):
        """The Arrow ExampleGen's parameter: these read options, the format and the curated schema."""
        from datalife.components.arrow_example_gen.spec import ArrowExampleGenConfig

        return ArrowExampleGenConfig(**self.read_options().model_dump(), format=self.format, schema_file=schema_file)


class StatisticsGenConfig(_Strict):
    pass


class SchemaGenConfig(_Strict):
    schema_file: Optional[str] = None  # a curated schema.pbtxt to import instead of inferring
    infer_feature_shape: bool = True


class ExampleValidatorConfig(_Strict):
    on_anomalies: Literal["fail", "warn"] = "fail"


class ComponentsConfig(_Strict):
    # the source of Examples: files through an ExampleGen, or annotations unified
    example_gen: Optional[ExampleGenConfig] = None
    label_unifier: Optional[LabelUnifierConfig] = None
    audio_example_gen: Optional[AudioExampleGenConfig] = None
    statistics_gen: StatisticsGenConfig = Field(default_factory=StatisticsGenConfig)
    schema_gen: SchemaGenConfig = Field(default_factory=SchemaGenConfig)
    example_validator: ExampleValidatorConfig = Field(default_factory=ExampleValidatorConfig)
    weak_labeler: Optional[WeakLabelerConfig] = None
    transform: Optional[TransformConfig] = None
    time_series_windower: Optional[WindowerConfig] = None  # after Transform when both are set
    image_augmenter: Optional[AugmenterConfig] = None  # on examples that passed validation
    # waveform ops before Transform, spec_augment after it (two instances)
    audio_augmenter: Optional[AudioAugmenterConfig] = None

    @model_validator(mode="after")
    def _one_source(self):
        sources = [self.example_gen, self.label_unifier, self.audio_example_gen]
        if sum(s is not None for s in sources) != 1:
            raise ValueError("give exactly one of 'example_gen' (files), 'label_unifier' (annotations) or "
                             "'audio_example_gen' (WAV files)")
        if self.audio_augmenter is not None and self.audio_augmenter.spec_augment and self.transform is None:
            raise ValueError("audio_augmenter.spec_augment masks the features Transform computes: add 'transform'")
        if self.label_unifier is not None and (self.weak_labeler or self.time_series_windower):
            raise ValueError("the label_unifier's image examples do not go through weak_labeler or "
                             "time_series_windower")
        return self


# ----------------------------------------------------------------------------- runtime
class BeamConfig(_Strict):
    direct_num_workers: int = Field(1, ge=0)
    direct_running_mode: Literal["in_memory", "multi_threading", "multi_processing"] = "in_memory"
    extra_args: list[str] = Field(default_factory=list)

    def args(self) -> list[str]:
        return [
            f"--direct_num_workers={self.direct_num_workers}",
            f"--direct_running_mode={self.direct_running_mode}",
            *self.extra_args,
        ]


class MySQLConfig(_Strict):
    host: str
    port: int = 3306
    database: str
    user: str
    password_env: Optional[str] = None  # name of the environment variable holding the password


class MetadataConfig(_Strict):
    sqlite: Optional[str] = None  # default: <root>/metadata.sqlite
    mysql: Optional[MySQLConfig] = None

    @model_validator(mode="after")
    def _one(self):
        if self.sqlite and self.mysql:
            raise ValueError("give either 'sqlite' or 'mysql', not both")
        return self


class PipelineConfig(_Strict):
    name: str
    root: Optional[str] = None  # default: runs/<name> beside the config file
    seed: int = 42
    enable_cache: bool = True
    beam: BeamConfig = Field(default_factory=BeamConfig)
    metadata: MetadataConfig = Field(default_factory=MetadataConfig)
    components: ComponentsConfig

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: Optional[Path] = PrivateAttr(default=None)
    _lines: dict = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _name(self):
        if not KUBEFLOW_NAME.match(self.name):
            raise ValueError(
                f"name {self.name!r} must match [a-z0-9][a-z0-9-]{{0,127}} (valid for Kubeflow too)"
            )
        return self

    # paths in a config are relative to the config file's folder
    def resolve(self, path: str) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self._base_dir / p).resolve()

    @property
    def root_dir(self) -> Path:
        return self.resolve(self.root or f"runs/{self.name}")

    @property
    def pipeline_root(self) -> Path:
        return self.root_dir / "pipeline"

    @property
    def metadata_path(self) -> Path:
        return self.resolve(self.metadata.sqlite) if self.metadata.sqlite else self.root_dir / "metadata.sqlite"

    @property
    def source(self) -> Optional[Path]:
        return self._source


# ----------------------------------------------------------------------------- loading
def _line_map(text: str) -> dict[tuple, int]:
    """Map each key path of a YAML document to the 1-based line it is written on."""
    lines: dict[tuple, int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = path + (key.value,)
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))

    root = yaml.compose(text)
    if root is not None:
        walk(root, ())
    return lines


def _model_at(loc: tuple) -> Optional[type[BaseModel]]:
    """The config model class found at a key path (None when the path leaves the models)."""
    cls: Any = PipelineConfig
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return None
        ann = cls.model_fields[part].annotation
        while True:
            origin = typing.get_origin(ann)
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if origin is Union:
                ann = args[-1]
            elif origin in (list, dict):
                if parts:
                    parts.pop(0)  # the list index or dict key
                ann = args[-1]
            else:
                break
        cls = ann
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _describe(err: dict, lines: dict[tuple, int], filename: str) -> tuple[int, str]:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p[:1].isupper() and "[" in p))
    key = ".".join(str(p) for p in loc) or "<top level>"
    line = None
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            line = lines[loc[:n]]
            break
    where = f"{filename}:{line}" if line else filename
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = ", ".join(sorted(parent.model_fields)) if parent else "?"
        what = f"unknown key {loc[-1]!r}; allowed: {allowed}"
    elif kind == "literal_error":
        what = f"invalid value {err['input']!r}; allowed: {err['ctx']['expected']}"
    elif kind == "missing":
        what = "required key is missing"
    else:
        what = err["msg"].removeprefix("Value error, ")
    return line or 0, f"{where}: {key}: {what}"


def parse_config(text: str, filename: str = "<config>", base_dir: Optional[Path] = None) -> PipelineConfig:
    """Validate YAML text; raise :class:`ConfigError` listing every fault with its line."""
    try:
        data = yaml.safe_load(text)
        lines = _line_map(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        raise ConfigError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{filename}: the top level must be a mapping of keys, got {type(data).__name__}"])
    try:
        cfg = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        described = [_describe(e, lines, filename) for e in exc.errors()]
        raise ConfigError([msg for _, msg in sorted(described, key=lambda d: d[0])]) from None
    cfg._base_dir = (base_dir or Path.cwd()).resolve()
    cfg._lines = lines  # kept for data-aware checks (unknown features) below
    return cfg


def load_config(path: Union[str, Path], check_data: bool = True) -> PipelineConfig:
    """Load and validate a config file; with ``check_data`` also check feature names
    against the input's columns (see :func:`datalife.pipeline.inputs.check_features`)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"{path}: no such config file"])
    cfg = parse_config(path.read_text(), filename=str(path), base_dir=path.parent)
    cfg._source = path.resolve()
    if check_data:
        from datalife.pipeline.inputs import check_features

        check_features(cfg)
    return cfg
