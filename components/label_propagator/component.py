"""LabelPropagator: label spreading over a kNN graph of numeric features or an
embedding; writes the propagated label, its probabilities, confidence and source onto
every example. Its one parameter, ``config``, is the JSON of :class:`LabelPropagatorConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.label_propagator import executor

__all__ = ["LabelPropagator"]


@component(use_beam=True)
def LabelPropagator(
    examples: InputArtifact[Examples],
    labeled_examples: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, labeled_examples, report, config, beam_pipeline)
