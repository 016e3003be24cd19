"""The demos on Beam's portable path, the same Fn API path Flink, Spark and Dataflow
run pipelines on: a job service and an SDK worker pool in their own processes
(127.0.0.1, free ports, stopped at the end), our DoFns pickled, shipped and run in
separate SDK worker processes. Each demo runs once there through
``datalife run --runner portable --job-endpoint ... --environment-config ...`` and
once on the DirectRunner (in a subprocess, at the same time), and every Examples
output must be equal: decoded, in a canonical order, integers and bytes exactly,
floats within ``examples_compare.RTOL`` / ``ATOL``.

By default (``make test``) one demo runs, speech (the audio example gen, both audio
augmenter stages, Transform and the standard components), with the worker pool running
each job's SDK worker as a thread of its own process (TensorFlow imported once, not
once per job). ``DATALIFE_EXTENDED=1`` (``make test-cluster``, which CI runs too) runs
all five demos with each job's SDK worker in a new process, as Beam's
``worker_pool_main`` does, and the worker-death test: a worker that dies mid-bundle
fails the run with that error, publishes nothing as complete, and a re-run resumes
through the cache. ``DATALIFE_PORTABLE_DEMOS=a,b`` picks demos.
"""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from datalife.cli import main as cli
from datalife.pipeline import mlmd
from datalife.pipeline.portable import local_portable_services
from examples_compare import compare_examples, decode, examples_outputs

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
ALL_DEMOS = ("tabular", "weak_labeling", "forecasting", "detection", "speech")
EXTENDED = os.environ.get("DATALIFE_EXTENDED") == "1"
WANTED = tuple(d for d in os.environ.get("DATALIFE_PORTABLE_DEMOS", "").split(",") if d)
DEMOS = WANTED or (ALL_DEMOS if EXTENDED else ("speech",))
WORKER_THREADS = not EXTENDED  # the default run: SDK workers as threads of the pool process
extended_only = pytest.mark.skipif(not EXTENDED, reason="runs in `make test-cluster` (DATALIFE_EXTENDED=1; CI runs it)")
# the Beam pipelines each demo runs (its components built on Beam)
BEAM_JOBS = {"tabular": 3, "weak_labeling": 3, "forecasting": 4, "detection": 3, "speech": 5}


class _Executions:
    """The latest run of a store, shaped like RunResult for examples_outputs."""

    def __init__(self, root: Path):
        store = mlmd.open_store(root / "metadata.sqlite")
        self.run = mlmd.latest_run(store)
        self.executions = mlmd.run_executions(store, self.run)
        self.states = {e.component: e.state for e in self.executions}


def _config(name: str, root: Path) -> Path:
    """The demo config with absolute data paths and its own root."""
    text = (REPO / "pipeline" / "configs" / f"{name}.yaml").read_text()
    text = text.replace("../../data/", f"{REPO}/data/")
    text = "\n".join(f"root: {root}" if line.startswith("root:") else line for line in text.splitlines())
    path = root.parent / f"{root.name}.yaml"
    root.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")
    return path


def _jobs_started(services) -> int:
    log = services.log_dir / "job_service.log"
    return log.read_text(errors="replace").count("Running job") if log.is_file() else 0


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("portable")
    with local_portable_services(tmp / "beam-services", worker_threads=WORKER_THREADS) as svc:
        svc.tmp = tmp
        svc.runs = {}
        yield svc


def _demo(services, name: str) -> dict:
    """Run ``name`` on the portable path (in this process, through the CLI) and on the
    DirectRunner (a subprocess, at the same time), once per module."""
    if name in services.runs:
        return services.runs[name]
    tmp = services.tmp / name
    direct_cfg, portable_cfg = _config(name, tmp / "direct"), _config(name, tmp / "portable")
    direct = subprocess.Popen([sys.executable, "-c", "import sys; from datalife.cli import main; "
                               f"sys.exit(main(['run', {str(direct_cfg)!r}]))"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    jobs_before, t0 = _jobs_started(services), time.monotonic()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli(["run", str(portable_cfg), "--runner", "portable", "--job-endpoint", services.job_endpoint,
                      "--environment-config", services.environment_config])
    seconds = time.monotonic() - t0
    direct_out, _ = direct.communicate(timeout=1800)
    assert status == 0, f"portable run failed:\n{err.getvalue()[-4000:]}\n{services.log_tail()}"
    assert direct.returncode == 0, f"direct run failed:\n{direct_out[-4000:]}"
    services.runs[name] = {
        "portable": _Executions(tmp / "portable"), "direct": _Executions(tmp / "direct"),
        "jobs": _jobs_started(services) - jobs_before, "stdout": out.getvalue(), "seconds": seconds,
    }
    return services.runs[name]


@pytest.mark.parametrize("name", DEMOS)
def test_demo_on_the_portable_path_equals_the_direct_runner(services, name):
    run = _demo(services, name)
    portable, direct = run["portable"], run["direct"]
    assert set(portable.states.values()) == {"complete"}, portable.states
    assert portable.states.keys() == direct.states.keys()
    # every Beam pipeline of the run went to the job service (none ran in this process)
    assert run["jobs"] == BEAM_JOBS[name], (run["jobs"], services.log_tail())
    assert "Beam on portable" in run["stdout"]
    outputs_p, outputs_d = examples_outputs(portable), examples_outputs(direct)
    assert outputs_p.keys() == outputs_d.keys() and outputs_p
    for key in outputs_p:
        n = compare_examples(decode(outputs_d[key]), decode(outputs_p[key]), f"{name}: {key}")
        assert n > 0, key
    print(f"{name}: portable run {run['seconds']:.0f} s, {run['jobs']} Beam jobs, outputs {sorted(outputs_p)}")


# ----------------------------------------------------------------------------- bad input
KILL_CONFIG = """\
name: worker-dies
root: {root}
components:
  example_gen: {{input: {data}, splits: {{train: 1}}}}
  weak_labeler: {{lf_module: lf_worker_killer, id_field: id, label_model: {{epochs: 20}}}}
  example_validator: {{on_anomalies: warn}}
"""


@pytest.fixture(scope="module")
def process_services(tmp_path_factory):
    """Beam's worker pool as it is: each job's SDK worker a new process, which the
    killer labeling function can kill (once: it leaves a mark)."""
    tmp = tmp_path_factory.mktemp("portable-processes")
    env = {"PYTHONPATH": str(TESTS), "DATALIFE_TEST_KILL_MARK": str(tmp / "killed.mark")}
    with local_portable_services(tmp / "beam-services", env=env) as svc:
        svc.tmp = tmp
        yield svc


@extended_only
def test_worker_dying_mid_bundle_fails_the_run_publishes_nothing_and_the_rerun_resumes(process_services):
    from ml_metadata.proto import metadata_store_pb2 as pb

    from datalife.pipeline.config import load_config, with_engine
    from datalife.pipeline.run import PipelineFailed, run_pipeline

    services = process_services
    tmp = services.tmp / "kill"
    (tmp / "data").mkdir(parents=True)
    pd.DataFrame({"id": [f"m{i}" for i in range(40)],
                  "text": ["buy now" if i % 3 == 0 else "hello there" if i % 3 == 1 else "meh" for i in range(40)]}
                 ).to_csv(tmp / "data" / "m.csv", index=False)
    (tmp / "c.yaml").write_text(KILL_CONFIG.format(root=tmp / "run", data=tmp / "data"))
    cfg = with_engine(load_config(tmp / "c.yaml"), job_endpoint=services.job_endpoint,
                      environment_config=services.environment_config)
    mark = Path(services.tmp / "killed.mark")
    assert not mark.exists()
    t0 = time.monotonic()
    with pytest.raises(PipelineFailed) as info:
        run_pipeline(cfg, out=io.StringIO())
    failed_after = time.monotonic() - t0
    message = str(info.value)
    assert mark.exists() and int(mark.read_text()) != os.getpid()  # a worker process died, not this one
    # Beam notices on the control or the data channel, depending on what it was doing
    assert "WorkerDied: the SDK worker" in message and "died (killed, out of memory or crashed)" in message, message
    assert failed_after < 600
    # MLMD: the weak labeler's execution failed and none of its outputs is published
    store = mlmd.open_store(mlmd.connection_config(cfg, readonly=True))
    failed = mlmd.run_executions(store, mlmd.run_context(store, info.value.run_id))
    assert [(e.component, e.state) for e in failed] == [("CsvExampleGen", "complete"), ("WeakLabeler", "failed")]
    [labeler] = [e for e in failed if e.component == "WeakLabeler"]
    events = store.get_events_by_execution_ids([labeler.id])
    outputs = store.get_artifacts_by_id([e.artifact_id for e in events if e.type == pb.Event.OUTPUT])
    assert all(a.state != pb.Artifact.LIVE for a in outputs), [(a.uri, a.state) for a in outputs]
    live_examples = [a for a in store.get_artifacts() if "/WeakLabeler/" in a.uri and a.state == pb.Artifact.LIVE]
    assert live_examples == []
    # the re-run: ExampleGen from the cache, the labeler and the rest run
    again = run_pipeline(cfg, out=io.StringIO())
    assert again.states == {"CsvExampleGen": "cached", "WeakLabeler": "complete", "StatisticsGen": "complete",
                            "SchemaGen": "complete", "ExampleValidator": "complete", "ValidationGate": "complete"}
    labeled = decode(again.output_uri("WeakLabeler", "labeled_examples"))["train"]
    assert len(labeled) == 40
    print(f"worker death: the run failed {failed_after:.0f} s after it started")
