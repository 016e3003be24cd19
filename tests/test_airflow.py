"""`datalife compile airflow` writes a DAG that Airflow 2.10 really runs
(`airflow db migrate`, then `airflow dags test` on SQLite): every task succeeds and
the outputs and MLMD records exist."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from datalife.pipeline import mlmd

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_airflow_dag_runs_every_task(tmp_path):
    config = tmp_path / "weak.yaml"
    config.write_text((REPO / "pipeline/configs/weak_labeling.yaml").read_text()
                      .replace("../../data/messages", str(REPO / "data/messages"))
                      .replace("../../runs/demo-weak-labeling", str(tmp_path / "out")))
    dags = tmp_path / "dags"
    subprocess.run([str(BIN / "datalife"), "compile", "airflow", str(config), "-o", str(dags / "weak.py")],
                   check=True, capture_output=True)
    from datalife.pipeline.compile import AIRFLOW_IMPORT_TIMEOUT

    timeout = str(AIRFLOW_IMPORT_TIMEOUT)  # what the DAG file and the README say
    assert f"AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT={timeout} and" in (dags / "weak.py").read_text()
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": timeout,
           "AIRFLOW__CORE__DAG_FILE_PROCESSOR_TIMEOUT": timeout,
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    migrate = subprocess.run([str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    run = subprocess.run([str(BIN / "airflow"), "dags", "test", "demo-weak-labeling", "2024-01-02"],
                         env=env, capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]
    with sqlite3.connect(tmp_path / "airflow.db") as db:
        states = dict(db.execute("select task_id, state from task_instance where dag_id = 'demo-weak-labeling'"))
    assert states == {t: "success" for t in ("CsvExampleGen", "WeakLabeler", "StatisticsGen", "SchemaGen",
                                             "ExampleValidator", "ValidationGate")}
    store = mlmd.open_store(tmp_path / "out" / "metadata.sqlite")
    executions = mlmd.run_executions(store, mlmd.latest_run(store))
    assert {e.component: e.state for e in executions} == {t: "complete" for t in states}
    weak = [e for e in executions if e.component == "WeakLabeler"][0]
    assert (Path(weak.outputs["report"][0]) / "report.json").is_file()
