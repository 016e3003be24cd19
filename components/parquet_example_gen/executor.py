"""A Parquet ExampleGen executor that keeps zeros.

TFX 1.16's own ``parquet_executor`` converts rows with ``dict_to_example``, which
tests ``if not value`` and so writes 0, 0.0, False and "" as *missing* values (a
binary label of 0 disappears). This executor converts explicitly: only None and NaN
are missing.
"""
from __future__ import annotations

import math
import os
from typing import Any

import apache_beam as beam
import numpy as np
import tensorflow as tf
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.types import standard_component_specs

__all__ = ["Executor", "row_to_example"]


def _feature(column: str, value: Any) -> tf.train.Feature:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    elif hasattr(value, "item") and not isinstance(value, (list, str, bytes)):
        value = value.item()
    values = value if isinstance(value, list) else [value]
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return tf.train.Feature()
    first = values[0]
    if isinstance(first, (bool, int)):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))
    if isinstance(first, float):
        return tf.train.Feature(float_list=tf.train.FloatList(value=values))
    if isinstance(first, (str, bytes)):
        return tf.train.Feature(bytes_list=tf.train.BytesList(
            value=[v.encode("utf-8") if isinstance(v, str) else v for v in values]))
    raise TypeError(f"Parquet column {column!r}: values of type {type(first).__name__} are not supported")


def row_to_example(row: dict) -> tf.train.Example:
    return tf.train.Example(features=tf.train.Features(feature={k: _feature(k, v) for k, v in row.items()}))


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def _ParquetToExample(pipeline: beam.Pipeline, exec_properties: dict, split_pattern: str):
    pattern = os.path.join(exec_properties[standard_component_specs.INPUT_BASE_KEY], split_pattern)
    return (pipeline | "ReadFromParquet" >> beam.io.ReadFromParquet(pattern)
            | "ToTFExample" >> beam.Map(row_to_example))


class Executor(BaseExampleGenExecutor):
    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _ParquetToExample
