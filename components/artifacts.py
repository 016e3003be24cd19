"""Artifact types of datalife's custom components (registered in MLMD by TYPE_NAME)."""
from tfx.types.artifact import Artifact

__all__ = ["LabelMatrix", "ComponentReport"]


class LabelMatrix(Artifact):
    """``vote_patterns.npz``: per split the distinct LF vote patterns (-1 = abstain) and
    their counts (gold on the dev split), LF and class names; each example's own votes
    are its ``lf_votes`` feature."""

    TYPE_NAME = "datalife.LabelMatrix"


class ComponentReport(Artifact):
    """A custom component's ``report.json`` and ``report.html`` (counts, tables, pictures)."""

    TYPE_NAME = "datalife.ComponentReport"
