"""What the gate does: anomalies -> stop or warn; then, with a drift config, the drift /
skew comparison against the baseline Examples -> stop or warn; the report; the schema."""
from __future__ import annotations

import hashlib
import json
import logging

from tfx.dsl.io import fileio

from datalife.components.report import Picture, draw_pictures, write_report
from datalife.components.validation_gate.anomalies import (anomalies_from_proto, columns_missing_in_splits,
                                                           format_anomalies,
                                                           read_anomalies, read_split_statistics)
from datalife.components.validation_gate.spec import DriftConfig

__all__ = ["run", "AnomaliesFound", "SCHEMA_FILE"]

SCHEMA_FILE = "schema.pbtxt"


class AnomaliesFound(RuntimeError):
    """Raised by the gate (on_anomalies: fail); the message lists every anomaly."""


def _load_schema(uri: str):
    import tensorflow_data_validation as tfdv

    return tfdv.load_schema_text(f"{uri}/{SCHEMA_FILE}")


def _current_statistics(statistics, split: str):
    """StatisticsGen's statistics of ``split`` (None without the input)."""
    if statistics is None:
        return None
    import tensorflow_data_validation as tfdv
    from tfx.types import artifact_utils

    path = f"{artifact_utils.get_split_uri([statistics], split)}/FeatureStats.pb"
    return tfdv.load_stats_binary(path) if fileio.exists(path) else None


def _drift(cfg: DriftConfig, schema_uri: str, examples, baseline, statistics):
    from datalife.components.validation_gate.drift import check_drift, overlay_png

    table = check_drift(baseline.uri, examples.uri, _load_schema(schema_uri), cfg,
                        current_stats=_current_statistics(statistics, cfg.split))
    base, cur = table.attrs.pop("frames")
    drifted = sorted(set(table.feature[table.drifted]))
    pictures = draw_pictures({f"drift_{i}_{name}.png"[:80]: (lambda n=name: overlay_png(base, cur, n))
                              for i, name in enumerate(drifted)})
    return table, pictures


def _span_of(examples):
    """The Examples' span (ExampleGen's, or the one an importer was given), or None."""
    props = examples.mlmd_artifact.properties
    return int(props["span"].int_value) if "span" in props else None


def validate_in_environment(statistics, schema_uri: str, environment: str) -> list:
    """Every split's statistics validated by TFDV in a schema environment (TFX's
    ExampleValidator takes none): in SERVING, features the schema marks not in SERVING
    (the label, the weak labeler's ``label_original``) are not required."""
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import statistics_pb2

    schema = _load_schema(schema_uri)
    if environment not in schema.default_environment:
        raise ValueError(f"ValidationGate: example_validator.environment {environment!r} is not an environment of "
                         f"the schema (it has {list(schema.default_environment) or 'none'}); make the curated "
                         f"schema's with: datalife schema promote INFERRED CURATED --serving-without FEATURE")
    found = []
    for split, dataset in read_split_statistics(statistics).items():
        result = tfdv.validate_statistics(statistics_pb2.DatasetFeatureStatisticsList(datasets=[dataset]), schema,
                                          environment=environment)
        found += anomalies_from_proto(split, result.SerializeToString())
    return found


def run(anomalies, schema, validated_schema, report, on_anomalies: str, drift: str = "",
        examples=None, baseline_examples=None, statistics=None, environment: str = "") -> None:
    from datalife.components.validation_gate.drift import DriftFound, format_drift

    if on_anomalies not in ("fail", "warn"):
        raise ValueError(f"on_anomalies must be 'fail' or 'warn', got {on_anomalies!r}")
    found = read_anomalies(anomalies)
    if environment and statistics is not None:  # the same check, in the schema environment asked for
        found = validate_in_environment(statistics, schema.uri, environment)
    if statistics is not None:  # a column missing from one split only (SchemaGen deprecates it: TFDV is silent)
        found = sorted(found + columns_missing_in_splits(read_split_statistics(statistics), _load_schema(schema.uri)),
                       key=lambda a: (a.split, a.feature, a.kind))
    validated_schema.set_int_custom_property("anomaly_count", len(found))
    validated_schema.set_string_custom_property("anomalies", json.dumps([a.as_dict() for a in found]))
    summary = {"anomalies": len(found), "on_anomalies": on_anomalies, **({"environment": environment} if environment else {})}
    sections, pictures, stop = [], {}, []
    if found:
        sections.append(("Anomalies", [a.as_dict() for a in found]))
        (stop.append(AnomaliesFound(format_anomalies(found))) if on_anomalies == "fail" else
         logging.warning("%s\n(on_anomalies: warn, the pipeline goes on)", format_anomalies(found)))
    if drift:
        cfg = DriftConfig.model_validate_json(drift)
        if examples is None or baseline_examples is None:
            raise ValueError("ValidationGate: a drift check needs the 'examples' and 'baseline_examples' inputs")
        table, pictures = _drift(cfg, schema.uri, examples, baseline_examples, statistics)
        drifted = sorted(set(table.feature[table.drifted]))
        summary.update({"compare": cfg.compare, "baseline": baseline_examples.uri, "split": cfg.split,
                        "drifted_features": drifted, "on_drift": cfg.on_drift,
                        "span": _span_of(examples), "baseline_span": _span_of(baseline_examples),
                        "drift_table": table.to_dict("records")})  # pipeline.drift_history reads it back
        validated_schema.set_string_custom_property("drifted_features", json.dumps(drifted))
        sections.append((f"{cfg.compare.capitalize()} against {baseline_examples.uri} (split {cfg.split})",
                         table.to_dict("records")))
        sections.extend((f"{name}: baseline and current", Picture(p, name)) for p in pictures
                        for name in [p.split("_", 2)[2][:-4]])
        if drifted:
            message = format_drift(table, cfg.compare)
            (stop.append(DriftFound(message)) if cfg.on_drift == "fail" else
             logging.warning("%s\n(on_drift: warn, the pipeline goes on)", message))
    write_report(report.uri, "ValidationGate", summary, sections, pictures)
    if stop:
        raise stop[0] if len(stop) == 1 else AnomaliesFound("\n".join(str(s) for s in stop))
    fileio.copy(f"{schema.uri}/{SCHEMA_FILE}", f"{validated_schema.uri}/{SCHEMA_FILE}", overwrite=True)
    # the schema's content hash: in lineage (every artifact downstream of the gate), a
    # changed (promoted / edited) schema shows as a new hash
    with fileio.open(f"{schema.uri}/{SCHEMA_FILE}", "rb") as f:
        validated_schema.set_string_custom_property("schema_sha256", hashlib.sha256(f.read()).hexdigest())
