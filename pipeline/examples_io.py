"""Read the tf.train.Examples of an Examples artifact's split (for the Python API, tests,
notebooks and reports), decoded by ``common.codec`` (no TensorFlow).

- :func:`read_dataframe`: a pandas DataFrame, one column per feature, plain values;
- :func:`read_examples`: a list of ``{feature: list of values}`` (bytes stay bytes).
"""
from __future__ import annotations

from datalife.common.codec import Columns, to_dataframe

__all__ = ["split_files", "read_examples", "read_dataframe"]

BATCH = 1000


def split_files(artifact_uri: str, split: str) -> list[str]:
    from tfx.dsl.io import fileio

    files = sorted(fileio.glob(f"{artifact_uri}/Split-{split}/*"))
    if not files:
        raise FileNotFoundError(f"{artifact_uri}: no files for split {split!r}")
    return files


def _records(artifact_uri: str, split: str) -> list[bytes]:
    from datalife.components.examples_beam import split_records

    split_files(artifact_uri, split)  # a clear error for a split with no files
    return list(split_records(artifact_uri, split))


def read_examples(artifact_uri: str, split: str) -> list[dict]:
    """Every example of one split as {feature: list of values} (features an example
    lacks are left out; bytes stay bytes)."""
    records, rows = _records(artifact_uri, split), []
    for i in range(0, len(records), BATCH):
        cols = Columns(records[i:i + BATCH])
        values = {name: cols.values(name) for name in cols}
        for j in range(cols.num_rows):
            rows.append({name: v[j] for name, v in values.items() if v[j] is not None})
    return rows


def read_dataframe(artifact_uri: str, split: str):
    """Every example of one split as a pandas DataFrame (see ``common.codec.to_dataframe``)."""
    import pandas as pd

    records = _records(artifact_uri, split)
    if not records:
        return pd.DataFrame()
    return pd.concat([to_dataframe(records[i:i + BATCH]) for i in range(0, len(records), BATCH)],
                     ignore_index=True)
