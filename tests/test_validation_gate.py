"""ExampleValidator as a gate: a CSV with a wrong type in a column, checked against
the curated schema, stops the run at the gate with that feature named; with
``on_anomalies: warn`` the run goes on and reports the anomaly."""
import csv
from pathlib import Path

import pytest

from datalife.pipeline import mlmd
from datalife.pipeline.run import PipelineFailed
from pipeline_helpers import run_config

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]

CONFIG = """\
name: wrong-type
root: runs
components:
  example_gen: {{input: data, engine: tfx}}  # TFX's reader: wrong types reach the gate (the Arrow one quarantines them)
  schema_gen: {{schema_file: {schema}}}
  example_validator: {{on_anomalies: {mode}}}
  transform:
    features:
      income: {{impute: mean, scale: zscore}}
"""


def _write_case(tmp: Path, mode: str) -> Path:
    with open(REPO / "data" / "tabular" / "customers.csv") as f:
        rows = list(csv.DictReader(f))[:300]
    for row in rows[::50]:
        row["age"] = "unknown"  # a string in an INT column
    (tmp / "data").mkdir()
    with open(tmp / "data" / "customers.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    config = tmp / "c.yaml"
    config.write_text(CONFIG.format(schema=REPO / "data" / "schemas" / "customers.pbtxt", mode=mode))
    return config


def test_wrong_type_stops_at_the_gate_naming_the_feature(tmp_path):
    config = _write_case(tmp_path, "fail")
    with pytest.raises(PipelineFailed) as info:
        run_config(config, tmp_path / "runs")
    message = str(info.value)
    assert "stopped: AnomaliesFound: 4 anomalies found by ExampleValidator:" in message
    for split in ("train", "eval"):
        assert f"[{split}] age: UNEXPECTED_DATA_TYPE: Expected data of type: INT but got STRING" in message
        assert f'[{split}] age: INT_TYPE_NOT_INT_STRING: String values that were not ints were found, such as "unknown".' in message
    store = mlmd.open_store(tmp_path / "runs" / "metadata.sqlite")
    states = {e.component: e.state for e in mlmd.run_executions(store, mlmd.latest_run(store))}
    assert states["ExampleValidator"] == "complete"
    assert states["ValidationGate"] == "failed"
    assert "Transform" not in states  # never ran on data that failed validation


def test_warn_mode_goes_on_and_reports(tmp_path):
    config = _write_case(tmp_path, "warn")
    _, result = run_config(config, tmp_path / "runs")
    assert result.states["Transform"] == "complete"
    assert {(a["split"], a["feature"], a["kind"]) for a in result.anomalies} == {
        (split, "age", kind) for split in ("train", "eval")
        for kind in ("UNEXPECTED_DATA_TYPE", "INT_TYPE_NOT_INT_STRING")}
    # the schema's content hash is on the validated schema, so lineage shows a schema change
    import hashlib

    from datalife.pipeline.lineage import lineage_text

    store = mlmd.open_store(tmp_path / "runs" / "metadata.sqlite")
    [gate] = [e for e in mlmd.run_executions(store, mlmd.latest_run(store)) if e.component == "ValidationGate"]
    [validated] = store.get_artifacts_by_id(gate.output_ids["validated_schema"])
    sha = hashlib.sha256((REPO / "data" / "schemas" / "customers.pbtxt").read_bytes()).hexdigest()
    assert validated.custom_properties["schema_sha256"].string_value == sha
    [transform] = [e for e in result.executions if e.component == "Transform"]
    assert sha in lineage_text(store, transform.output_ids["transformed_examples"][0])

