"""Run a configured pipeline on the LocalDagRunner (default) or the BeamDagRunner,
printing each component as it starts and finishes, then a summary of where the
outputs, the anomalies and the metadata store are.

Each run gets its own id (the name of its ``pipeline_run`` context in MLMD), so its
summary lists its own executions even when other runs write to the same store at the
same time. Before anything runs, the Beam engine's services (job endpoint, worker
pool, cluster master) must answer within seconds."""
from __future__ import annotations

import datetime
import logging
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, TextIO

from datalife.pipeline.config import PipelineConfig

__all__ = ["run_pipeline", "RunResult", "PipelineFailed", "summary", "new_run_id", "check_engine_reachable"]

RUNNERS = ("local", "beam")


class PipelineFailed(RuntimeError):
    """A component failed; the message says which and why (``run_id``: the failed run's
    id in MLMD, empty when the run did not start)."""

    def __init__(self, message: str, run_id: str = ""):
        super().__init__(message)
        self.run_id = run_id


@dataclass
class RunResult:
    config: PipelineConfig
    seconds: float
    run_id: str = ""
    executions: list = field(default_factory=list)  # mlmd.ExecutionInfo of this run
    anomalies: list = field(default_factory=list)

    @property
    def states(self) -> dict[str, str]:
        return {e.component: e.state for e in self.executions}

    def output_uri(self, component: str, key: str) -> str:
        for e in self.executions:
            if e.component == component and key in e.outputs:
                return e.outputs[key][0]
        raise KeyError(f"no output {key!r} of component {component!r} in this run")


PROGRESS_SECONDS = 15.0  # a "running" line this often while a component works


class _Progress(logging.Handler):
    """Turns the TFX runners' log lines into one printed line per component event."""

    def __init__(self, out: TextIO, log_file: Path, every: float = PROGRESS_SECONDS, timer: bool = True):
        super().__init__(logging.INFO)
        self.out, self.started, self.cached = out, {}, set()
        self.file = logging.FileHandler(log_file)
        self.file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.t0 = time.monotonic()
        self.every, self.running, self.last = every, None, 0.0
        self.done = threading.Event()
        if timer:  # a progress line every `every` seconds while a component runs
            threading.Thread(target=self._loop, daemon=True, name="datalife-progress").start()

    def _loop(self) -> None:
        while not self.done.wait(1.0):
            self.tick(time.monotonic())

    def tick(self, now: float) -> None:
        """Print (and log) the running component's progress when ``every`` seconds passed:
        elapsed time, and the rows its reader has read with their rate when counted."""
        from datalife.components import progress

        name = self.running
        if name is None or now - self.last < self.every:
            return
        self.last = now
        took = now - self.started.get(name, now)
        rows = progress.rows()
        counted = f", {rows:,} rows read ({rows / took:,.0f} rows/s)" if rows and took > 0 else ""
        line = f"[{now - self.t0:7.1f}s] running {name}  {took:.0f}s{counted}"
        self._print(line)
        self.file.emit(logging.LogRecord("datalife.progress", logging.INFO, __file__, 0, line, None, None))

    def emit(self, record: logging.LogRecord) -> None:
        self.file.emit(record)
        msg, args = record.msg, record.args or ()
        now = time.monotonic()
        if msg in ("Component %s is running.", "Component %s is running") and args:
            from datalife.components import progress

            self.started[args[0]] = now
            progress.reset()
            self.running, self.last = args[0], now
            self._print(f"[{now - self.t0:7.1f}s] start   {args[0]}")
        elif msg.startswith("Component %s is finished") and args:
            self.running = None
            took = now - self.started.get(args[0], now)
            tag = " (cached)" if args[0] in self.cached else ""
            self._print(f"[{now - self.t0:7.1f}s] finish  {args[0]}  {took:.1f}s{tag}")
        elif msg.startswith("A cached execution") and self.started:
            self.cached.add(list(self.started)[-1])
        elif record.levelno >= logging.ERROR:
            self._print(f"ERROR: {record.getMessage()[:2000]}")

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def close(self) -> None:
        self.done.set()
        self.file.close()
        super().close()


def _runner(name: str):
    from datalife.pipeline import tfx_names as tfx

    if name == "local":
        return tfx.orchestration.LocalDagRunner()
    if name == "beam":
        from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner

        return BeamDagRunner()
    raise ValueError(f"unknown runner {name!r}; allowed: {', '.join(RUNNERS)}")


def _root_cause(exc: BaseException) -> BaseException:
    """The exception worth showing: the deepest one raised by datalife's own code (it
    names the file, record or labeling function), else the deepest of the chain."""
    chain, seen = [exc], {id(exc)}
    while True:
        nxt = chain[-1].__cause__ or chain[-1].__context__
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        chain.append(nxt)
    ours = [e for e in chain if type(e).__module__.startswith("datalife.")]
    return ours[-1] if ours else chain[-1]


def _short(message: str) -> str:
    """A failure reported by a Beam job service carries the worker's whole traceback as
    text: keep its first line and the exception it ends with (the exception chained to
    :class:`PipelineFailed` keeps it all)."""
    if "Traceback (most recent call last):" not in message:
        return message
    lines = [line for line in message.splitlines() if line.strip()]
    last = next((line for line in reversed(lines) if not line.startswith((" ", "\t"))), lines[-1])
    return f"{lines[0]} ... {last.strip()}"


def new_run_id() -> str:
    """A run id as TFX's LocalDagRunner makes them (ISO time), plus a random suffix so
    two runs started in the same microsecond on one store stay apart."""
    return f"{datetime.datetime.now().isoformat()}-{secrets.token_hex(3)}"


def _compile(pipeline, run_id: str):
    """The pipeline IR with its run id set (the runner leaves a set id as it is)."""
    from tfx.dsl.compiler import constants
    from tfx.orchestration.portable import runtime_parameter_utils, tfx_runner

    pipeline_pb = tfx_runner._make_pipeline_proto(pipeline)  # what TfxRunner.run does first (TFX 1.16)
    runtime_parameter_utils.substitute_runtime_parameter(
        pipeline_pb, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id})
    return pipeline_pb


def check_engine_reachable(cfg: PipelineConfig, seconds: float = 5.0) -> None:
    """Raise :class:`PipelineFailed` when a service the Beam engine needs does not answer
    within ``seconds`` (Beam itself would wait for ``--job_server_timeout``)."""
    from datalife.pipeline.engines import endpoints_to_probe
    from datalife.pipeline.portable import EndpointUnreachable, probe_endpoints

    try:
        probe_endpoints(endpoints_to_probe(cfg.beam.engine, cfg.beam.engine_settings), seconds)
    except EndpointUnreachable as exc:
        raise PipelineFailed(f"pipeline {cfg.name!r} not started: {exc}") from None


def run_pipeline(cfg: PipelineConfig, runner: str = "local", out: Optional[TextIO] = None,
                 run_id: Optional[str] = None) -> RunResult:
    """Build and run the pipeline; raise :class:`PipelineFailed` naming the failure."""
    out = out or sys.stdout
    check_engine_reachable(cfg)  # before TFX is imported: an unreachable engine fails in seconds
    from datalife.pipeline import mlmd
    from datalife.pipeline.build import build_pipeline

    cfg.root_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    pipeline_pb = _compile(build_pipeline(cfg), run_id)
    _guard(cfg, pipeline_pb, run_id, out)  # issue 21: a store that does not match the outputs; killed runs
    absl_logger = logging.getLogger("absl")
    progress = _Progress(out, cfg.root_dir / "run.log")
    old = (absl_logger.level, absl_logger.propagate)
    absl_logger.setLevel(logging.INFO)
    absl_logger.propagate = False
    absl_logger.addHandler(progress)
    # Executors call absl.logging.set_verbosity (Transform sets WARNING), which would
    # hide the runner's INFO lines: hold the level for the duration of the run.
    absl_logger.setLevel = lambda level: None
    engine = "" if cfg.beam.engine == "direct" else f", Beam on {cfg.beam.engine}"
    print(f"running pipeline {cfg.name!r} with the {runner} runner{engine}, run {run_id} "
          f"(log: {cfg.root_dir / 'run.log'})", file=out)
    t0 = time.monotonic()
    try:
        _runner(runner).run_with_ir(pipeline_pb)
    except Exception as exc:  # a component failed: name it and the root cause
        cause = _root_cause(exc)
        raise PipelineFailed(f"pipeline {cfg.name!r} stopped: {type(cause).__name__}: {_short(str(cause))}",
                             run_id) from exc
    finally:
        absl_logger.removeHandler(progress)
        del absl_logger.setLevel
        absl_logger.setLevel(old[0])
        absl_logger.propagate = old[1]
        progress.close()
        from datalife.pipeline.run_guard import release_lease

        release_lease(cfg.root_dir, run_id)
    result = RunResult(cfg, time.monotonic() - t0, run_id)
    store = mlmd.open_store(mlmd.connection_config(cfg, readonly=True))
    run = mlmd.run_context(store, run_id)
    result.executions = mlmd.run_executions(store, run) if run else []
    result.anomalies = _anomalies(store, result)
    from datalife.pipeline.spans import format_rewritten, span_history  # issue 17: re-written spans

    history = span_history(store)
    if len(history) and format_rewritten(history[history.artifact_id == history.artifact_id.max()]):
        print("WARNING: " + format_rewritten(history[history.artifact_id == history.artifact_id.max()]), file=out)
    return result


def _guard(cfg: PipelineConfig, pipeline_pb, run_id: str, out: TextIO) -> None:
    """Before a run: mark the executions of killed runs abandoned, refuse a store that
    does not match the outputs under the root (``pipeline.run_guard``), take the lease."""
    from datalife.pipeline import mlmd
    from datalife.pipeline.run_guard import StoreMismatch, check_store_matches_outputs, mark_abandoned, take_lease

    store = mlmd.open_store(mlmd.connection_config(cfg))
    for run, execution, component in mark_abandoned(store, cfg.root_dir):
        print(f"marked execution {execution} ({component}) of run {run} abandoned: its process is gone", file=out)
    nodes = [n.pipeline_node.node_info.id for n in pipeline_pb.nodes]
    try:
        check_store_matches_outputs(store, cfg.pipeline_root, nodes, mlmd.store_description(cfg))
    except StoreMismatch as exc:
        raise PipelineFailed(f"pipeline {cfg.name!r} not started: {exc}") from None
    take_lease(cfg.root_dir, run_id)


def _anomalies(store, result: RunResult) -> list:
    import json

    for e in result.executions:
        if "validated_schema" in e.output_ids:
            art = store.get_artifacts_by_id(e.output_ids["validated_schema"])[0]
            if "anomalies" in art.custom_properties:
                return json.loads(art.custom_properties["anomalies"].string_value)
    return []


def summary(result: RunResult) -> str:
    cfg = result.config
    states = list(result.states.values())
    lines = [
        f"pipeline {cfg.name!r} finished in {result.seconds:.1f}s: {len(states)} components, "
        f"{states.count('complete')} ran, {states.count('cached')} cached",
        "outputs:",
    ]
    for e in result.executions:
        for key, uris in e.outputs.items():
            lines.append(f"  {e.component}.{key}: {uris[0]}")
    if result.anomalies:
        lines.append(f"anomalies ({len(result.anomalies)}, on_anomalies: warn):")
        lines += [f"  [{a['split']}] {a['feature']}: {a['kind']}: {a['description']}" for a in result.anomalies]
    else:
        lines.append("anomalies: none")
    from datalife.pipeline.mlmd import store_description

    lines.append(f"metadata store: {store_description(cfg)} (run {result.run_id})")
    return "\n".join(lines)
