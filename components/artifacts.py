"""Artifact types of datalife's custom components (registered in MLMD by TYPE_NAME)."""
from tfx.types.artifact import Artifact

__all__ = ["LabelMatrix", "ComponentReport"]


class LabelMatrix(Artifact):
    """``label_matrix.npz``: L [rows, LFs] (-1 = abstain), keys, splits, LF names."""

    TYPE_NAME = "datalife.LabelMatrix"


class ComponentReport(Artifact):
    """A custom component's ``report.json`` and ``report.html`` (counts, tables, pictures)."""

    TYPE_NAME = "datalife.ComponentReport"
