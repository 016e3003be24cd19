"""The Arrow ExampleGen executor: TFX's ExampleGen contract, Arrow's speed.

It reads the same exec properties as TFX's FileBasedExampleGen executors
(``input_base``, ``input_config``, ``output_config`` with hash buckets or input splits
and ``partition_feature_name``; span, version and input fingerprint resolved by TFX's
driver from ``{SPAN}`` / ``{VERSION}`` patterns) plus ``config`` (the JSON of
:class:`ArrowExampleGenConfig`), and writes what every downstream component expects:
``Split-<name>/data_tfrecord-*.gz`` (gzipped TFRecords of tf.train.Examples), the
``split_names``, ``payload_format`` (FORMAT_TF_EXAMPLE) and ``file_format``
(tfrecords_gzip) properties. The Beam graph:

    files -> PlanFile (chunks) -> Reshuffle -> InferChunk -> MergeKinds (side input)
          -> WriteChunk (shards; counts; quarantine) -> report (in = out + quarantined)
"""
from __future__ import annotations

import os
from typing import Any

import apache_beam as beam
from tfx.components.example_gen import utils
from tfx.components.util import examples_utils
from tfx.dsl.components.base import base_beam_executor
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import proto_utils

from datalife.components.arrow_example_gen import beam_glue, chunks as chunking
from datalife.components.arrow_example_gen.column_types import KIND_NAMES, Kind, kind_from_name
from datalife.components.arrow_example_gen.reader import ColumnPlan
from datalife.components.arrow_example_gen.report import build_summary, write_report
from datalife.components.arrow_example_gen.shards import GzipShard
from datalife.components.arrow_example_gen.spec import ArrowExampleGenConfig, from_exec_property
from datalife.components.arrow_example_gen.splits import HashSplit

__all__ = ["Executor", "CONFIG_KEY", "REPORT_KEY", "list_inputs", "span_inputs", "column_plan", "schema_kinds", "split_rule"]

CONFIG_KEY, REPORT_KEY = "config", "report"
_SCHEMA_KINDS = {1: Kind.STRING, 2: Kind.INT, 3: Kind.FLOAT}  # schema_pb2.BYTES / INT / FLOAT


def list_inputs(input_base: str, input_config: example_gen_pb2.Input, hashed: bool) -> list[tuple]:
    """(file_index, path, name relative to input_base, fixed split or None) of every
    input file, in a stable order. With hash splits there is one input pattern."""
    out = []
    for split in input_config.splits:
        pattern = os.path.join(input_base, split.pattern)
        paths = sorted(p for p in fileio.glob(pattern) if not fileio.isdir(p))
        if not paths:
            raise RuntimeError(f"Split pattern {pattern} does not match any files.")
        for path in paths:
            out.append((len(out), path, os.path.relpath(path, input_base), None if hashed else split.name))
    return out


def span_inputs(input_base: str, spans: list[dict], examples) -> list[tuple]:
    """The files of the spans chosen at build time (``config.spans``), checked against their
    content hashes; the output records them (custom properties ``spans``, ``content_sha256``)
    and carries the newest span's number and version."""
    import json

    from datalife.components.arrow_example_gen.spans import SpanError, content_sha256

    out = []
    for s in spans:
        paths = [os.path.join(input_base, f) for f in s["files"]]
        now = content_sha256(paths)
        if now != s["sha256"]:
            raise SpanError(f"span {s['span']} version {s['version']} changed since the pipeline was built "
                            f"(sha256 {s['sha256'][:12]} -> {now[:12]}): build it again")
        out.extend((len(out) + i, p, f, None) for i, (p, f) in enumerate(zip(paths, s["files"])))
    out = [(i, p, f, split) for i, (_, p, f, split) in enumerate(out)]
    newest = spans[-1]
    examples.span = int(newest["span"])
    if newest["version"] is not None:
        examples.version = int(newest["version"])
    examples.set_string_custom_property("spans", json.dumps([{k: s[k] for k in ("span", "version", "sha256")}
                                                             for s in spans]))
    examples.set_string_custom_property("content_sha256", spans[0]["sha256"] if len(spans) == 1 else
                                        content_sha256([p for _, p, _, _ in out]))
    return out


def split_rule(output_config: example_gen_pb2.Output, time_split=None):
    """The rule that assigns rows to output splits, or None when the input splits are the
    output splits: TFX's hash buckets, or by time (``config.time_split``, whose split
    names the pipeline also wrote into ``output_config``)."""
    split_config = output_config.split_config
    if not split_config.splits:
        return None
    if time_split is not None:
        return time_split.rule()
    return HashSplit(tuple((s.name, s.hash_buckets) for s in split_config.splits),
                     split_config.partition_feature_name or None)


def schema_kinds(schema_file: str) -> dict[str, Kind]:
    from tfx.utils import io_utils

    schema = io_utils.SchemaReader().read(schema_file)
    return {f.name: _SCHEMA_KINDS[f.type] for f in schema.feature if f.type in _SCHEMA_KINDS}


def column_plan(files: list[tuple], cfg: ArrowExampleGenConfig) -> ColumnPlan:
    """The CSV header every file must share; the kinds fixed by the curated schema and
    ``column_types`` (which wins)."""
    names = None
    if cfg.format == "csv":
        from apache_beam.io.filesystem import CompressionTypes
        from apache_beam.io.filesystems import FileSystems

        for _, path, name, _ in files:
            with FileSystems.open(path, compression_type=CompressionTypes.AUTO) as f:
                header = chunking.csv_header(f, cfg, name)
            if names is None:
                names, first = header, name
            elif header != names:
                raise ValueError(f"{name}: its header {header} differs from {first}'s {names}; every file of "
                                 f"an ExampleGen input needs the same columns in the same order")
    fixed, sources = {}, {}
    if cfg.schema_file:
        for k, v in schema_kinds(cfg.schema_file).items():
            if names is None or k in names:
                fixed[k], sources[k] = v, "schema"
    for k, v in cfg.column_types.items():
        fixed[k], sources[k] = kind_from_name(v), "config"
    if names is not None:
        unknown = sorted(set(cfg.column_types) - set(names))
        if unknown:
            raise ValueError(f"column_types names {unknown}, which the input does not have; its columns: "
                             f"{', '.join(names)}")
    return ColumnPlan(names or [], fixed, sources)


def _final_plan(kinds: dict, base: dict, fmt: str, key: str | None) -> dict:
    plan = ColumnPlan.from_json(base)
    if fmt == "jsonl":  # the columns are the keys the JSON lines have
        config_unknown = sorted(k for k, src in plan.sources.items() if src == "config" and k not in kinds)
        if config_unknown:
            raise ValueError(f"column_types names {config_unknown}, which no JSON line has; the keys: "
                             f"{', '.join(sorted(kinds))}")
        plan.names = sorted(kinds)
        plan.fixed = {k: v for k, v in plan.fixed.items() if k in kinds}
    plan.kinds = {k: Kind(v) for k, v in kinds.items() if k not in plan.fixed}
    if key is not None and key not in plan.names:
        raise ValueError(f"the split key {key!r} (partition_feature_name) is not a column; the input has: "
                         f"{', '.join(plan.names)}")
    if key is not None and plan.kind(key) in (Kind.UNKNOWN, Kind.FLOAT):
        raise ValueError(f"the split key {key!r} has {'no values' if plan.kind(key) == Kind.UNKNOWN else 'floats'}; "
                         f"TFX splits by an int or bytes feature")
    return plan.to_json()


def _finish(results: list, plan_json: dict, splits: list, split_uris: dict, report_uri: str, cfg_json: dict,
            gzip_level: int) -> None:
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    counts: dict = {}
    for r in results:
        for k, v in r["counts"].items():
            counts[k] = counts.get(k, 0) + v
    quarantined = [q for r in results for q in r["quarantined"]]
    chunk_list = [r["chunk"] for r in results]
    rows_in, rows_out, rows_q = counts.get("rows_in", 0), counts.get("rows_out", 0), counts.get("rows_quarantined", 0)
    if rows_in != rows_out + rows_q:
        raise AssertionError(f"Arrow ExampleGen accounting broken: {rows_in} records in, {rows_out} examples out, "
                             f"{rows_q} quarantined")
    for split in splits:  # a split that received no row still gets a (valid, empty) shard
        if not counts.get(f"split:{split}"):
            sink = FileSystems.create(f"{split_uris[split]}/data_tfrecord-empty.gz",
                                      compression_type=CompressionTypes.UNCOMPRESSED)
            GzipShard(sink, gzip_level).close()
    plan = ColumnPlan.from_json(plan_json)
    columns = [{"column": n, "type": KIND_NAMES[plan.kind(n)], "from": plan.sources.get(n, "inferred")}
               for n in plan.names]
    files = {}
    for c in sorted(chunk_list, key=lambda c: (c.file_index, c.index)):
        f = files.setdefault(c.name, {"file": c.name, "split": c.split or "(hash)", "chunks": 0,
                                      "read": "in chunks" if c.rfc and not c.compressed else "whole",
                                      "records": counts.get(f"file:{c.name}", 0)})
        f["chunks"] += 1
        if f["read"] == "whole":
            f["why"] = ("compressed" if c.compressed else
                        "escape_char / double_quote: false, or quotes that are not RFC 4180 field quoting")
    summary = build_summary(counts, quarantined, columns, list(files.values()), splits, cfg_json)
    write_report(report_uri, summary, quarantined)


class Executor(base_beam_executor.BaseBeamExecutor):
    """Reads CSV / JSON lines with Arrow; see the module docstring."""

    def Do(self, input_dict: dict, output_dict: dict, exec_properties: dict[str, Any]) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        cfg = from_exec_property(exec_properties.get(CONFIG_KEY) or "{}")
        input_config = example_gen_pb2.Input()
        proto_utils.json_to_proto(exec_properties[standard_component_specs.INPUT_CONFIG_KEY], input_config)
        output_config = example_gen_pb2.Output()
        proto_utils.json_to_proto(exec_properties[standard_component_specs.OUTPUT_CONFIG_KEY], output_config)
        splits = utils.generate_output_split_names(input_config, output_config)
        examples = artifact_utils.get_single_instance(output_dict[standard_component_specs.EXAMPLES_KEY])
        report = artifact_utils.get_single_instance(output_dict[REPORT_KEY])
        examples.split_names = artifact_utils.encode_split_names(splits)
        split_uris = {s: artifact_utils.get_split_uri([examples], s) for s in splits}

        rule = split_rule(output_config, cfg.time_split)
        key = getattr(rule, "key", None)
        base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
        files = span_inputs(base, cfg.spans, examples) if cfg.spans else list_inputs(base, input_config, rule is not None)
        base_plan = column_plan(files, cfg).to_json()
        cfg_json = cfg.model_dump(mode="json")
        config_json = cfg.model_dump_json()

        with self._make_beam_pipeline() as p:
            chunk_list = (p | "Files" >> beam.Create(files) | "Plan" >> beam.ParDo(beam_glue.PlanFile(config_json))
                          | "Spread" >> beam.Reshuffle())
            first = chunk_list | "Write" >> beam.ParDo(beam_glue.WriteChunk(config_json, base_plan, rule, split_uris))
            plan = (first | "First results" >> beam.combiners.ToList()
                    | "Merge kinds" >> beam.Map(lambda rs: _final_plan(beam_glue.merge_results(rs), base_plan,
                                                                        cfg.format, key)))
            final = first | "Rewrite" >> beam.ParDo(beam_glue.RewriteChunk(config_json, base_plan, rule, split_uris),
                                                    beam.pvalue.AsSingleton(plan))
            _ = (final | "Results" >> beam.combiners.ToList()
                 | "Report" >> beam.Map(_finish, beam.pvalue.AsSingleton(plan), splits, split_uris, report.uri,
                                        cfg_json, cfg.gzip_level))

        examples_utils.set_payload_format(examples, example_gen_pb2.FORMAT_TF_EXAMPLE)
        examples_utils.set_file_format(examples, "tfrecords_gzip")
