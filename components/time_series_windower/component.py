"""TimeSeriesWindower: rows (reshuffled by ExampleGen) -> ordered, gap-aware windows,
split by time. Its one parameter, ``config``, is the JSON of :class:`WindowerConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.time_series_windower import executor

__all__ = ["TimeSeriesWindower"]


@component(use_beam=True)
def TimeSeriesWindower(
    examples: InputArtifact[Examples],
    windows: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, windows, report, config, beam_pipeline)
