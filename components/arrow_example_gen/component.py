"""ArrowExampleGen: TFX's FileBasedExampleGen with the Arrow executor and a report.

The component class is a ``FileBasedExampleGen`` (TFX's file driver resolves
``{SPAN}`` / ``{VERSION}`` / date patterns, range configs and the input fingerprint, so
caching and span lineage work as for CsvExampleGen); it adds one parameter, ``config``
(the JSON of :class:`ArrowExampleGenConfig`), and one output, ``report``
(``report.json``, ``quarantine.jsonl``, ``report.html``).
"""
from __future__ import annotations

from typing import Optional

from tfx import types
from tfx.components.example_gen import driver, utils
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import base_beam_component, base_driver, executor_spec
from tfx.proto import example_gen_pb2, range_config_pb2
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from datalife.components.arrow_example_gen.executor import CONFIG_KEY, REPORT_KEY, Executor
from datalife.components.artifacts import ComponentReport

__all__ = ["ArrowExampleGen", "ArrowExampleGenSpec", "Driver"]


class ArrowExampleGenSpec(types.ComponentSpec):
    PARAMETERS = {**standard_component_specs.FileBasedExampleGenSpec.PARAMETERS,
                  CONFIG_KEY: ExecutionParameter(type=str)}
    INPUTS = {}
    OUTPUTS = {standard_component_specs.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
               REPORT_KEY: ChannelParameter(type=ComponentReport)}


class Driver(driver.FileBasedDriver):
    """TFX's file driver; on the legacy launcher (Airflow, InteractiveContext) it also
    prepares ``report``, named after the component so it cannot clash with another
    component's ``report`` in MLMD."""

    def _prepare_output_artifacts(self, input_artifacts, output_dict, exec_properties, execution_id,
                                  pipeline_info, component_info):
        others = {k: v for k, v in output_dict.items() if k != standard_component_specs.EXAMPLES_KEY}
        result = base_driver.BaseDriver._prepare_output_artifacts(  # pylint: disable=protected-access
            self, input_artifacts, others, exec_properties, execution_id, pipeline_info, component_info)
        for key, artifacts in result.items():  # MLMD names must be unique per type: other
            for artifact in artifacts:           # components have a "report" output too
                artifact.name = f"{component_info.component_id}.{key}:{pipeline_info.run_id}"
        result.update(super()._prepare_output_artifacts(input_artifacts, output_dict, exec_properties, execution_id,
                                                         pipeline_info, component_info))
        return result


class ArrowExampleGen(FileBasedExampleGen):
    """CSV or JSON lines -> Examples with pyarrow and tfx_bsl's encoder (see README.md)."""

    SPEC_CLASS = ArrowExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)
    DRIVER_CLASS = Driver

    def __init__(self, input_base: str, config: str = "{}",
                 input_config: Optional[example_gen_pb2.Input] = None,
                 output_config: Optional[example_gen_pb2.Output] = None,
                 range_config: Optional[range_config_pb2.RangeConfig] = None):
        input_config = input_config or utils.make_default_input_config()
        output_config = output_config or utils.make_default_output_config(input_config)
        spec = ArrowExampleGenSpec(
            input_base=input_base, input_config=input_config, output_config=output_config,
            range_config=range_config, output_data_format=example_gen_pb2.FORMAT_TF_EXAMPLE,
            output_file_format=example_gen_pb2.FORMAT_TFRECORDS_GZIP, config=config,
            examples=types.Channel(type=standard_artifacts.Examples), report=types.Channel(type=ComponentReport))
        base_beam_component.BaseBeamComponent.__init__(self, spec=spec)
