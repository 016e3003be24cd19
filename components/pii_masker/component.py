"""PiiMasker: e-mail addresses, URLs, phone, credit-card and IBAN numbers and names in
text fields replaced by typed placeholders or a keyed hash, before anything downstream
(statistics, labelers) sees them. Its one parameter, ``config``, is the JSON of
:class:`PiiMaskerConfig`."""
import apache_beam as beam
from tfx.dsl.component.experimental.annotations import (BeamComponentParameter, InputArtifact,
                                                         OutputArtifact, Parameter)
from tfx.dsl.component.experimental.decorators import component
from tfx.types.standard_artifacts import Examples

from datalife.components.artifacts import ComponentReport
from datalife.components.pii_masker import executor

__all__ = ["PiiMasker"]


@component(use_beam=True)
def PiiMasker(
    examples: InputArtifact[Examples],
    masked_examples: OutputArtifact[Examples],
    report: OutputArtifact[ComponentReport],
    config: Parameter[str],
    beam_pipeline: BeamComponentParameter[beam.Pipeline] = None,
):
    executor.run(examples, masked_examples, report, config, beam_pipeline)
