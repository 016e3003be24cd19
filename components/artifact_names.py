"""Unique MLMD artifact names on TFX's legacy launcher (Airflow, InteractiveContext).

TFX 1.16's ``BaseDriver`` names every output artifact ``<output key>:<run id>``, and MLMD
requires names to be unique per artifact type. Two components of one run with an output
of the same key and type (every datalife component has a ``report`` ComponentReport)
then fail on the second with ``AlreadyExistsError: Given node already exists``. The
pipeline runners (LocalDagRunner, Beam, Kubeflow v2) name artifacts otherwise and are
not affected. :func:`install` makes the legacy name ``<component id>.<key>:<run id>``
(as ``arrow_example_gen.component.Driver`` does for its own outputs); it is idempotent.
"""
from __future__ import annotations

__all__ = ["install"]


def install() -> None:
    from tfx.dsl.components.base import base_driver

    original = base_driver.BaseDriver._prepare_output_artifacts  # pylint: disable=protected-access
    if getattr(original, "_datalife_unique_names", False):
        return

    def prepare(self, input_artifacts, output_dict, exec_properties, execution_id, pipeline_info, component_info):
        result = original(self, input_artifacts, output_dict, exec_properties, execution_id, pipeline_info,
                          component_info)
        prefix = f"{component_info.component_id}."
        for key, artifacts in result.items():
            for artifact in artifacts:
                if not artifact.name.startswith(prefix):
                    artifact.name = f"{prefix}{key}:{pipeline_info.run_id}"
        return result

    prepare._datalife_unique_names = True
    base_driver.BaseDriver._prepare_output_artifacts = prepare  # pylint: disable=protected-access
