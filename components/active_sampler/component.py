"""ActiveSampler: the examples a person should label next, ranked, with the strategy's
score and reason per example (a side branch after the ValidationGate: it does not
feed Transform).

``config`` is the JSON of :class:`ActiveSamplerConfig` (the pipeline seed written in
when the config gives none)."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.active_sampler import executor
from datalife.components.artifacts import ComponentReport, LabelingBatch

__all__ = ["ActiveSampler"]


@component(use_beam=True)
def ActiveSampler(
    examples: InputArtifact[Examples],
    selected_examples: OutputArtifact[Examples],
    labeling_batch: OutputArtifact[LabelingBatch],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, selected_examples, labeling_batch, report, config, beam_pipeline)
