"""Human-readable lineage and run listings from MLMD (used by ``datalife lineage`` /
``datalife runs``)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from datalife.pipeline import mlmd

__all__ = ["final_artifact", "lineage_text", "lineage_dot", "runs_text", "failure_reason"]


def final_artifact(store, pipeline: Optional[str] = None) -> int:
    """The first output of the last execution of the latest run (of ``pipeline``)."""
    run = mlmd.latest_run(store, pipeline)
    if run is None:
        raise LookupError("the metadata store holds no pipeline run")
    executions = [e for e in mlmd.run_executions(store, run) if e.output_ids]
    if not executions:
        raise LookupError(f"run {run.name!r} has no execution with outputs")
    last = executions[-1]
    return next(iter(last.output_ids.values()))[0]


def lineage_text(store, artifact_id: int) -> str:
    nodes = mlmd.upstream(store, artifact_id)
    lines = [f"upstream lineage of artifact {artifact_id} ({len(nodes)} executions)"]
    for n in sorted(nodes, key=lambda n: n.execution_id):
        lines.append(f"- execution {n.execution_id}: {n.component} [{n.state}]")
        for k, v in sorted(n.properties.items()):
            if k.startswith("__") or v in (None, ""):
                continue
            text = " ".join(str(v).split())  # JSON parameters on one line
            lines.append(f"    param {k} = {text if len(text) <= 4000 else text[:4000] + '...'}")
        for key, aid, type_name, uri in n.inputs:
            lines.append(f"    in  {key}: {type_name} #{aid} {uri}")
        for key, aid, type_name, uri in n.outputs:
            props = mlmd.properties_of(store.get_artifacts_by_id([aid])[0])
            extra = "".join(f" {name}={props[name]}" for name in ("input_fingerprint", "schema_sha256") if name in props)
            lines.append(f"    out {key}: {type_name} #{aid} {uri}{extra}")
    return "\n".join(lines)


def lineage_dot(store, artifact_id: int) -> str:
    nodes = mlmd.upstream(store, artifact_id)
    out = ["digraph lineage {", "  rankdir=LR;"]
    for n in nodes:
        out.append(f'  e{n.execution_id} [shape=box, label="{n.component}\\n#{n.execution_id} {n.state}"];')
        for key, aid, type_name, _ in n.inputs:
            out.append(f'  a{aid} [shape=ellipse, label="{type_name}\\n#{aid}"];')
            out.append(f'  a{aid} -> e{n.execution_id} [label="{key}"];')
        for key, aid, type_name, _ in n.outputs:
            out.append(f'  a{aid} [shape=ellipse, label="{type_name}\\n#{aid}"];')
            out.append(f'  e{n.execution_id} -> a{aid} [label="{key}"];')
    out.append("}")
    return "\n".join(dict.fromkeys(out))  # de-duplicated, order kept


def runs_text(store, pipeline: Optional[str] = None) -> str:
    """Every run (of ``pipeline``, or of every pipeline in the store), oldest first."""
    lines = []
    names = {}
    for ctx in store.get_contexts_by_type("pipeline"):
        for e in store.get_executions_by_context(ctx.id):
            names[e.id] = ctx.name
    for run in mlmd.pipeline_runs(store, pipeline):
        executions = mlmd.run_executions(store, run)
        states = [e.state for e in executions]
        owner = sorted({names.get(e.id, "?") for e in executions})
        lines.append(f"run {run.name} ({', '.join(owner)}): {len(executions)} executions "
                     f"({', '.join(f'{s} {states.count(s)}' for s in sorted(set(states)))})")
        lines += [f"  {e.component}: {e.state} (execution {e.id})" + (f": {failure_reason(store, e.id)}"
                  if e.state == "failed" else "") for e in executions]
    return "\n".join(lines) or "no runs"


def failure_reason(store, execution_id: int, limit: int = 300) -> str:
    """Why an execution failed: the last line of TFX's recorded execution result (the
    exception), or a pointer to the run log when TFX recorded none."""
    import json

    [execution] = store.get_executions_by_id([execution_id])
    raw = execution.custom_properties.get("__execution_result__")
    message = ""
    if raw is not None and raw.string_value:
        try:
            message = json.loads(raw.string_value).get("resultMessage", "")
        except ValueError:
            message = raw.string_value
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "no reason recorded (see run.log in the pipeline's root)"
    text = lines[-1]
    return text if len(text) <= limit else text[:limit] + "..."


def store_of(run_dir: Path, sqlite: Optional[Path] = None):
    return mlmd.open_store(sqlite or Path(run_dir) / "metadata.sqlite")
