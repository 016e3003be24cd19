"""ValidationGate: stop the pipeline when ExampleValidator found anomalies.

It sits between ExampleValidator and Transform: Transform takes its schema from the
gate's ``validated_schema`` output, so Transform only runs once the gate passed, and
the lineage of Transform's output runs through ExampleValidator. Its one parameter,
``on_anomalies`` (``fail`` or ``warn``), is declared once, in the signature below.
"""

import json
import logging

from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.dsl.io import fileio
from tfx.types.standard_artifacts import ExampleAnomalies, Schema

from datalife.components.validation_gate.anomalies import format_anomalies, read_anomalies

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
):
    if on_anomalies not in ("fail", "warn"):
        raise ValueError(f"on_anomalies must be 'fail' or 'warn', got {on_anomalies!r}")
    found = read_anomalies(anomalies)
    validated_schema.set_int_custom_property("anomaly_count", len(found))
    validated_schema.set_string_custom_property("anomalies", json.dumps([a.as_dict() for a in found]))
    if found:
        if on_anomalies == "fail":
            raise AnomaliesFound(format_anomalies(found))
        logging.warning("%s\n(on_anomalies: warn, the pipeline goes on)", format_anomalies(found))
    fileio.copy(f"{schema.uri}/{SCHEMA_FILE}", f"{validated_schema.uri}/{SCHEMA_FILE}", overwrite=True)
