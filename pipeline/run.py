"""Run a configured pipeline on the LocalDagRunner (default) or the BeamDagRunner,
printing each component as it starts and finishes, then a summary of where the
outputs, the anomalies and the metadata store are."""
from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, TextIO

from datalife.pipeline.config import PipelineConfig

__all__ = ["run_pipeline", "RunResult", "PipelineFailed"]

RUNNERS = ("local", "beam")


class PipelineFailed(RuntimeError):
    """A component failed; the message says which and why."""


@dataclass
class RunResult:
    config: PipelineConfig
    seconds: float
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


class _Progress(logging.Handler):
    """Turns the TFX runners' log lines into one printed line per component event."""

    def __init__(self, out: TextIO, log_file: Path):
        super().__init__(logging.INFO)
        self.out, self.started, self.cached = out, {}, set()
        self.file = logging.FileHandler(log_file)
        self.file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.t0 = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        self.file.emit(record)
        msg, args = record.msg, record.args or ()
        now = time.monotonic()
        if msg in ("Component %s is running.", "Component %s is running") and args:
            self.started[args[0]] = now
            self._print(f"[{now - self.t0:7.1f}s] start   {args[0]}")
        elif msg.startswith("Component %s is finished") and args:
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
        self.file.close()
        super().close()


def _runner(name: str):
    from tfx import v1 as tfx

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


def run_pipeline(cfg: PipelineConfig, runner: str = "local", out: Optional[TextIO] = None) -> RunResult:
    """Build and run the pipeline; raise :class:`PipelineFailed` naming the failure."""
    from datalife.pipeline import mlmd
    from datalife.pipeline.build import build_pipeline

    out = out or sys.stdout
    cfg.root_dir.mkdir(parents=True, exist_ok=True)
    pipeline = build_pipeline(cfg)
    absl_logger = logging.getLogger("absl")
    progress = _Progress(out, cfg.root_dir / "run.log")
    old = (absl_logger.level, absl_logger.propagate)
    absl_logger.setLevel(logging.INFO)
    absl_logger.propagate = False
    absl_logger.addHandler(progress)
    # Executors call absl.logging.set_verbosity (Transform sets WARNING), which would
    # hide the runner's INFO lines: hold the level for the duration of the run.
    absl_logger.setLevel = lambda level: None
    print(f"running pipeline {cfg.name!r} with the {runner} runner (log: {cfg.root_dir / 'run.log'})", file=out)
    t0 = time.monotonic()
    try:
        _runner(runner).run(pipeline)
    except Exception as exc:  # a component failed: name it and the root cause
        cause = _root_cause(exc)
        raise PipelineFailed(f"pipeline {cfg.name!r} stopped: {type(cause).__name__}: {cause}") from exc
    finally:
        absl_logger.removeHandler(progress)
        del absl_logger.setLevel
        absl_logger.setLevel(old[0])
        absl_logger.propagate = old[1]
        progress.close()
    result = RunResult(cfg, time.monotonic() - t0)
    if cfg.metadata.mysql is None:
        store = mlmd.open_store(cfg.metadata_path)
        run = mlmd.latest_run(store)
        result.executions = mlmd.run_executions(store, run) if run else []
        result.anomalies = _anomalies(store, result)
    return result


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
    where = cfg.metadata.mysql.host if cfg.metadata.mysql else cfg.metadata_path
    lines.append(f"metadata store: {where}")
    return "\n".join(lines)
