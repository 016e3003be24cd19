"""Compile a configured pipeline for an orchestrator that runs it elsewhere:
Kubeflow Pipelines v2 (a pipeline-spec JSON)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from datalife.pipeline.config import PipelineConfig

__all__ = ["compile_kubeflow", "compile_airflow", "DEFAULT_IMAGE", "AIRFLOW_IMPORT_TIMEOUT"]

AIRFLOW_IMPORT_TIMEOUT = 600  # seconds; the DAG file says so, the README and the Airflow test use it

AIRFLOW_DAG = '''"""Airflow DAG of the datalife pipeline {name!r}, written by `datalife compile airflow`.

It builds the pipeline from the config below with TFX's AirflowDagRunner. Importing TFX
takes longer than Airflow's default 30 s DAG import timeout: run Airflow with
AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT={timeout} and AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT={timeout}.
"""
import datetime
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tfx.orchestration.airflow.airflow_dag_runner import AirflowDagRunner, AirflowPipelineConfig

from datalife.pipeline.build import build_pipeline
from datalife.pipeline.config import load_config

CONFIG = {config!r}

DAG = AirflowDagRunner(AirflowPipelineConfig({{
    "schedule_interval": None,
    "start_date": datetime.datetime(2024, 1, 1),
}})).run(build_pipeline(load_config(CONFIG)))
'''


def compile_airflow(config_path: Path, output: Path) -> Path:
    """Write an Airflow DAG file that builds the pipeline of ``config_path`` (validated now,
    and again when Airflow imports the DAG)."""
    from datalife.pipeline.config import load_config

    cfg = load_config(config_path)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(AIRFLOW_DAG.format(name=cfg.name, config=str(Path(config_path).resolve()),
                                         timeout=AIRFLOW_IMPORT_TIMEOUT))
    return output

DEFAULT_IMAGE = "datalife:latest"


def compile_kubeflow(cfg: PipelineConfig, output: Path, image: str = DEFAULT_IMAGE,
                     pipeline_root: Optional[str] = None) -> Path:
    """Write the KFP v2 pipeline spec JSON for ``cfg``; every component runs in ``image``
    (an image with datalife installed, see README "Kubeflow Pipelines")."""
    from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner as kfv2

    from datalife.pipeline.build import build_pipeline

    if pipeline_root:
        cfg = cfg.model_copy(update={"root": pipeline_root})
    pipeline = build_pipeline(cfg, with_metadata=False)
    if pipeline_root:
        pipeline.pipeline_info.pipeline_root = pipeline_root  # remote roots (gs://...) stay as given
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    runner = kfv2.KubeflowV2DagRunner(config=kfv2.KubeflowV2DagRunnerConfig(default_image=image),
                                      output_dir=str(output.parent), output_filename=output.name)
    runner.run(pipeline)
    return output
