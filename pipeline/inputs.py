"""Look at a pipeline's input before it runs: which columns does it have?

Used to reject a config that names a feature the data does not have, with the line
of the config where it is named. CSV and Parquet are read without TensorFlow; a
TFRecord input has its first ``tf.train.Example`` decoded (``common.codec``).
"""
from __future__ import annotations

import csv
from pathlib import Path

from datalife.pipeline.config import ConfigError, PipelineConfig

__all__ = ["input_files", "input_columns", "check_features", "check_sources"]


def input_files(folder: Path, fmt: str) -> list[Path]:
    if not folder.is_dir():
        raise ConfigError([f"{folder}: the example_gen input folder does not exist"])
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if fmt == "csv":
        files = [p for p in files if p.suffix.lower() == ".csv"]
    elif fmt == "jsonl":
        files = [p for p in files if p.suffix.lower() in (".jsonl", ".ndjson", ".json")]
    elif fmt == "parquet":
        files = [p for p in files if p.suffix.lower() == ".parquet"]
    if not files:
        raise ConfigError([f"{folder}: no {fmt} files in the example_gen input folder"])
    return files


def input_columns(folder: Path, fmt: str, options=None) -> list[str]:
    if fmt in ("csv", "jsonl") and options is not None:  # the Arrow ExampleGen's own reading of headers / keys
        from datalife.components.arrow_example_gen.reader import peek_columns

        try:
            return peek_columns(input_files(folder, fmt), options, fmt)
        except ValueError as exc:
            raise ConfigError([str(exc)]) from None
    first = input_files(folder, fmt)[0]
    if fmt == "csv":
        with open(first, newline="") as f:
            header = next(csv.reader(f), None)
        if not header:
            raise ConfigError([f"{first}: the CSV file has no header line"])
        return header
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(first).names)
    from datalife.common.codec import Columns
    from datalife.common.tfrecords import iter_tfrecords

    for raw in iter_tfrecords(str(first)):
        return sorted(Columns([raw]))
    raise ConfigError([f"{first}: the TFRecord file holds no records"])


def check_features(cfg: PipelineConfig) -> None:
    """Every feature the transform names must be a column of the input; every
    annotation source must exist."""
    gen = cfg.components.example_gen
    if cfg.components.label_unifier is not None:
        return check_sources(cfg)
    if gen is None:  # audio: the folder is listed when the pipeline is built
        return None
    if "://" in gen.input:  # gs://, s3://, hdfs://: read by Beam on the cluster, not checked here
        return None
    columns = input_columns(cfg.resolve(gen.input), gen.format, gen if gen.engine == "arrow" else None)
    transform = cfg.components.transform
    where = str(cfg.source or "<config>")
    problems = []

    def report(path: tuple, name: str):
        line = cfg._lines.get(path)
        prefix = f"{where}:{line}" if line else where
        dotted = ".".join(str(p) for p in path)
        problems.append(f"{prefix}: {dotted}: unknown feature {name!r}; the input has: {', '.join(columns)}")

    if cfg.components.weak_labeler is not None:  # the LF module loads; its fields and splits exist
        from datalife.components.weak_labeler.checks import config_problems

        splits = list(gen.input_splits) if gen.input_splits else list(gen.splits)
        problems += config_problems(cfg.components.weak_labeler, columns, splits, where, cfg._lines, cfg.resolve)

    base = ("components", "example_gen")
    named = [(("split_key",), gen.split_key)] + [(("column_types", k), k) for k in gen.column_types]
    for path, name in named:  # the Arrow ExampleGen's own column references
        if name is not None and name not in columns:
            report(base + path, name)

    windower = cfg.components.time_series_windower
    if windower is not None:
        available = transform.output_names() if transform is not None else columns
        base = ("components", "time_series_windower")
        named = [(("timestamp", "column"), windower.timestamp.column)] if windower.timestamp.column else [
            (("timestamp", "parts", k), v) for k, v in windower.timestamp.parts.items()]
        named += [(("series_key",), windower.series_key), (("label",), windower.label)]
        named += [(("features", i), f) for i, f in enumerate(windower.features)]
        named += [(("targets", i), f) for i, f in enumerate(windower.targets)]
        for path, name in named:
            if name is not None and name not in available:
                line = cfg._lines.get(base + path)
                prefix = f"{where}:{line}" if line else where
                source = "the transform outputs" if transform is not None else "the input has"
                problems.append(f"{prefix}: {'.'.join(map(str, base + path))}: unknown feature {name!r}; "
                                f"{source}: {', '.join(available)}")
    if transform is None:
        if problems:
            raise ConfigError(problems)
        return
    base = ("components", "transform")
    for name in transform.features:
        if name not in columns:
            report(base + ("features", name), name)
    for i, name in enumerate(transform.passthrough):
        if name not in columns:
            report(base + ("passthrough", i), name)
    for i, wind in enumerate(transform.wind_vectors):
        for key in ("speed", "direction"):
            if getattr(wind, key) not in columns:
                report(base + ("wind_vectors", i, key), getattr(wind, key))
    if transform.time_signals is not None:
        ts = transform.time_signals.timestamp
        for key, name in ([("column", ts.column)] if ts.column else list(ts.parts.items())):
            if name not in columns:
                report(base + ("time_signals", "timestamp") + ((key,) if ts.column else ("parts", key)), name)
    for i, cross in enumerate(transform.crosses):
        for j, name in enumerate(cross.features):
            if name not in columns:
                report(base + ("crosses", i, "features", j), name)
    if problems:
        raise ConfigError(problems)


def check_sources(cfg: PipelineConfig) -> None:
    """Each label_unifier source's annotations and images exist (with the config line)."""
    unifier = cfg.components.label_unifier
    where, problems = str(cfg.source or "<config>"), []
    for i, s in enumerate(unifier.sources):
        for key in ("path", "images"):
            value = getattr(s, key)
            if value is not None and not cfg.resolve(value).exists():
                line = cfg._lines.get(("components", "label_unifier", "sources", i, key))
                prefix = f"{where}:{line}" if line else where
                problems.append(f"{prefix}: components.label_unifier.sources.{i}.{key}: "
                                f"{cfg.resolve(value)} does not exist")
    if problems:
        raise ConfigError(problems)
