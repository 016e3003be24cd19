"""LabelUnifier: annotation sources in many formats -> one canonical Examples artifact.
Its parameters: ``config`` (the JSON of :class:`LabelUnifierConfig`) and
``input_fingerprint`` (of the input files, so changed files are not served from cache)."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import BeamComponentParameter, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.label_unifier import executor

__all__ = ["LabelUnifier"]


@component(use_beam=True)
def LabelUnifier(
    examples: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    input_fingerprint: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, report, config, beam_pipeline)
