"""The names of TFX's public ``tfx.v1`` API that datalife uses, imported from the modules
that define them. ``from tfx import v1`` also imports every extension (Google Cloud,
AI Platform) and orchestrator TFX ships, which a local run never uses: measured on this
machine, ``from tfx import v1`` takes 1.4x the time of the modules below
(``python -m benchmarks bench_cli_start``). The objects are the same ones ``tfx.v1``
exports (``tests/test_build.py`` checks each against it)."""
from __future__ import annotations

from types import SimpleNamespace

from tfx.components import (CsvExampleGen, ExampleValidator, FileBasedExampleGen, ImportExampleGen, SchemaGen,
                            StatisticsGen, Transform)
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen
from tfx.dsl.components.common.importer import Importer
from tfx.orchestration.local.local_dag_runner import LocalDagRunner
from tfx.orchestration.pipeline import Pipeline
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts

__all__ = ["components", "dsl", "proto", "types", "orchestration", "FileBasedExampleGen"]

components = SimpleNamespace(CsvExampleGen=CsvExampleGen, ExampleValidator=ExampleValidator,
                             ImportExampleGen=ImportExampleGen, ImportSchemaGen=ImportSchemaGen, SchemaGen=SchemaGen,
                             StatisticsGen=StatisticsGen, Transform=Transform)
dsl = SimpleNamespace(Pipeline=Pipeline, Importer=Importer)
proto = SimpleNamespace(Input=example_gen_pb2.Input, Output=example_gen_pb2.Output,
                        SplitConfig=example_gen_pb2.SplitConfig)
types = SimpleNamespace(standard_artifacts=standard_artifacts)
orchestration = SimpleNamespace(LocalDagRunner=LocalDagRunner)
