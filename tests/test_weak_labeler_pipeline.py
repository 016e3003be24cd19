"""The WeakLabeler component in real pipelines: the demo, determinism across Beam
worker counts, the failure and fault-tolerant paths, and the real YouTube data of
Snorkel's spam tutorial (checked against Snorkel's own PandasLFApplier)."""
import glob
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared_dataset
from datalife.labeling.applier import apply_batch
from datalife.labeling.lf_loader import load_lfs
from datalife.pipeline.examples_io import read_examples
from datalife.pipeline.run import PipelineFailed
from pipeline_helpers import run_config

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "pipeline" / "configs" / "weak_labeling.yaml"


def _outputs(result):
    """The report and every output example (all splits), sorted by key-free content."""
    report = json.loads(Path(result.output_uri("WeakLabeler", "report"), "report.json").read_text())
    uri = result.output_uri("WeakLabeler", "labeled_examples")
    rows = [dict(r, split=s) for s in report["splits"] for r in read_examples(uri, s)]
    return report, sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _votes_by_id(rows, id_field):
    out = {}
    for r in rows:
        key = r[id_field][0]
        out.setdefault(key.decode() if isinstance(key, bytes) else key, []).append(tuple(r["lf_votes"]))
    return {k: sorted(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_config(DEMO, tmp_path_factory.mktemp("weak"))


def test_demo_labels_every_example_and_accounts_for_rows(demo):
    cfg, result = demo
    report, rows = _outputs(result)
    src = {s: pd.read_csv(REPO / "data" / "messages" / f"messages-{n}.csv") for s, n in
           (("train", "train"), ("eval", "dev"))}
    for split, df in src.items():
        out = read_examples(result.output_uri("WeakLabeler", "labeled_examples"), split)
        s = report["splits"][split]
        assert s["rows_in"] == len(df) == s["rows_out"] + s["dropped_all_abstain"] == len(out)
        # every example got a hard label and probabilities summing to 1; gold kept aside
        assert all(len(r["label_probs"]) == 2 and abs(sum(r["label_probs"]) - 1) < 1e-5 for r in out)
        assert all(r["label"][0] == int(np.argmax(r["label_probs"])) or
                   abs(r["label_probs"][0] - 0.5) < 1e-6 for r in out)
        assert sorted(r["label_original"][0] for r in out) == sorted(df["label"])
    # the votes on each example equal the LFs applied directly to the CSV rows
    lfs = load_lfs("datalife.labeling.examples.youtube_spam")
    both = pd.concat([src["train"], src["eval"]])
    L, _ = apply_batch(lfs, {"CONTENT": both["CONTENT"].tolist()}, both["COMMENT_ID"].tolist())
    by_id = {}
    for cid, row in zip(both["COMMENT_ID"], map(tuple, L)):
        by_id.setdefault(cid, []).append(row)
    assert _votes_by_id(rows, "COMMENT_ID") == {k: sorted(v) for k, v in by_id.items()}
    # the demo's dev split: the chosen aggregate is never below majority vote
    dev = report["dev"]
    assert dev["rows"] == 100 and dev["accuracy"][report["chosen"]] >= dev["accuracy"]["majority_vote"]
    patterns = np.load(Path(result.output_uri("WeakLabeler", "label_matrix"), "vote_patterns.npz"))
    assert int(patterns["train/counts"].sum()) == len(src["train"])
    html = Path(result.output_uri("WeakLabeler", "report"), "report.html").read_text()
    assert "majority_vote" in html and "keyword_subscribe" in html and "lf_bars.png" in html


def test_demo_lineage_reaches_the_input_with_lf_module_hash_and_seed(demo):
    from datalife.labeling.lf_loader import module_sha256
    from datalife.pipeline import mlmd
    from datalife.pipeline.lineage import lineage_text

    cfg, result = demo
    store = mlmd.open_store(cfg.metadata_path)
    [weak] = [e for e in result.executions if e.component == "WeakLabeler"]
    text = lineage_text(store, weak.output_ids["labeled_examples"][0])
    assert f"param input_base = {REPO / 'data' / 'messages'}" in text
    assert f"param lf_module_sha256 = {module_sha256('datalife.labeling.examples.youtube_spam')}" in text
    assert '"lf_module":"datalife.labeling.examples.youtube_spam"' in text and '"seed":42' in text


def test_identical_whatever_direct_num_workers(demo, tmp_path):
    cfg, first = demo
    beam = cfg.beam.model_copy(update={"direct_num_workers": 2, "direct_running_mode": "multi_threading"})
    _, second = run_config(DEMO, tmp_path, beam=beam)
    (r1, rows1), (r2, rows2) = _outputs(first), _outputs(second)
    assert rows1 == rows2  # every example, its votes, label, probabilities and label source
    assert r1["dev"] == r2["dev"] and r1["chosen"] == r2["chosen"]


CONFIG = """\
name: lf-faults
components:
  example_gen: {{input: data, splits: {{train: 1}}}}
  weak_labeler: {{lf_module: lf_fixtures, id_field: id, fault_tolerant: {tolerant}, label_model: {{epochs: 20}}}}
  example_validator: {{on_anomalies: warn}}
"""


def _fault_case(tmp_path, tolerant: bool):
    (tmp_path / "data").mkdir()
    pd.DataFrame({"id": ["a", "b", "c", "d"], "text": ["hello", "boom", "buy it", "boom buy"]}).to_csv(
        tmp_path / "data" / "t.csv", index=False)
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.format(tolerant=str(tolerant).lower()))
    return path


def test_raising_lf_fails_the_run_naming_lf_and_example(tmp_path):
    with pytest.raises(PipelineFailed, match=r"LFError: labeling function 'fragile' raised RuntimeError: "
                                             r"cannot handle boom on example '[bd]\|"):
        run_config(_fault_case(tmp_path, False), tmp_path / "runs")


def test_fault_tolerant_run_counts_faults_per_lf(tmp_path):
    _, result = run_config(_fault_case(tmp_path, True), tmp_path / "runs")
    report, rows = _outputs(result)
    assert report["lf_faults"] == {"spam_kw": 0, "fragile": 2, "short": 0}
    got = {k: list(v[0]) for k, v in _votes_by_id(rows, "id").items()}
    assert got == {"a": [-1, 0, 0], "b": [-1, -1, 0], "c": [1, -1, -1], "d": [1, -1, -1]}


YOUTUBE = """\
name: youtube-spam
components:
  example_gen:
    format: csv
    input: {folder}
    input_splits: {{train: "Youtube0[1-4]-*.csv", eval: "Youtube05-*.csv"}}
  weak_labeler:
    lf_module: datalife.labeling.examples.youtube_spam
    id_field: COMMENT_ID
    label_model: {{epochs: 500, seed: 123, tie_break: random}}
    dev_split: eval
  example_validator: {{on_anomalies: warn}}
"""


def test_youtube_spam_matches_snorkel_and_beats_the_tutorial(tmp_path):
    folder = shared_dataset("youtube_spam")
    # the CSVs go to ExampleGen as they are (one Eminem comment has line breaks inside quotes)
    frames = {Path(f).stem: pd.read_csv(f) for f in sorted(glob.glob(str(folder / "*.csv")))}
    (tmp_path / "c.yaml").write_text(YOUTUBE.format(folder=folder))
    _, result = run_config(tmp_path / "c.yaml", tmp_path / "runs")
    report, rows = _outputs(result)

    from snorkel.labeling import PandasLFApplier

    lfs = load_lfs("datalife.labeling.examples.youtube_spam")
    all_rows = pd.concat(frames.values())
    snorkel_L = PandasLFApplier(lfs).apply(all_rows, progress_bar=False)
    theirs = {}
    for cid, row in zip(all_rows["COMMENT_ID"], snorkel_L):
        theirs.setdefault(cid, []).append(tuple(row))
    assert _votes_by_id(rows, "COMMENT_ID") == {k: sorted(v) for k, v in theirs.items()}
    assert len(rows) == 1956

    dev = report["dev"]
    assert dev["rows"] == 370
    print(f"\nYouTube (Shakira as the dev split, 370 comments): {dev['accuracy']}, chosen {report['chosen']}, "
          f"coverage {dev['coverage']:.3f}")
    # majority vote is the oracle: the chosen aggregate is never below it (tutorial: label model 86.0%)
    assert dev["accuracy"][report["chosen"]] >= dev["accuracy"]["majority_vote"] >= 0.88
    assert abs(dev["coverage"] - 327 / 370) < 1e-12
    assert report["splits"]["train"]["rows_in"] == 1586
