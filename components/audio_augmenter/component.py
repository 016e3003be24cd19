"""AudioAugmenter: seeded waveform augmentation (time shift, gain, noise at an SNR,
time stretch, pitch shift) and / or SpecAugment masks on features, on the train split.
Its parameters: ``config``, the JSON of :class:`AudioAugmenterConfig`, and
``input_fingerprint`` (of the noise clips it reads, so changed clips are not served
from the cache; ``executor.input_fingerprint``)."""
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
    input_fingerprint: Parameter[str] = "",
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, augmented_examples, report, config, beam_pipeline)
