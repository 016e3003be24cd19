"""``example_validator.drift.baseline: previous_span``: the gate compares the span read
now with the newest earlier span this pipeline read, found in its metadata store (the
Examples its ExampleGen wrote with a smaller ``span``), so a scheduled run (Airflow,
cron) checks drift with no path in the config. The first span has nothing to compare
with: the gate then runs without the drift check and says so."""
from __future__ import annotations

from typing import Optional

__all__ = ["PREVIOUS_SPAN", "previous_span_examples"]

PREVIOUS_SPAN = "previous_span"
GENERATORS = ("CsvExampleGen", "JsonlExampleGen")


def previous_span_examples(store, pipeline: str, current_span: int) -> Optional[tuple[int, str, list[str]]]:
    """(span, uri, split names) of the newest Examples with a span below ``current_span``
    written by this pipeline's ExampleGen (highest span; then the latest written), or None."""
    import json

    from ml_metadata.proto import metadata_store_pb2 as pb

    from datalife.pipeline.mlmd import _component_of

    ctx = store.get_context_by_type_and_name("pipeline", pipeline)
    if ctx is None:
        return None
    arts = [a for a in store.get_artifacts_by_context(ctx.id)
            if a.state == pb.Artifact.LIVE and "span" in a.properties
            and a.properties["span"].int_value < current_span]
    if not arts:
        return None
    by_id = {a.id: a for a in arts}
    producers = {}
    for ev in store.get_events_by_artifact_ids(list(by_id)):
        if ev.type == pb.Event.OUTPUT:
            producers[ev.artifact_id] = ev.execution_id
    executions = {e.id: e for e in store.get_executions_by_id(sorted(set(producers.values())))}
    ours = [a for a in arts if a.id in producers and executions[producers[a.id]].last_known_state == pb.Execution.COMPLETE
            and _component_of(store, executions[producers[a.id]]) in GENERATORS]
    if not ours:
        return None
    best = max(ours, key=lambda a: (a.properties["span"].int_value, a.create_time_since_epoch, a.id))
    splits = json.loads(best.properties["split_names"].string_value) if "split_names" in best.properties else []
    return best.properties["span"].int_value, best.uri, splits
