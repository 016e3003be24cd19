"""ValidationGate: stop the pipeline when ExampleValidator found anomalies, or (with a
drift config) when the examples drifted from a baseline (the previous span) or skewed
from serving data.

It sits between ExampleValidator and Transform: Transform takes its schema from the
gate's ``validated_schema`` output, so Transform only runs once the gate passed, and
the lineage of Transform's output runs through ExampleValidator (and the baseline).
Parameters: ``on_anomalies`` (``fail`` or ``warn``) and ``drift`` (the JSON of
:class:`~datalife.components.validation_gate.spec.DriftConfig`, empty: no check).
"""
from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import ExampleAnomalies, Examples, ExampleStatistics, Schema

from datalife.components.artifacts import ComponentReport
from datalife.components.validation_gate import executor
from datalife.components.validation_gate.executor import AnomaliesFound

__all__ = ["ValidationGate", "AnomaliesFound"]


@component
def ValidationGate(
    anomalies: InputArtifact[ExampleAnomalies],
    schema: InputArtifact[Schema],
    validated_schema: OutputArtifact[Schema],
    report: OutputArtifact[ComponentReport],
    examples: InputArtifact[Examples] = None,
    baseline_examples: InputArtifact[Examples] = None,
    statistics: InputArtifact[ExampleStatistics] = None,
    on_anomalies: Parameter[str] = "fail",
    drift: Parameter[str] = "",
    environment: Parameter[str] = "",
):
    executor.run(anomalies, schema, validated_schema, report, on_anomalies, drift,
                 examples, baseline_examples, statistics, environment)
