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
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator

from datalife.common.strict import DEFAULT_SEED, HashSplits, StrictModel, default_splits
from datalife.components.active_sampler.spec import ActiveSamplerConfig
from datalife.components.audio_augmenter.spec import AudioAugmenterConfig
from datalife.components.arrow_example_gen.spans import SpanConfig
from datalife.components.arrow_example_gen.spec import ReadOptions, TimeSplitConfig
from datalife.components.audio_example_gen.spec import AudioExampleGenConfig
from datalife.components.embedder.spec import EmbedderConfig
from datalife.components.label_propagator.spec import LabelPropagatorConfig
from datalife.components.image_augmenter.spec import AugmenterConfig
from datalife.components.label_unifier.spec import LabelUnifierConfig
from datalife.components.pair_maker.spec import PairMakerConfig
from datalife.components.rebalancer.spec import RebalancerConfig
from datalife.components.time_series_windower.spec import WindowerConfig
from datalife.components.label_quality.spec import LabelQualityConfig
from datalife.components.pii_masker.spec import PiiMaskerConfig
from datalife.components.validation_gate.spec import DriftConfig
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.pipeline.engines import (ENGINE_HINTS, NO_TFX_SDIST_IMAGE, DataflowEngine, FlinkEngine, PortableEngine,
                                      SparkEngine)
from datalife.transforms.audio_features import FeatureSpec
from datalife.transforms.transform_config import TransformConfig

__all__ = [
    "ConfigError",
    "PipelineConfig",
    "ComponentsConfig",
    "TransformConfig",
    "load_config",
    "parse_config",
    "with_engine",
]

KUBEFLOW_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")


class ConfigError(ValueError):
    """A configuration that cannot run; ``problems`` holds one line per fault."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("invalid configuration:\n  " + "\n  ".join(self.problems))


# ----------------------------------------------------------------------------- components
class ExampleGenConfig(ReadOptions):
    """Files -> Examples. ``csv`` and ``jsonl`` are read by the Arrow ExampleGen with the
    read options of :class:`ReadOptions` (delimiter, quote_char, null_values,
    column_types, on_invalid, ...); ``engine: tfx`` picks TFX's own CsvExampleGen."""

    format: Literal["csv", "jsonl", "tfrecord", "parquet"] = "csv"
    engine: Literal["arrow", "tfx"] = "arrow"
    input: str
    # either hash-bucket splits of all input files, or one file pattern per split
    splits: HashSplits = Field(default_factory=default_splits)
    input_splits: Optional[dict[str, str]] = None
    split_key: Optional[str] = None  # hash this column instead of the whole row (TFX's partition_feature_name)
    spans: Optional[SpanConfig] = None  # {SPAN} / {VERSION} / {YYYY}{MM}{DD} pattern: latest, given or last K spans
    time_split: Optional[TimeSplitConfig] = None  # splits by time (until dates) instead of hash 'splits'

    @model_validator(mode="after")
    def _splits(self):
        if self.spans is not None and (self.input_splits or self.engine != "arrow" or self.format not in ("csv", "jsonl")):
            raise ValueError("'spans' are read by the Arrow ExampleGen (format csv or jsonl, engine arrow) "
                             "into hash 'splits', not with 'input_splits'")
        if self.time_split is not None and (self.input_splits or self.split_key or self.engine != "arrow"
                                            or self.format not in ("csv", "jsonl")):
            raise ValueError("'time_split' is a rule of the Arrow ExampleGen (format csv or jsonl, engine arrow); "
                             "it replaces 'splits' / 'split_key' and cannot go with 'input_splits'")
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

        return ArrowExampleGenConfig(**self.read_options().model_dump(), format=self.format, schema_file=schema_file,
                                     time_split=self.time_split)


class StatisticsGenConfig(StrictModel):
    pass


class SchemaGenConfig(StrictModel):
    schema_file: Optional[str] = None  # a curated schema.pbtxt to import instead of inferring
    infer_feature_shape: bool = True


class ExampleValidatorConfig(StrictModel):
    on_anomalies: Literal["fail", "warn"] = "fail"
    drift: Optional[DriftConfig] = None  # drift from a previous span / skew from serving data, in the gate
    # validate in a schema environment (the curated schema's TRAINING / SERVING): in SERVING,
    # features marked not in SERVING (the label, label_original) may be absent
    environment: Optional[Literal["TRAINING", "SERVING"]] = None


class ComponentsConfig(StrictModel):
    # the source of Examples: files through an ExampleGen, or annotations unified
    example_gen: Optional[ExampleGenConfig] = None
    label_unifier: Optional[LabelUnifierConfig] = None
    audio_example_gen: Optional[AudioExampleGenConfig] = None
    statistics_gen: StatisticsGenConfig = Field(default_factory=StatisticsGenConfig)
    schema_gen: SchemaGenConfig = Field(default_factory=SchemaGenConfig)
    example_validator: ExampleValidatorConfig = Field(default_factory=ExampleValidatorConfig)
    pii_masker: Optional[PiiMaskerConfig] = None  # text fields masked first, before anything sees them
    weak_labeler: Optional[WeakLabelerConfig] = None
    embedder: Optional[EmbedderConfig] = None  # after weak_labeler, before validation
    label_propagator: Optional[LabelPropagatorConfig] = None  # after embedder, before validation
    transform: Optional[TransformConfig] = None
    time_series_windower: Optional[WindowerConfig] = None  # after Transform when both are set
    image_augmenter: Optional[AugmenterConfig] = None  # on examples that passed validation
    # waveform ops before Transform, spec_augment after it (two instances)
    audio_augmenter: Optional[AudioAugmenterConfig] = None
    active_sampler: Optional[ActiveSamplerConfig] = None  # side branch on validated examples: what to label next
    label_quality: Optional[LabelQualityConfig] = None  # side branch on validated examples: label errors
    rebalancer: Optional[RebalancerConfig] = None  # train split only, after validation, before Transform
    pair_maker: Optional[PairMakerConfig] = None  # side branch on validated examples (does not feed Transform)

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
        drift = self.example_validator.drift
        if drift is not None and drift.baseline == "previous_span" and (self.example_gen is None
                                                                        or self.example_gen.spans is None):
            raise ValueError("example_validator.drift.baseline: previous_span needs example_gen.spans (a pattern "
                             "with {SPAN} or a date); without spans give the baseline Examples folder")
        return self

    @model_validator(mode="after")
    def _one_audio_setting(self):
        """The clips' sample rate is declared once (audio_example_gen.sample_rate): transform.audio
        follows it unless it says otherwise (then they must agree); the audio augmenter takes
        its audio settings from transform.audio (or the clips' sample rate)."""
        gen, audio = self.audio_example_gen, self.transform.audio if self.transform else None
        if gen is not None and audio is not None:
            if "sample_rate" not in audio.model_fields_set:
                audio = audio.model_copy(update={"sample_rate": gen.sample_rate})
                self.transform = self.transform.model_copy(update={"audio": audio})
            elif audio.sample_rate != gen.sample_rate:
                raise ValueError(f"transform.audio.sample_rate {audio.sample_rate} differs from the clips' "
                                 f"audio_example_gen.sample_rate {gen.sample_rate}; leave it out")
        aug = self.audio_augmenter
        if aug is not None:
            derived = audio.spec() if audio is not None else (
                FeatureSpec(sample_rate=gen.sample_rate) if gen is not None else None)
            if aug.audio is None and derived is not None:
                self.audio_augmenter = aug.model_copy(update={"audio": derived})
            elif aug.audio is not None and derived is not None and aug.audio != derived:
                raise ValueError("audio_augmenter.audio is taken from transform.audio (and audio_example_gen's "
                                 "sample rate) in a pipeline; leave it out")
        return self


# ----------------------------------------------------------------------------- runtime
class BeamConfig(StrictModel):
    """Where the components' Beam pipelines run: ``engine`` picks one of the sections
    below (``direct`` needs none); see :mod:`datalife.pipeline.engines`."""

    direct_num_workers: int = Field(1, ge=0)
    direct_running_mode: Literal["in_memory", "multi_threading", "multi_processing"] = "in_memory"
    extra_args: list[str] = Field(default_factory=list)
    portable: Optional[PortableEngine] = None
    flink: Optional[FlinkEngine] = None
    spark: Optional[SparkEngine] = None
    dataflow: Optional[DataflowEngine] = None
    engine: Literal["direct", "portable", "flink", "spark", "dataflow"] = "direct"  # CLI: --engine

    @field_validator("engine")
    @classmethod
    def _engine_has_settings(cls, engine: str, info):
        if engine != "direct" and engine in info.data and info.data[engine] is None:
            raise ValueError(f"engine {engine!r} needs its settings in 'beam.{engine}' ({ENGINE_HINTS[engine]})")
        return engine

    @property
    def engine_settings(self):
        return None if self.engine == "direct" else getattr(self, self.engine)

    def args(self) -> list[str]:
        if self.engine == "direct":
            own = [f"--direct_num_workers={self.direct_num_workers}",
                   f"--direct_running_mode={self.direct_running_mode}",
                   f"--sdk_container_image={NO_TFX_SDIST_IMAGE}"]  # see engines.NO_TFX_SDIST_IMAGE
        else:
            own = self.engine_settings.args()
        return [*own, *self.extra_args]


class MySQLConfig(StrictModel):
    """MySQL or MariaDB (a store shared by a team; the database is created if absent)."""

    host: str
    port: int = Field(3306, ge=1, le=65535)
    database: str
    user: str
    password_env: Optional[str] = None  # name of the environment variable holding the password


class PostgreSQLConfig(StrictModel):
    """PostgreSQL (ML Metadata 1.16 connects with libpq; the database is created if absent)."""

    host: str
    port: int = Field(5432, ge=1, le=65535)
    database: str
    user: str
    password_env: Optional[str] = None  # name of the environment variable holding the password


class MetadataConfig(StrictModel):
    sqlite: Optional[str] = None  # default: <root>/metadata.sqlite
    mysql: Optional[MySQLConfig] = None
    postgresql: Optional[PostgreSQLConfig] = None

    @model_validator(mode="after")
    def _one(self):
        given = [k for k in ("sqlite", "mysql", "postgresql") if getattr(self, k)]
        if len(given) > 1:
            raise ValueError(f"give one of 'sqlite', 'mysql' or 'postgresql', not {' and '.join(given)}")
        return self

    @property
    def shared(self) -> bool:
        """A database server rather than a SQLite file."""
        return self.mysql is not None or self.postgresql is not None


class PipelineConfig(StrictModel):
    name: str
    root: Optional[str] = None  # default: runs/<name> beside the config file
    seed: int = DEFAULT_SEED  # every component's seed unless it sets its own
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


def with_engine(cfg: PipelineConfig, engine: Optional[str] = None, **portable: Optional[str]) -> PipelineConfig:
    """``cfg`` with the Beam engine chosen on the command line (``--engine``, or
    ``--runner portable --job-endpoint H:P --environment-config H:P``), validated as if
    it had been written in the file: a missing or bad section fails with file and key."""
    beam = cfg.beam.model_dump(exclude_unset=True)
    given = {k: v for k, v in portable.items() if v is not None}
    if given:
        engine = engine or "portable"
        beam["portable"] = {**beam.get("portable", {}), **given}
    if engine:
        beam["engine"] = engine
    try:
        new = BeamConfig.model_validate(beam)
    except ValidationError as exc:
        filename = str(cfg.source) if cfg.source else "<config>"
        described = [_describe({**e, "loc": ("beam", *e["loc"])}, cfg._lines, filename) for e in exc.errors()]
        raise ConfigError([f"{msg} (with --engine {engine})" if engine else msg
                           for _, msg in sorted(described, key=lambda d: d[0])]) from None
    out = cfg.model_copy(update={"beam": new})
    out._base_dir, out._source, out._lines = cfg._base_dir, cfg._source, cfg._lines
    return out
