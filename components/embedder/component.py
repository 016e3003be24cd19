"""Embedder: adds a fixed-length embedding (image: EfficientNet-Lite0, audio: log-mel
statistics, text: hashed TF-IDF + SVD) to every example. Its one parameter, ``config``,
is the JSON of :class:`EmbedderConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.embedder import executor

__all__ = ["Embedder"]


@component(use_beam=True)
def Embedder(
    examples: InputArtifact[Examples],
    embedded_examples: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, embedded_examples, report, config, beam_pipeline)
