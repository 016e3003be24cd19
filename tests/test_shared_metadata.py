"""A metadata store shared by a team, for real: a MariaDB server (Debian's
``mariadb-server``) and a PostgreSQL server (Debian's ``postgresql``), each started
here with its own data folder, and two demo pipelines run against it at the same time
(two processes). Every execution, artifact and lineage walk is checked, through the
CLI too (``datalife runs | lineage | report CONFIG``), and each run's summary names
only its own executions. ``make test`` runs MariaDB; PostgreSQL runs in ``make
test-cluster`` (``DATALIFE_EXTENDED=1``), which CI runs too. The run-selection logic is
also checked on SQLite without a pipeline."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

from datalife.cli import main as cli
from datalife.pipeline import mlmd
from datalife.pipeline.config import load_config
from db_servers import PASSWORD, PASSWORD_ENV, mariadb_server, postgresql_server

REPO = Path(__file__).resolve().parents[1]
# two demos that share no component but the standard ones; the weak labeler's label
# model fits 50 epochs instead of 500 to keep the test short
DEMOS = {
    "weak_labeling": ["CsvExampleGen", "WeakLabeler", "StatisticsGen", "SchemaGen", "ExampleValidator",
                      "ValidationGate"],
    "detection": ["LabelUnifier", "StatisticsGen", "SchemaGen", "ExampleValidator", "ValidationGate",
                  "ImageAugmenter"],
}
SOURCE = {"weak_labeling": "CsvExampleGen", "detection": "LabelUnifier"}


def _config(name: str, tmp: Path, backend: str, server: dict) -> Path:
    text = (REPO / "pipeline" / "configs" / f"{name}.yaml").read_text()
    text = text.replace("../../data/", f"{REPO}/data/").replace("epochs: 500", "epochs: 50")
    text = "\n".join(f"root: {tmp / name}" if line.startswith("root:") else line for line in text.splitlines())
    settings = ", ".join(f"{k}: {server[k]}" for k in ("host", "port", "database", "user", "password_env"))
    path = tmp / f"{name}.yaml"
    path.write_text(text + f"\nmetadata:\n  {backend}: {{{settings}}}\n")
    return path


def _run_two_at_once(configs: dict[str, Path]) -> dict[str, str]:
    env = {**os.environ, PASSWORD_ENV: PASSWORD}
    procs = {name: subprocess.Popen([sys.executable, "-m", "datalife.cli", "run", str(path)], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, path in configs.items()}
    outs = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=1800)
        assert proc.returncode == 0, f"{name}:\n{out[-3000:]}\n{err[-3000:]}"
        outs[name] = out
    return outs


def _summary(stdout: str) -> tuple[str, list[str]]:
    """The run id and the components the printed summary names as this run's outputs."""
    lines = stdout.splitlines()
    start = lines.index("outputs:")
    components = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        components.append(line.strip().split(".", 1)[0])
    [store_line] = [line for line in lines if line.startswith("metadata store: ")]
    return store_line.rsplit("(run ", 1)[1].rstrip(")"), list(dict.fromkeys(components))


SERVERS = {"mysql": mariadb_server, "postgresql": postgresql_server}


EXTENDED = os.environ.get("DATALIFE_EXTENDED") == "1"


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["mysql", pytest.param("postgresql", marks=pytest.mark.skipif(
    not EXTENDED, reason="runs in `make test-cluster` (DATALIFE_EXTENDED=1; CI runs it)"))])
def test_two_pipelines_at_once_on_a_shared_store(backend, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with SERVERS[backend](tmp_path / "server") as server:
        configs = {name: _config(name, tmp_path, backend, server) for name in DEMOS}
        outs = _run_two_at_once(configs)
        cfgs = {name: load_config(path, check_data=False) for name, path in configs.items()}
        store = mlmd.open_store(mlmd.connection_config(cfgs["detection"]))
        run_ids = {}
        for name, cfg in cfgs.items():
            run_id, printed = _summary(outs[name])
            [run] = mlmd.pipeline_runs(store, cfg.name)
            assert run.name == run_id
            run_ids[name] = run_id
            executions = mlmd.run_executions(store, run)
            assert [(e.component, e.state) for e in executions] == [(c, "complete") for c in DEMOS[name]]
            # the summary names its own run's outputs and nothing of the other run
            assert printed == [e.component for e in executions if e.outputs]
            for e in executions:
                for key, ids in e.output_ids.items():
                    for artifact in store.get_artifacts_by_id(ids):
                        assert artifact.state == pb.Artifact.LIVE, (name, e.component, key)
                        assert Path(artifact.uri).exists() and str(cfg.pipeline_root) in artifact.uri
            # lineage from the final artifact goes back to this pipeline's source only
            final = next(iter(executions[-1].output_ids.values()))[0]
            nodes = mlmd.upstream(store, final)
            assert {n.execution_id for n in nodes} <= {e.id for e in executions}
            assert SOURCE[name] in {n.component for n in nodes}
        assert run_ids["detection"] != run_ids["weak_labeling"]
        # the CLI against the shared store: runs, lineage, report
        capsys.readouterr()
        assert cli(["runs", str(configs["weak_labeling"])]) == 0
        listing = capsys.readouterr().out
        assert listing.splitlines()[0] == (f"run {run_ids['weak_labeling']} (demo-weak-labeling): 6 executions "
                                           "(complete 6)")
        assert "LabelUnifier" not in listing
        assert cli(["lineage", str(configs["detection"])]) == 0
        lineage = capsys.readouterr().out
        assert "ImageAugmenter [complete]" in lineage and "LabelUnifier [complete]" in lineage
        assert "WeakLabeler" not in lineage
        assert cli(["report", str(configs["detection"])]) == 0
        page = (tmp_path / "detection" / "report.html").read_text()
        assert f"Run {run_ids['detection']}" in page and "LabelUnifier report" in page


# ----------------------------------------------------------------------------- SQLite
def _fake_run(store, types, pipeline: str, run: str, components: list[str]) -> None:
    """Record a run as TFX does: executions attributed to the pipeline, run and node contexts."""
    [pipeline_ctx] = [c for c in store.get_contexts_by_type("pipeline") if c.name == pipeline] or [None]
    if pipeline_ctx is None:
        [cid] = store.put_contexts([pb.Context(type_id=types["pipeline"], name=pipeline)])
        pipeline_ctx = store.get_contexts_by_id([cid])[0]
    [run_id] = store.put_contexts([pb.Context(type_id=types["pipeline_run"], name=run)])
    for component in components:
        node = store.get_context_by_type_and_name("node", f"{pipeline}.{component}")
        node_id = node.id if node else store.put_contexts([pb.Context(type_id=types["node"],
                                                                      name=f"{pipeline}.{component}")])[0]
        [eid] = store.put_executions([pb.Execution(type_id=types["exec"], last_known_state=pb.Execution.COMPLETE)])
        store.put_attributions_and_associations([], [pb.Association(execution_id=eid, context_id=c)
                                                     for c in (pipeline_ctx.id, run_id, node_id)])


def test_runs_of_two_pipelines_in_one_sqlite_store_stay_apart(tmp_path):
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = str(tmp_path / "m.sqlite")
    store = metadata_store.MetadataStore(config)
    types = {name: store.put_context_type(pb.ContextType(name=name)) for name in ("pipeline", "pipeline_run", "node")}
    types["exec"] = store.put_execution_type(pb.ExecutionType(name="Component"))
    # two runs interleaved as concurrent runs are: a starts, b starts, a records more
    _fake_run(store, types, "a", "2026-01-01T00:00:00.000001-aaaaaa", ["Gen", "Stats"])
    _fake_run(store, types, "b", "2026-01-01T00:00:00.000002-bbbbbb", ["Unifier"])
    assert [r.name for r in mlmd.pipeline_runs(store)] == ["2026-01-01T00:00:00.000001-aaaaaa",
                                                           "2026-01-01T00:00:00.000002-bbbbbb"]
    assert mlmd.latest_run(store, "a").name == "2026-01-01T00:00:00.000001-aaaaaa"
    assert mlmd.latest_run(store, "b").name == "2026-01-01T00:00:00.000002-bbbbbb"
    assert mlmd.latest_run(store, "c") is None
    own = mlmd.run_executions(store, mlmd.run_context(store, "2026-01-01T00:00:00.000001-aaaaaa"))
    assert [e.component for e in own] == ["Gen", "Stats"]
    assert mlmd.run_context(store, "no-such-run") is None
