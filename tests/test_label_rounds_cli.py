"""``datalife labels next`` -> a simulated Label Studio export -> ``datalife labels import``
-> ``labels next`` again, on files (no server: test_label_studio_server does the same
against a real one). Oracles: the core's ``select`` on the same pool, the true digit
labels the simulated annotators give, and MLMD's own events read back."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from datalife.cli import main
from datalife.labeling.active.select import select

N, START, BATCH = 300, 12, 10


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("rounds")
    X, y = load_digits(return_X_y=True)
    df = pd.DataFrame(X[:N], columns=[f"px{j:02d}" for j in range(64)])
    df.insert(0, "id", [f"d{i:04d}" for i in range(N)])
    df["label"] = pd.array([int(v) if i < START else None for i, v in enumerate(y[:N])], dtype="Int64")
    df["image"] = [f"https://example.org/digits/{i:04d}.png" for i in range(N)]
    df.to_csv(tmp / "pool.csv", index=False)
    return tmp, df, y[:N]


def _next(tmp, *extra):
    return main(["labels", "next", str(tmp / "pool.csv"), "-o", str(tmp / "lab"), "--strategy", "margin",
                 "--batch-size", str(BATCH), "--key-column", "id", "--show-column", "image", "--seed", "1",
                 "--features", ",".join(f"px{j:02d}" for j in range(64)), *extra])


def _export(tasks, truth):
    """A Label Studio JSON export as annotators 7 and 8 would leave it."""
    out = []
    for i, t in enumerate(tasks):
        key = t["data"]["datalife_key"]
        ann = [{"id": 100 + i, "completed_by": 7, "was_cancelled": False, "lead_time": 3.5,
                "created_at": f"2026-11-22T07:{i:02d}:00Z", "updated_at": f"2026-11-22T07:{i:02d}:00Z",
                "result": [{"from_name": "label", "to_name": "image", "type": "choices",
                            "value": {"choices": [str(truth[key])]}}]}]
        if i == 1:  # a second annotator agrees
            ann.append({**ann[0], "id": 200, "completed_by": 8})
        if i == 2:  # a class outside the vocabulary
            ann[0]["result"][0]["value"]["choices"] = ["eleven"]
        out.append({"id": 1000 + i, "data": t["data"], "annotations": ann})
    out.append({"id": 5000, "data": {"image": "x.png", "datalife_key": "nobody-sent-this"},
                "annotations": [{"id": 1, "completed_by": 7, "result": []}]})
    return out


@pytest.fixture(scope="module")
def two_rounds(pool):
    tmp, df, y = pool
    assert _next(tmp) == 0
    r1 = tmp / "lab" / "rounds" / "0001"
    tasks = json.loads((r1 / "tasks.json").read_text())
    truth = {f"d{i:04d}": int(v) for i, v in enumerate(y)}
    (tmp / "export.json").write_text(json.dumps(_export(tasks, truth)))
    assert main(["labels", "import", str(tmp / "lab"), str(tmp / "export.json")]) == 0
    assert _next(tmp) == 0
    return tmp, df, y, truth, tasks


def test_first_batch_is_the_cores_selection(two_rounds):
    tmp, df, y, truth, tasks = two_rounds
    want = select(df, features=[f"px{j:02d}" for j in range(64)], key_column="id", strategy="margin",
                  batch_size=BATCH, seed=1)
    batch = pd.read_csv(tmp / "lab" / "rounds" / "0001" / "batch.csv", dtype={"key": str})
    assert batch["key"].tolist() == want["key"].tolist() == [t["data"]["datalife_key"] for t in tasks]
    assert np.allclose(batch["score"], want["score"]) and (batch["batch_id"] == "round-0001").all()
    assert [t["data"]["image"] for t in tasks] == [f"https://example.org/digits/{int(k[1:]):04d}.png"
                                                   for k in batch["key"]]
    assert "<Image name=\"image\"" in (tmp / "lab" / "rounds" / "0001" / "label_config.xml").read_text()


def test_import_gives_gold_labels_with_provenance(two_rounds):
    tmp, df, y, truth, tasks = two_rounds
    labels = pd.read_csv(tmp / "lab" / "labels.csv", dtype={"key": str})
    keys = [t["data"]["datalife_key"] for t in tasks]
    answered = [k for i, k in enumerate(keys) if i != 2]
    assert sorted(labels["key"]) == sorted(answered)
    for i, rec in enumerate(labels.set_index("key").loc[answered].reset_index().to_dict("records")):
        j = keys.index(rec["key"])
        assert rec["label"] == truth[rec["key"]] and rec["label_source"] == "human" and rec["round"] == 1
        assert rec["annotator"] == ("user:7;user:8" if j == 1 else "user:7")
        assert rec["task_id"] == 1000 + j and pd.Timestamp(rec["annotated_at"]) == pd.Timestamp(
            f"2026-11-22T07:{j:02d}:00Z")
    q = pd.read_csv(tmp / "lab" / "rounds" / "0001" / "quarantine.csv")
    assert sorted(q["reason"]) == ["class_not_in_vocabulary", "unknown_task"]
    info = json.loads((tmp / "lab" / "rounds" / "0001" / "round.json").read_text())
    assert info["imported"] and info["import_counts"]["keys_gold"] == BATCH - 1


def test_second_round_uses_the_labels_and_skips_what_was_asked(two_rounds):
    tmp, df, y, truth, tasks = two_rounds
    info = json.loads((tmp / "lab" / "rounds" / "0002" / "round.json").read_text())
    assert info["labeled"] == START + BATCH - 1 and info["human_labels_used"] == BATCH - 1
    first = {t["data"]["datalife_key"] for t in tasks}
    second = set(info["keys"])
    assert len(second) == BATCH and not (second & (first - {tasks[2]["data"]["datalife_key"]}))
    # the oracle: the core on the pool with the people's labels filled in
    df2 = df.copy()
    df2["label"] = df2["label"].astype(object)
    labels = pd.read_csv(tmp / "lab" / "labels.csv", dtype={"key": str})
    df2.loc[df2["id"].isin(labels["key"]), "label"] = df2["id"].map(dict(zip(labels["key"], labels["label"])))
    want = select(df2, features=[f"px{j:02d}" for j in range(64)], key_column="id", strategy="margin",
                  batch_size=BATCH, seed=1, classes=info["classes"])
    assert info["keys"] == want["key"].tolist()


def test_lineage_links_each_batch_to_the_labels_that_came_back(two_rounds, capsys):
    from datalife.pipeline import mlmd
    from datalife.pipeline.label_rounds_mlmd import round_artifacts

    tmp, df, y, truth, tasks = two_rounds
    r1 = json.loads((tmp / "lab" / "rounds" / "0001" / "round.json").read_text())
    r2 = json.loads((tmp / "lab" / "rounds" / "0002" / "round.json").read_text())
    store = mlmd.open_store(tmp / "lab" / "metadata.sqlite")
    nodes = {n.component: n for n in mlmd.upstream(store, r2["mlmd"]["batch_artifact"])}
    assert set(nodes) == {"LabelSelection", "LabelImport"}  # round 2 was selected with round 1's labels
    imp = nodes["LabelImport"]
    assert [(k, a) for k, a, _, _ in imp.inputs if k == "labeling_batch"] == [("labeling_batch",
                                                                              r1["mlmd"]["batch_artifact"])]
    assert [(k, a) for k, a, _, _ in imp.outputs] == [("gold_labels", r1["mlmd"]["gold_artifact"])]
    assert imp.properties["round"] == "0001" and imp.properties["keys_gold"] == BATCH - 1
    capsys.readouterr()
    assert main(["lineage", str(tmp / "lab"), str(r2["mlmd"]["batch_artifact"])]) == 0
    text = capsys.readouterr().out  # round 2's batch, back through round 1's labels to the pool file
    assert "LabelSelection" in text and "LabelImport" in text and str(tmp / "pool.csv") in text
    assert "param round = 0001" in text and "param round = 0002" in text
    assert round_artifacts(store) == {
        "labeling-round-0001": {"labeling_batch": r1["mlmd"]["batch_artifact"], "gold_labels": r1["mlmd"]["gold_artifact"]},
        "labeling-round-0002": {"labeling_batch": r2["mlmd"]["batch_artifact"]}}


def test_bad_input_is_named(pool, tmp_path, capsys):
    tmp, df, y = pool
    one = df.assign(label=pd.array([1 if i < 5 else None for i in range(N)], dtype="Int64"))
    one.to_csv(tmp_path / "pool.csv", index=False)
    args = ["labels", "next", str(tmp_path / "pool.csv"), "-o", str(tmp_path / "lab"), "--key-column", "id"]
    assert main(args + ["--strategy", "margin"]) == 2
    assert "margin" in capsys.readouterr().err
    assert main(args + ["--batch-size", "500", "--strategy", "typiclust"]) == 2
    assert "larger than the unlabeled pool" in capsys.readouterr().err
    assert main(["labels", "import", str(tmp_path / "nothing")]) == 2
    assert "no labeling round" in capsys.readouterr().err
