"""The LF edit-loop notebook (notebooks/weak_labeling_loop.ipynb): its code cells run
in order in this process (no kernel: seconds, not a Jupyter start), the LF file edit
shows in the second result, and the chosen aggregate is never below majority vote on
the dev split (the oracle)."""
import os
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_weak_labeling_loop_notebook_runs_and_the_edit_shows(tmp_path, monkeypatch):
    monkeypatch.setenv("DATALIFE_NOTEBOOK_ROOT", str(tmp_path))
    monkeypatch.chdir(NOTEBOOKS)
    nb = nbformat.read(NOTEBOOKS / "weak_labeling_loop.ipynb", as_version=4)
    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "weak_labeling_loop.ipynb", "exec"), ns)  # noqa: S102
    first, second = ns["first"], ns["second"]
    assert first.lf_summary["lf"].tolist() == ["says_check_out", "has_link", "short_comment"]
    assert second.lf_summary["lf"].tolist()[-2:] == ["says_subscribe", "loves_song"]
    for r in (first, second):
        dev = r.metrics.set_index("step")["dev_accuracy"]
        assert dev[r.aggregate.chosen.name] >= dev["majority_vote"]
        assert len(r.labels) == len(ns["train"]) + len(ns["dev"]) and (r.labels["label"] >= 0).all()
    assert (tmp_path / "my_lfs.py").is_file() and os.path.getsize(tmp_path / "my_lfs.py") > 0
