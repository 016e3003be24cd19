"""PairMaker: contrastive pairs from labeled Examples, a side branch after validation
(it does not feed Transform). Its one parameter, ``config``, is the JSON of
:class:`PairMakerConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.pair_maker import executor

__all__ = ["PairMaker"]


@component(use_beam=True)
def PairMaker(
    examples: InputArtifact[Examples],
    pairs: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, pairs, report, config, beam_pipeline)
