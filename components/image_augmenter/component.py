"""ImageAugmenter: seeded, box-aware augmentation of the train split of an image
Examples artifact. Its one parameter, ``config``, is the JSON of :class:`AugmenterConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.image_augmenter import executor

__all__ = ["ImageAugmenter"]


@component(use_beam=True)
def ImageAugmenter(
    examples: InputArtifact[Examples],
    augmented_examples: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, augmented_examples, report, config, beam_pipeline)
