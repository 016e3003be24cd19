"""A Parquet ExampleGen executor that keeps zeros.

TFX 1.16's own ``parquet_executor`` converts rows with ``dict_to_example``, which
tests ``if not value`` and so writes 0, 0.0, False and "" as *missing* values (a
binary label of 0 disappears). This executor converts explicitly: only None and NaN
are missing. Record batches from Beam's ``ReadFromParquetBatched`` are encoded by
``common.codec`` in ``beam_glue.py`` (serialized Examples, no TensorFlow on the workers).
"""
from __future__ import annotations

import os

import apache_beam as beam
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.types import standard_component_specs

from datalife.components.parquet_example_gen.beam_glue import table_to_examples

__all__ = ["Executor"]


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(bytes)
def _ParquetToExample(pipeline: beam.Pipeline, exec_properties: dict, split_pattern: str):
    pattern = os.path.join(exec_properties[standard_component_specs.INPUT_BASE_KEY], split_pattern)
    return (pipeline | "ReadFromParquet" >> beam.io.ReadFromParquetBatched(pattern)
            | "ToTFExamples" >> beam.FlatMap(table_to_examples))


class Executor(BaseExampleGenExecutor):
    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _ParquetToExample
