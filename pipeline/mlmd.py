"""Questions asked of ML Metadata: which runs, which executions, where outputs live,
and the upstream lineage of an artifact, found by walking MLMD events."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

__all__ = [
    "open_store",
    "ExecutionInfo",
    "pipeline_runs",
    "run_executions",
    "upstream",
    "STATE_NAMES",
    "properties_of",
]

STATE_NAMES = {
    metadata_store_pb2.Execution.UNKNOWN: "unknown",
    metadata_store_pb2.Execution.NEW: "new",
    metadata_store_pb2.Execution.RUNNING: "running",
    metadata_store_pb2.Execution.COMPLETE: "complete",
    metadata_store_pb2.Execution.FAILED: "failed",
    metadata_store_pb2.Execution.CACHED: "cached",
    metadata_store_pb2.Execution.CANCELED: "canceled",
}


def open_store(sqlite_path: Path) -> metadata_store.MetadataStore:
    if not Path(sqlite_path).is_file():
        raise FileNotFoundError(f"{sqlite_path}: no metadata store here (has the pipeline run?)")
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(sqlite_path)
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


@dataclass
class ExecutionInfo:
    id: int
    component: str
    state: str
    outputs: dict[str, list[str]] = field(default_factory=dict)  # output key -> artifact URIs
    output_ids: dict[str, list[int]] = field(default_factory=dict)


def _component_of(store, execution) -> str:
    for ctx in store.get_contexts_by_execution(execution.id):
        ctx_type = store.get_context_types_by_id([ctx.type_id])[0].name
        if ctx_type in ("node", "component_run"):  # component_run: the Airflow orchestrator's
            return ctx.name.rsplit(".", 1)[-1]
    return store.get_execution_types_by_id([execution.type_id])[0].name.rsplit(".", 1)[-1]


def _event_key(event) -> str:
    for step in event.path.steps:
        if step.HasField("key"):
            return step.key
    return "?"


def pipeline_runs(store) -> list[metadata_store_pb2.Context]:
    """The run contexts, oldest first (``pipeline_run``; ``run`` from the Airflow orchestrator)."""
    runs = store.get_contexts_by_type("pipeline_run") + store.get_contexts_by_type("run")
    return sorted(runs, key=lambda c: (c.create_time_since_epoch, c.id))


def run_executions(store, run_context) -> list[ExecutionInfo]:
    """The executions of one run in the order they were made, with their outputs."""
    infos = []
    for execution in sorted(store.get_executions_by_context(run_context.id), key=lambda e: e.id):
        info = ExecutionInfo(execution.id, _component_of(store, execution),
                             STATE_NAMES.get(execution.last_known_state, "unknown"))
        events = store.get_events_by_execution_ids([execution.id])
        outputs = [e for e in events if e.type == metadata_store_pb2.Event.OUTPUT]
        artifacts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in outputs])}
        for event in outputs:
            key = _event_key(event)
            info.outputs.setdefault(key, []).append(artifacts[event.artifact_id].uri)
            info.output_ids.setdefault(key, []).append(event.artifact_id)
        infos.append(info)
    return infos


@dataclass
class LineageNode:
    execution_id: int
    component: str
    state: str
    properties: dict
    inputs: list[tuple[str, int, str, str]]  # (key, artifact id, type, uri)
    outputs: list[tuple[str, int, str, str]]


def properties_of(node) -> dict:
    """An execution's or artifact's properties and custom properties as plain values."""
    out = {}
    for source in (node.properties, node.custom_properties):
        for name, value in source.items():
            kind = value.WhichOneof("value")
            out[name] = getattr(value, kind) if kind else None
    return out


def upstream(store, artifact_id: int) -> list[LineageNode]:
    """Every execution upstream of an artifact, by walking OUTPUT then INPUT events."""
    seen_exec, seen_art, order = set(), set(), []
    frontier = [artifact_id]
    type_names = {}

    def type_name(artifact):
        if artifact.type_id not in type_names:
            type_names[artifact.type_id] = store.get_artifact_types_by_id([artifact.type_id])[0].name
        return type_names[artifact.type_id]

    while frontier:
        art = frontier.pop()
        if art in seen_art:
            continue
        seen_art.add(art)
        producer_ids = sorted({e.execution_id for e in store.get_events_by_artifact_ids([art])
                               if e.type in (metadata_store_pb2.Event.OUTPUT,
                                             metadata_store_pb2.Event.DECLARED_OUTPUT)})
        producers = store.get_executions_by_id(producer_ids)
        # a cached execution re-publishes the artifact it reused: the artifact's origin is
        # the execution that made it, so cached re-runs leave the lineage unchanged
        made = [e for e in producers if e.last_known_state != metadata_store_pb2.Execution.CACHED]
        for execution in made or producers:
            if execution.id in seen_exec:
                continue
            seen_exec.add(execution.id)
            events = store.get_events_by_execution_ids([execution.id])
            arts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
            node = LineageNode(execution.id, _component_of(store, execution),
                               STATE_NAMES.get(execution.last_known_state, "unknown"), properties_of(execution), [], [])
            for e in events:
                a = arts[e.artifact_id]
                row = (_event_key(e), a.id, type_name(a), a.uri)
                if e.type == metadata_store_pb2.Event.INPUT:
                    node.inputs.append(row)
                    frontier.append(a.id)
                elif e.type == metadata_store_pb2.Event.OUTPUT:
                    node.outputs.append(row)
            order.append(node)
    return order


def latest_run(store) -> Optional[metadata_store_pb2.Context]:
    runs = pipeline_runs(store)
    return runs[-1] if runs else None
