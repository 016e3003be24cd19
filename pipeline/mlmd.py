"""Questions asked of ML Metadata: which runs, which executions, where outputs live,
and the upstream lineage of an artifact, found by walking MLMD events.

The store is SQLite (a file per pipeline by default), MySQL / MariaDB or PostgreSQL
(a store shared by a team); :func:`connection_config` builds the connection from the
config's ``metadata`` section and :func:`open_store` opens any of them."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

__all__ = [
    "open_store",
    "connection_config",
    "store_description",
    "ExecutionInfo",
    "pipeline_runs",
    "run_context",
    "latest_run",
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


def _password(env_name: Optional[str]) -> str:
    return os.environ.get(env_name, "") if env_name else ""


def connection_config(cfg, readonly: bool = False) -> metadata_store_pb2.ConnectionConfig:
    """The MLMD connection of a :class:`~datalife.pipeline.config.PipelineConfig`:
    ``metadata.mysql`` (MySQL or MariaDB), ``metadata.postgresql``, else SQLite at
    ``metadata.sqlite`` or ``<root>/metadata.sqlite``. Passwords come from the
    environment variable the config names, never from the file."""
    meta, config = cfg.metadata, metadata_store_pb2.ConnectionConfig()
    if meta.mysql is not None:
        m = meta.mysql
        config.mysql.host, config.mysql.port, config.mysql.database = m.host, m.port, m.database
        config.mysql.user, config.mysql.password = m.user, _password(m.password_env)
    elif meta.postgresql is not None:
        p = meta.postgresql
        config.postgresql.host, config.postgresql.port, config.postgresql.dbname = p.host, str(p.port), p.database
        config.postgresql.user, config.postgresql.password = p.user, _password(p.password_env)
    else:
        config.sqlite.filename_uri = str(cfg.metadata_path)
        config.sqlite.connection_mode = (metadata_store_pb2.SqliteMetadataSourceConfig.READONLY if readonly else
                                         metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE)
    return config


def store_description(cfg) -> str:
    """Where a config's store is, for people (no password)."""
    meta = cfg.metadata
    if meta.mysql is not None:
        return f"mysql://{meta.mysql.user}@{meta.mysql.host}:{meta.mysql.port}/{meta.mysql.database}"
    if meta.postgresql is not None:
        p = meta.postgresql
        return f"postgresql://{p.user}@{p.host}:{p.port}/{p.database}"
    return str(cfg.metadata_path)


def _connect(config: metadata_store_pb2.ConnectionConfig, attempts: int = 40) -> metadata_store.MetadataStore:
    """Connect, waiting while another process creates the store's tables: two pipelines
    started at once on an empty shared database (MySQL, PostgreSQL) both try to create
    it, and MLMD tells the loser to retry ("MLMDEnv table exists but no schema_version"; on
    MySQL also "Deadlock found ...; try restarting transaction")."""
    import time

    for attempt in range(attempts):
        try:
            return metadata_store.MetadataStore(config)
        except RuntimeError as exc:
            said = str(exc).lower()  # MySQL may also answer a deadlock: "try restarting transaction"
            racing = ("retry", "restarting transaction", "already exists")  # PostgreSQL: both create the database
            if not any(w in said for w in racing) or attempt == attempts - 1:
                raise
            time.sleep(0.25 * (1 + attempt % 4))
    raise AssertionError("unreachable")


def open_store(target: Union[Path, str, metadata_store_pb2.ConnectionConfig]) -> metadata_store.MetadataStore:
    """A store from a SQLite file (opened read-only; it must exist) or a connection config."""
    if isinstance(target, metadata_store_pb2.ConnectionConfig):
        return _connect(target)
    if not Path(target).is_file():
        raise FileNotFoundError(f"{target}: no metadata store here (has the pipeline run?)")
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(target)
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


def pipeline_runs(store, pipeline: Optional[str] = None) -> list[metadata_store_pb2.Context]:
    """The run contexts, oldest first (``pipeline_run``; ``run`` from the Airflow
    orchestrator); with ``pipeline``, only the runs of that pipeline (a shared store
    holds the runs of many)."""
    runs = store.get_contexts_by_type("pipeline_run") + store.get_contexts_by_type("run")
    if pipeline is not None:
        ctx = store.get_context_by_type_and_name("pipeline", pipeline)
        ours = {e.id for e in store.get_executions_by_context(ctx.id)} if ctx is not None else set()
        runs = [r for r in runs if any(e.id in ours for e in store.get_executions_by_context(r.id))]
    return sorted(runs, key=lambda c: (c.create_time_since_epoch, c.id))


def run_context(store, run_id: str) -> Optional[metadata_store_pb2.Context]:
    """The context of the run with this id (``pipeline_run`` or Airflow's ``run``)."""
    for type_name in ("pipeline_run", "run"):
        ctx = store.get_context_by_type_and_name(type_name, run_id)
        if ctx is not None:
            return ctx
    return None


def run_executions(store, run_context) -> list[ExecutionInfo]:
    """The executions of one run in the order they were made, with their outputs."""
    infos = []
    for execution in sorted(store.get_executions_by_context(run_context.id), key=lambda e: e.id):
        state = STATE_NAMES.get(execution.last_known_state, "unknown")
        if "abandoned" in execution.custom_properties:  # a killed run's execution (pipeline.run_guard)
            state = "abandoned"
        info = ExecutionInfo(execution.id, _component_of(store, execution), state)
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


def latest_run(store, pipeline: Optional[str] = None) -> Optional[metadata_store_pb2.Context]:
    runs = pipeline_runs(store, pipeline)
    return runs[-1] if runs else None
