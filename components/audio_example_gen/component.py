"""AudioExampleGen: a folder of WAV files -> Examples (audio, sample_rate, label,
source_file). Parameters: ``config`` (the JSON of :class:`AudioExampleGenConfig`) and
``input_fingerprint`` (of the input files, so changed files are not served from cache)."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import BeamComponentParameter, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.audio_example_gen import executor

__all__ = ["AudioExampleGen"]


@component(use_beam=True)
def AudioExampleGen(
    examples: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    input_fingerprint: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, report, config, beam_pipeline)
