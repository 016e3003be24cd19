"""Beam glue of the Parquet ExampleGen: Parquet rows -> serialized tf.train.Examples
(``common.codec``), keeping 0, 0.0, False and "" (only None and NaN are missing).
Imports neither TensorFlow nor TFX."""
from __future__ import annotations

import math
from typing import Any, Optional

from datalife.common.codec import encode_rows, kind_of

__all__ = ["row_to_example", "table_to_examples"]


def _values(column: str, value: Any) -> Optional[list]:
    """One cell as a list of values; None when missing (None, NaN, or nothing left)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    values = value if isinstance(value, list) else [value]
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if values and not isinstance(values[0], (bool, int, float, str, bytes)):
        raise TypeError(f"Parquet column {column!r}: values of type {type(values[0]).__name__} are not supported")
    if values and isinstance(values[0], float):
        values = [float(v) for v in values]
    return values or None


def _encode(cells: list[dict], names: list[str]) -> list[bytes]:
    # a missing value is a feature with no values, as TFX's ExampleGens write it
    kinds = {k: kind_of(next((c[k] for c in cells if c[k]), None)) or "bytes" for k in names}
    return encode_rows(cells, kinds, missing="empty")


def row_to_example(row: dict) -> bytes:
    """One Parquet row -> a serialized tf.train.Example (missing values have no values)."""
    return _encode([{k: _values(k, v) for k, v in row.items()}], list(row))[0]


def table_to_examples(table) -> list[bytes]:
    """A pyarrow Table (a batch of Parquet rows) -> serialized tf.train.Examples."""
    return _encode([{k: _values(k, v) for k, v in row.items()} for row in table.to_pylist()], table.column_names)
