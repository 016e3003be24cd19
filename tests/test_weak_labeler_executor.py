"""The WeakLabeler's executor called directly (no TFX orchestration) on the real
YouTube spam data (train: videos 1-4 unlabeled, dev: a hash-chosen 15% of them,
test: Shakira), written as Examples with ``common.tfrecords``:

- the component's labels, probabilities and label sources equal the notebook API's
  (``weak_api.weak_label``) on the same rows: one core, two shells;
- end to end on the Shakira comments, against majority vote as the oracle: the chosen
  aggregate is at least majority vote, the end model labels every example and beats it;
- the accounting holds per split, the report carries the LF table, the aggregator
  comparison, the pictures and the end model's dev accuracy."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared_dataset
from datalife.common.codec import encode_rows
from datalife.common.tfrecords import write_tfrecords
from datalife.labeling.aggregators import MajorityVote, expected_accuracy
from datalife.labeling.weak_api import weak_label
from youtube_data import load_youtube

EXAMPLE = "datalife.labeling.examples.youtube_spam"
SPLITS = ("train", "dev", "test")


def _write_examples(df: pd.DataFrame, root: Path):
    from tfx.types import artifact_utils, standard_artifacts

    ex = standard_artifacts.Examples()
    ex.uri = str(root / "examples")
    ex.split_names = artifact_utils.encode_split_names(list(SPLITS))
    for split in SPLITS:
        part = df[df["split"] == split]
        rows = [{"COMMENT_ID": r.COMMENT_ID, "CONTENT": r.CONTENT, "label": int(r.label)} for r in part.itertuples()]
        d = root / "examples" / f"Split-{split}"
        d.mkdir(parents=True)
        half = len(rows) // 2  # two files per split: batches come from several shards
        write_tfrecords(str(d / "part-0.gz"), encode_rows(rows[:half]))
        write_tfrecords(str(d / "part-1.gz"), encode_rows(rows[half:]))
    return ex


def _artifact(kind, uri: Path):
    from datalife.components.artifacts import ComponentReport, LabelMatrix
    from tfx.types import standard_artifacts

    a = {"examples": standard_artifacts.Examples, "matrix": LabelMatrix, "report": ComponentReport}[kind]()
    a.uri = str(uri)
    uri.mkdir(parents=True, exist_ok=True)
    return a


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import apache_beam as beam

    from datalife.components.weak_labeler import executor
    from datalife.components.weak_labeler.spec import WeakLabelerConfig
    from datalife.pipeline.examples_io import read_dataframe

    df = load_youtube(shared_dataset("youtube_spam"))
    root = tmp_path_factory.mktemp("weak_exec")
    examples = _write_examples(df, root)
    out, matrix, report = _artifact("examples", root / "out"), _artifact("matrix", root / "m"), \
        _artifact("report", root / "r")
    cfg = WeakLabelerConfig(lf_module=EXAMPLE, id_field="COMMENT_ID", class_names=["ham", "spam"],
                            dev_split="dev", end_model={"text_fields": ["CONTENT"]}, batch_size=300,
                            label_model={"seed": 0})
    executor.run(examples, out, matrix, report, cfg.model_dump_json(), beam.Pipeline())
    frames = {s: read_dataframe(out.uri, s) for s in SPLITS}
    summary = json.loads(Path(report.uri, "report.json").read_text())
    api = weak_label(df, EXAMPLE, class_names=["ham", "spam"], split_field="split", dev_split="dev",
                     id_field="COMMENT_ID", end_model={"text_fields": ["CONTENT"]}, seed=0)
    return df, frames, summary, api, Path(report.uri), Path(matrix.uri)


def test_component_labels_equal_the_notebook_api(run):
    df, frames, summary, api, _, _ = run
    unique = ~df["COMMENT_ID"].duplicated(keep=False)  # a few comments appear twice: compare the others
    ours = pd.concat(frames.values(), ignore_index=True).drop_duplicates("COMMENT_ID", keep=False) \
        .set_index("COMMENT_ID").loc[df.loc[unique, "COMMENT_ID"]]
    theirs = api.labels[unique.to_numpy()]
    assert len(ours) == len(theirs) > 1900
    assert summary["chosen"] == api.aggregate.chosen.name and summary["from_end_model"] == api.from_end_model
    assert ours["label_source"].tolist() == theirs["label_source"].tolist()
    probs = np.array(ours["label_probs"].tolist())
    np.testing.assert_allclose(probs, api.probs.to_numpy()[unique.to_numpy()], atol=1e-6)
    clear = np.abs(probs[:, 0] - probs[:, 1]) > 1e-4  # ties are broken by each shell's key (hash differs)
    assert clear.mean() > 0.95
    assert (ours["label"].to_numpy()[clear] == theirs["label"].to_numpy()[clear]).all()
    np.testing.assert_array_equal(np.array(ours["lf_votes"].tolist()), api.L.to_numpy()[unique.to_numpy()])
    # the aggregator comparison is the API's, number for number
    api_dev = api.metrics.set_index("step")["dev_accuracy"].to_dict()
    for step, acc in summary["dev"]["accuracy"].items():
        assert acc == pytest.approx(api_dev[step], abs=1e-9), step


def test_shakira_numbers_against_majority_vote(run):
    df, frames, summary, api, _, _ = run
    test = frames["test"]
    gold = test["label_original"].to_numpy()  # the input's own label, moved aside
    L = np.array(test["lf_votes"].tolist())
    mv = expected_accuracy(MajorityVote(2).predict_proba(L), gold)  # the oracle: majority vote by hand-free rule
    produced = float((test["label"].to_numpy() == gold).mean())
    acc = summary["dev"]["accuracy"]
    print(f"\nShakira test (component): produced {produced:.3f} ({summary['from_end_model']}), "
          f"majority vote {mv:.3f}; dev: {acc}")
    assert len(test) == 370 and (test["label"] >= 0).all()  # every example labeled
    assert produced >= 0.944 and produced >= mv + 0.02
    assert acc[summary["chosen"]] >= acc["majority_vote"]
    assert test["label_source"].isin(["end_model", summary["chosen"]]).all()


def test_accounting_report_and_patterns(run):
    df, frames, summary, api, report_dir, matrix_dir = run
    for s in SPLITS:
        n = int((df["split"] == s).sum())
        c = summary["splits"][s]
        assert c["rows_in"] == n == c["rows_out"] == len(frames[s])
        assert summary["accounting"]["checked"][s]["rows_in"] == n
        # the input's own label moved aside, values intact
        assert sorted(frames[s]["label_original"]) == sorted(df.loc[df["split"] == s, "label"])
    lfs = {r["lf"]: r for r in summary["lfs"]}
    assert lfs["keyword_subscribe"]["polarity"] == ["spam"]
    html = (report_dir / "report.html").read_text()
    for text in ("keyword_subscribe", "majority_vote", "label_model", "end_model", "lf_bars.png",
                 "dev_confusion.png", "Dev rows each LF got wrong"):
        assert text in html, text
    assert all((report_dir / p).is_file() for p in ("lf_bars.png", "label_distribution.png", "dev_confusion.png"))
    z = np.load(matrix_dir / "vote_patterns.npz")
    assert int(z["train/counts"].sum()) == int((df["split"] == "train").sum())
    assert int(z["dev/counts"].sum()) == int((df["split"] == "dev").sum())
