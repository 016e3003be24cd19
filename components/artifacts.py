"""Artifact types of datalife's custom components (registered in MLMD by TYPE_NAME)."""
from tfx.types.artifact import Artifact

__all__ = ["LabelMatrix", "ComponentReport", "LabelingBatch", "GoldLabels"]


class LabelMatrix(Artifact):
    """``vote_patterns.npz``: per split the distinct LF vote patterns (-1 = abstain) and
    their counts (gold on the dev split), LF and class names; each example's own votes
    are its ``lf_votes`` feature."""

    TYPE_NAME = "datalife.LabelMatrix"


class ComponentReport(Artifact):
    """A custom component's ``report.json`` and ``report.html`` (counts, tables, pictures)."""

    TYPE_NAME = "datalife.ComponentReport"


class LabelingBatch(Artifact):
    """A batch for people to label: ``batch.csv`` / ``batch.json`` (rank, key, score,
    reason per example) and ``tasks.json`` (Label Studio's import format)."""

    TYPE_NAME = "datalife.LabelingBatch"


class GoldLabels(Artifact):
    """Labels people gave, with provenance: ``gold.csv`` (key, label, label_source,
    annotator, annotated_at, task id, round) and the merged ``labels.csv``."""

    TYPE_NAME = "datalife.GoldLabels"
