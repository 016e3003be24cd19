"""ValidationGate: stop the pipeline when ExampleValidator found anomalies.

It sits between ExampleValidator and Transform: Transform takes its schema from the
gate's ``validated_schema`` output, so Transform only runs once the gate passed, and
the lineage of Transform's output runs through ExampleValidator. Given StatisticsGen's
``statistics``, it also stops on a column that has values in one split and none in
another (SchemaGen marks such a column DEPRECATED, so ExampleValidator says nothing),
unless the schema marks it optional (``presence { min_count: 0 }``). Its one parameter,
``on_anomalies`` (``fail`` or ``warn``), is declared once, in the signature below.
"""

import json
import logging

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.dsl.io import fileio
from tfx.types.standard_artifacts import ExampleAnomalies, ExampleStatistics, Schema
from tfx.utils import io_utils

from datalife.components.validation_gate.anomalies import (columns_missing_in_splits, format_anomalies,
                                                           read_anomalies, read_split_statistics)

__all__ = ["ValidationGate", "AnomaliesFound"]

SCHEMA_FILE = "schema.pbtxt"


class AnomaliesFound(RuntimeError):
    """Raised by the gate (on_anomalies: fail); the message lists every anomaly."""


@component
def ValidationGate(
    anomalies: InputArtifact[ExampleAnomalies],
    schema: InputArtifact[Schema],
    validated_schema: OutputArtifact[Schema],
    on_anomalies: Parameter[str] = "fail",
    statistics: InputArtifact[ExampleStatistics] = None,
):
    if on_anomalies not in ("fail", "warn"):
        raise ValueError(f"on_anomalies must be 'fail' or 'warn', got {on_anomalies!r}")
    found = read_anomalies(anomalies)
    if statistics is not None:  # a column missing from one split only (SchemaGen deprecates it: TFDV is silent)
        schema_proto = io_utils.SchemaReader().read(f"{schema.uri}/{SCHEMA_FILE}")
        found = sorted(found + columns_missing_in_splits(read_split_statistics(statistics), schema_proto),
                       key=lambda a: (a.split, a.feature, a.kind))
    validated_schema.set_int_custom_property("anomaly_count", len(found))
    validated_schema.set_string_custom_property("anomalies", json.dumps([a.as_dict() for a in found]))
    if found:
        if on_anomalies == "fail":
            raise AnomaliesFound(format_anomalies(found))
        logging.warning("%s\n(on_anomalies: warn, the pipeline goes on)", format_anomalies(found))
    fileio.copy(f"{schema.uri}/{SCHEMA_FILE}", f"{validated_schema.uri}/{SCHEMA_FILE}", overwrite=True)
