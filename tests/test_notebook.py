"""The interactive notebook runs in a real Jupyter kernel (InteractiveContext does
nothing outside IPython) with no cell error, and shows each component's output."""
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.e2e

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_interactive_notebook_executes_and_shows_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALIFE_NOTEBOOK_ROOT", str(tmp_path))
    nb = nbformat.read(NOTEBOOKS / "interactive_pipeline.ipynb", as_version=4)
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()  # raises on any cell error
    texts = ["".join(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    html = ["".join(o.get("data", {}).get("text/html", "")) for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", [])]
    dev = json.loads(next(t for t in texts if t.startswith('{"dev"')))["dev"]
    report = json.loads(next((tmp_path / "pipeline" / "WeakLabeler" / "report").glob("*/report.json")).read_text())
    assert dev == {k: report["dev"][k] for k in ("rows", "accuracy")}
    assert any("Weak labeling report" in h for h in html)
    assert any("facets" in h.lower() for h in html)  # TFDV's statistics visualisation
    assert any('{"anomaly_count": 0}' in t for t in texts)
    frame = json.loads(next(t for t in texts if t.startswith('{"pandas_rows"')))  # datalife.read in the notebook
    assert frame["pandas_rows"] == report["splits"]["train"]["rows_out"] == sum(frame["label_source"].values())
    assert any("<table" in h and "label_source" in h for h in html)  # the DataFrame shown as a table
    assert (tmp_path / "metadata.sqlite").is_file()
