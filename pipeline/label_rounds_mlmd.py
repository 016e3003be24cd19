"""Labeling rounds in ML Metadata: each round is two executions in a context of type
``labeling_round`` named ``labeling-round-<n>`` (not a ``pipeline_run``: the latest
pipeline run, its report and lineage stay the pipeline's), also in the context
``labeling`` of type ``pipeline``:

    source Examples / file (+ the gold labels so far) -> LabelSelection -> LabelingBatch
    LabelingBatch + LabelStudioExport -> LabelImport -> GoldLabels

so ``datalife lineage`` (and ``datalife runs``) show which labels came from which
round, which batch they answer, and (for a batch selected from a pipeline run, in
that run's store) the pipeline's executions upstream of it
(``datalife lineage <store> <gold labels artifact id>``)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional, Sequence

from ml_metadata.proto import metadata_store_pb2 as pb

from datalife.pipeline.mlmd import open_store

__all__ = ["writable_store", "record_selection", "record_import", "source_artifact", "ROUND_PIPELINE", "ROUND_CONTEXT",
           "round_artifacts"]

ROUND_PIPELINE = "labeling"
ROUND_CONTEXT = "labeling_round"


def writable_store(target):
    """A read-write store: a SQLite path (created when absent) or a connection config."""
    if isinstance(target, pb.ConnectionConfig):
        return open_store(target)
    config = pb.ConnectionConfig()
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    config.sqlite.filename_uri = str(target)
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return open_store(config)


def _type_id(store, kind: str, name: str) -> int:
    if kind == "artifact":
        return store.put_artifact_type(pb.ArtifactType(name=name))
    if kind == "execution":
        return store.put_execution_type(pb.ExecutionType(name=name))
    return store.put_context_type(pb.ContextType(name=name))


def _props(node, props: dict) -> None:
    for k, v in props.items():
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            node.custom_properties[k].string_value = str(v)
        elif isinstance(v, int):
            node.custom_properties[k].int_value = v
        else:
            node.custom_properties[k].double_value = float(v)


def _artifact(store, type_name: str, uri: str, props: dict) -> pb.Artifact:
    a = pb.Artifact(type_id=_type_id(store, "artifact", type_name), uri=str(uri), state=pb.Artifact.LIVE)
    _props(a, props)
    return a


def _contexts(store, round_name: str) -> list:
    out = []
    for type_name, name in (("pipeline", ROUND_PIPELINE), (ROUND_CONTEXT, f"labeling-round-{round_name}")):
        type_id = _type_id(store, "context", type_name)
        ctx = store.get_context_by_type_and_name(type_name, name)
        out.append(ctx if ctx is not None else pb.Context(type_id=type_id, name=name))
    return out


def _event(kind, key: str) -> pb.Event:
    e = pb.Event(type=kind)
    e.path.steps.add().key = key
    return e


def _put(store, type_name: str, props: dict, inputs: Sequence[tuple[str, object]],
         outputs: Sequence[tuple[str, pb.Artifact]], round_name: str) -> tuple[int, list[int]]:
    """One complete execution; inputs are (key, artifact id or new Artifact)."""
    execution = pb.Execution(type_id=_type_id(store, "execution", type_name),
                             last_known_state=pb.Execution.COMPLETE)
    _props(execution, props)
    pairs = []
    for key, art in inputs:
        if isinstance(art, int):
            [art] = store.get_artifacts_by_id([art])
        pairs.append((art, _event(pb.Event.INPUT, key)))
    pairs += [(art, _event(pb.Event.OUTPUT, key)) for key, art in outputs]
    exec_id, art_ids, _ = store.put_execution(execution, pairs, _contexts(store, round_name),
                                              reuse_context_if_already_exist=True)
    return exec_id, art_ids[len(inputs):]


def source_artifact(store, path: str, fingerprint: str) -> pb.Artifact:
    """A file the batch was selected from (a CSV / parquet outside any pipeline)."""
    return _artifact(store, "datalife.LabelingSource", str(Path(path).resolve()), {"sha256": fingerprint})


def record_selection(store, round_name: str, source, batch_uri: str, params: dict,
                     gold_labels_id: Optional[int] = None) -> tuple[int, int]:
    """(execution id, batch artifact id). ``source``: an artifact id already in the
    store (a pipeline's Examples) or a new Artifact (:func:`source_artifact`)."""
    inputs = [("examples", source)] + ([("gold_labels", gold_labels_id)] if gold_labels_id else [])
    batch = _artifact(store, "datalife.LabelingBatch", batch_uri,
                      {"round": round_name, "selected": params.get("selected"), "strategy": params.get("strategy")})
    exec_id, [batch_id] = _put(store, "datalife.LabelSelection", {**params, "round": round_name,
                                                                  "time": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                        time.gmtime())},
                               inputs, [("labeling_batch", batch)], round_name)
    return exec_id, batch_id


def record_import(store, round_name: str, batch_id: int, export_uri: str, gold_uri: str, counts: dict) -> tuple[int, int]:
    """(execution id, gold labels artifact id)."""
    export = _artifact(store, "datalife.LabelStudioExport", export_uri, {"round": round_name})
    gold = _artifact(store, "datalife.GoldLabels", gold_uri,
                     {"round": round_name, "labels": counts.get("keys_gold"), "label_source": "human"})
    flat = {k: v for k, v in counts.items() if isinstance(v, (int, float, str))}
    exec_id, [gold_id] = _put(store, "datalife.LabelImport", {**flat, "round": round_name},
                              [("labeling_batch", batch_id), ("export", export)], [("gold_labels", gold)],
                              round_name)
    return exec_id, gold_id


def round_artifacts(store) -> dict[str, dict[str, int]]:
    """{round context name: {output key: artifact id}} of every labeling round in the store."""
    out = {}
    for ctx in sorted(store.get_contexts_by_type(ROUND_CONTEXT), key=lambda c: c.name):
        arts = {}
        for e in store.get_events_by_execution_ids([x.id for x in store.get_executions_by_context(ctx.id)]):
            if e.type == pb.Event.OUTPUT:
                arts[e.path.steps[0].key] = e.artifact_id
        out[ctx.name] = arts
    return out
