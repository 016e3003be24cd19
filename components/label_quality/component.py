"""LabelQuality: a side branch on validated examples that ranks likely label errors
(cleanlab on cross-validated probabilities) into ``review.csv`` and a report. Its one
parameter, ``config``, is the JSON of :class:`LabelQualityConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.label_quality import executor

__all__ = ["LabelQuality"]


@component(use_beam=True)
def LabelQuality(
    examples: InputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, report, config, beam_pipeline)
