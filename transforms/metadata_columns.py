"""Metadata columns that ride through Transform unchanged, so that originals can be told
from augmented copies, and every example from its source and label provenance, after
Transform as before it: ``augment/*`` (the augmenters' copy number and drawn ops),
``source_file``, ``label_source`` (gold / weak / end_model / propagated / human), the
provenance of merged labels (``label_sources``, ``annotator``, ``annotated_at``) and
``split_source``. They are copied as they are (a feature missing in some examples stays
sparse), never analyzed, and never overwrite a feature the preprocessing made."""
from __future__ import annotations

__all__ = ["METADATA_PREFIXES", "METADATA_NAMES", "is_metadata", "pass_metadata"]

METADATA_PREFIXES = ("augment/",)
METADATA_NAMES = ("source_file", "label_source", "label_sources", "annotator", "annotated_at", "split_source")


def is_metadata(name: str) -> bool:
    return name in METADATA_NAMES or name.startswith(METADATA_PREFIXES)


def pass_metadata(inputs, outputs: dict) -> dict:
    """``outputs`` plus every metadata column of ``inputs`` it does not already hold."""
    for name, value in inputs.items():
        if is_metadata(name) and name not in outputs:
            outputs[name] = value
    return outputs
