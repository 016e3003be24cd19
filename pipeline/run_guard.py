"""Guards a run takes before it starts, so the store never destroys outputs and a killed
run never looks alive:

- :func:`check_store_matches_outputs`: every output folder of the pipeline's components
  (``<pipeline root>/<component>/<output>/<execution id>``) must belong to an execution
  the metadata store knows. A store deleted or replaced (``metadata.sqlite`` removed,
  another store configured for the same root) would hand out those execution ids again,
  and Beam would delete the earlier run's files under the same ids; the run is refused
  with :class:`StoreMismatch`, naming the store, the root and the folders.
- :func:`take_lease` / :func:`release_lease`: a run writes ``<root>/.runs/<run id>``
  (host and process id) while it runs. :func:`mark_abandoned` finds the leases of runs
  whose process is gone (same host, process dead: the run was killed) and marks their
  executions still ``running`` as abandoned (state CANCELED, custom property
  ``abandoned`` with the reason): ``datalife runs`` shows them as abandoned, and TFX's
  cache, which reuses only complete executions, never takes their empty folders.
"""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Iterable

__all__ = ["StoreMismatch", "check_store_matches_outputs", "take_lease", "release_lease", "mark_abandoned",
           "ABANDONED"]

ABANDONED = "abandoned"  # the custom property of an execution marked abandoned
LEASES = ".runs"


class StoreMismatch(RuntimeError):
    """The metadata store does not hold the executions whose outputs are under the root."""


def _output_folders(pipeline_root: Path, components: Iterable[str]) -> dict[int, list[Path]]:
    """{execution id: [output folders]} of the components' outputs under the root."""
    found: dict[int, list[Path]] = {}
    for name in components:
        node = pipeline_root / name
        if not node.is_dir():
            continue
        for key in node.iterdir():
            if not key.is_dir() or key.name.startswith("."):
                continue
            for run in key.iterdir():
                if run.is_dir() and run.name.isdigit():
                    found.setdefault(int(run.name), []).append(run)
    return found


def check_store_matches_outputs(store, pipeline_root: Path, components: Iterable[str], store_name: str) -> None:
    """Raise :class:`StoreMismatch` when an output folder under ``pipeline_root`` has an
    execution id the store does not know (see the module's docstring)."""
    folders = _output_folders(Path(pipeline_root), components)
    if not folders:
        return
    known = {e.id for e in store.get_executions_by_id(sorted(folders))}
    unknown = sorted(set(folders) - known)
    if unknown:
        examples = [str(p) for i in unknown[:3] for p in folders[i][:1]]
        raise StoreMismatch(
            f"the metadata store {store_name} does not match the outputs under {pipeline_root}: "
            f"{len(unknown)} execution id(s) with output folders are unknown to the store (e.g. {', '.join(examples)}). "
            f"Was the store deleted or replaced? Running would reuse those ids and overwrite the earlier outputs: "
            f"refused. Restore the store, or run into a fresh root (a new 'root' in the config, or move "
            f"{pipeline_root} away).")


def _lease(root: Path, run_id: str) -> Path:
    return Path(root) / LEASES / run_id.replace(os.sep, "_")


def take_lease(root: Path, run_id: str) -> Path:
    path = _lease(root, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run": run_id, "host": socket.gethostname(), "pid": os.getpid()}))
    return path


def release_lease(root: Path, run_id: str) -> None:
    _lease(root, run_id).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_abandoned(store, root: Path) -> list[tuple[str, int, str]]:
    """Mark the still-running executions of runs whose process is gone (lease left on
    this host, process dead) as abandoned; return (run id, execution id, component)."""
    from ml_metadata.proto import metadata_store_pb2

    from datalife.pipeline.mlmd import _component_of, run_context

    marked = []
    folder = Path(root) / LEASES
    if not folder.is_dir():
        return marked
    host = socket.gethostname()
    for path in sorted(folder.iterdir()):
        try:
            lease = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if lease.get("host") != host or _alive(int(lease.get("pid", 0))):
            continue  # another host's run, or a live one: not ours to judge
        ctx = run_context(store, lease["run"])
        execs = store.get_executions_by_context(ctx.id) if ctx is not None else []
        stale = [e for e in execs if e.last_known_state in (metadata_store_pb2.Execution.RUNNING,
                                                            metadata_store_pb2.Execution.NEW)]
        for e in stale:
            e.last_known_state = metadata_store_pb2.Execution.CANCELED
            e.custom_properties[ABANDONED].string_value = (
                f"run {lease['run']} ended without finishing (process {lease.get('pid')} on {host} is gone)")
            marked.append((lease["run"], e.id, _component_of(store, e)))
        if stale:
            store.put_executions(stale)
        path.unlink(missing_ok=True)
    return marked
