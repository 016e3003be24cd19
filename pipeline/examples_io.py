"""Read the tf.train.Examples of an Examples artifact's split into plain Python rows
(for tests, notebooks and reports; pipelines read through TFX's own I/O)."""
from __future__ import annotations

from pathlib import Path

__all__ = ["split_files", "read_examples"]


def split_files(artifact_uri: str, split: str) -> list[str]:
    import tensorflow as tf

    files = sorted(tf.io.gfile.glob(f"{artifact_uri}/Split-{split}/*"))
    if not files:
        raise FileNotFoundError(f"{artifact_uri}: no files for split {split!r}")
    return files


def _value(feature):
    kind = feature.WhichOneof("kind")
    if kind is None:
        return []
    return list(getattr(feature, kind).value)


def read_examples(artifact_uri: str, split: str) -> list[dict]:
    """Every example of one split as {feature: list of values} (bytes stay bytes)."""
    import tensorflow as tf

    rows = []
    for path in split_files(artifact_uri, split):
        compression = "GZIP" if Path(path).suffix == ".gz" else ""
        for raw in tf.data.TFRecordDataset(path, compression_type=compression):
            example = tf.train.Example.FromString(raw.numpy())
            rows.append({k: _value(v) for k, v in example.features.feature.items()})
    return rows
