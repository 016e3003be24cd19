"""WeakLabeler: labeling functions applied with Beam, Snorkel's LabelModel fitted on
the label matrix, probabilistic labels written onto the examples.

Parameters are declared once: ``config`` is the JSON of :class:`WeakLabelerConfig`
(validated from the pipeline YAML, with the pipeline seed filled in when the config
gives none); ``lf_module_sha256`` is the LF module's content hash, so editing the LFs
invalidates the cache and shows in the lineage.
"""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport, LabelMatrix
from datalife.components.weak_labeler import executor

__all__ = ["WeakLabeler"]


@component(use_beam=True)
def WeakLabeler(
    examples: InputArtifact[Examples],
    labeled_examples: OutputArtifact[Examples],
    label_matrix: OutputArtifact[LabelMatrix],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    lf_module_sha256: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, labeled_examples, label_matrix, report, config, beam_pipeline)
