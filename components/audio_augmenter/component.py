"""AudioAugmenter: seeded waveform augmentation (time shift, gain, noise at an SNR,
time stretch, pitch shift) and / or SpecAugment masks on features, on the train split.
Its one parameter, ``config``, is the JSON of :class:`AudioAugmenterConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.audio_augmenter import executor

__all__ = ["AudioAugmenter"]


@component(use_beam=True)
def AudioAugmenter(
    examples: InputArtifact[Examples],
    augmented_examples: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, augmented_examples, report, config, beam_pipeline)
