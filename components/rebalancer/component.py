"""Rebalancer: class rebalancing of the train split of an Examples artifact (random
over- and undersampling, SMOTE, or a ``sample_weight`` feature); other splits pass
through unchanged. Its one parameter, ``config``, is the JSON of :class:`RebalancerConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.rebalancer import executor

__all__ = ["Rebalancer"]


@component(use_beam=True)
def Rebalancer(
    examples: InputArtifact[Examples],
    rebalanced_examples: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, rebalanced_examples, report, config, beam_pipeline)
