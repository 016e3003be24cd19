"""Compile a configured pipeline for an orchestrator that runs it elsewhere:
Kubeflow Pipelines v2 (a pipeline-spec JSON)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from datalife.pipeline.config import PipelineConfig

__all__ = ["compile_kubeflow", "DEFAULT_IMAGE"]

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
