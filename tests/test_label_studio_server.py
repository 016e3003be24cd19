"""The labeling round trip through a REAL Label Studio server (label-studio 1.23.2 from
PyPI in its own env, see tests/tools/): select a batch of YouTube comments to label,
export it as Label Studio tasks, create a project and import the tasks over the HTTP
API, annotate as two annotators would (the test knows the true labels; one task
skipped, one disagreement, one task made by hand in Label Studio, one never sent),
export, read the export back into datalife and check every label and its provenance.

Then one round through the command line on the same server: ``datalife labels next
--push`` (a parquet pool with an embedding column; a project made over the API), the
tasks annotated over the API, ``datalife labels import --pull`` (export and users
fetched from the server), gold labels and MLMD lineage checked.

Slow (server start-up ~1-2 min, first env creation ~1 min with network): one test.
Skips, saying why, where label-studio cannot be installed or started."""
import json
import time

import numpy as np
import pandas as pd
import pytest

from conftest import shared_dataset
from datalife.labeling.active.select import select
from datalife.labeling.gold_labels import merge_labels
from datalife.labeling.label_studio_import import read_annotations
from datalife.labeling.label_studio_tasks import batch_tasks, label_config
from label_studio_server import ADMIN, label_studio_server

CLASSES = ["ham", "spam"]
BATCH = 12


def _comments() -> pd.DataFrame:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    df = pd.read_csv(shared_dataset("youtube_spam") / "Youtube05-Shakira.csv")
    df = df.drop_duplicates("COMMENT_ID").reset_index(drop=True)
    tfidf = TfidfVectorizer(min_df=2).fit_transform(df["CONTENT"])
    df["embedding"] = list(TruncatedSVD(30, random_state=0).fit_transform(tfidf))
    df["truth"] = np.where(df["label"] == 1, "spam", "ham")
    return df


def _choice(label):
    return [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [label]}}]


def test_label_studio_round_trip(tmp_path, monkeypatch):
    df = _comments()
    # a few labels to start from, as the dataset gives them
    start = pd.concat([df[df["truth"] == c].head(3) for c in CLASSES])
    df["label"] = None
    df.loc[start.index, "label"] = start["truth"]
    batch = select(df, key_column="COMMENT_ID", features="embedding", label_column="label", classes=CLASSES,
                   strategy="hybrid", batch_size=BATCH, seed=0)
    batch = batch.merge(df[["COMMENT_ID", "CONTENT", "truth"]], left_on="key", right_on="COMMENT_ID")
    batch["batch_id"] = "shakira-0001"
    tasks = batch_tasks(batch, batch_id="shakira-0001", kind="text", data_column="CONTENT")
    truth = dict(zip(batch["key"], batch["truth"]))
    stray = {"data": {"text": "a comment nobody sent", "datalife_key": "not-sent", "datalife_batch": "shakira-0001"}}

    t0 = time.perf_counter()
    with label_studio_server() as ls:
        project = ls.post("/api/projects", {"title": "datalife round trip", "label_config": label_config(CLASSES)})
        pid = project["id"]
        assert ls.post(f"/api/projects/{pid}/import", tasks + [stray])["task_count"] == BATCH + 1
        hand = ls.post("/api/tasks", {"project": pid, "data": {"text": "typed in by hand"}})
        second = ls.post("/api/users", {"email": "annotator.two@example.org", "username": "annotator2",
                                        "first_name": "Annotator", "last_name": "Two"})
        listed = ls.get(f"/api/tasks?project={pid}&page_size=1000")["tasks"]
        by_key = {t["data"].get("datalife_key"): t["id"] for t in listed}
        assert set(truth) <= set(by_key)

        keys = list(batch["key"])
        skipped, both_agree, both_disagree = keys[0], keys[1:3], keys[3]
        t_ann = pd.Timestamp.now(tz="UTC").floor("s")
        for key in keys:  # annotator one labels every task with the truth, skips one
            if key == skipped:
                ls.post(f"/api/tasks/{by_key[key]}/annotations", {"result": [], "was_cancelled": True})
            else:
                ls.post(f"/api/tasks/{by_key[key]}/annotations", {"result": _choice(truth[key]), "lead_time": 4.2})
        for key in both_agree:  # annotator two agrees on two tasks ...
            ls.post(f"/api/tasks/{by_key[key]}/annotations", {"result": _choice(truth[key]),
                                                              "completed_by": second["id"]})
        wrong = "spam" if truth[both_disagree] == "ham" else "ham"  # ... and disagrees on one
        ls.post(f"/api/tasks/{by_key[both_disagree]}/annotations", {"result": _choice(wrong),
                                                                     "completed_by": second["id"]})
        ls.post(f"/api/tasks/{by_key['not-sent']}/annotations", {"result": _choice("ham")})
        ls.post(f"/api/tasks/{hand['id']}/annotations", {"result": _choice("spam")})
        exported = ls.get(f"/api/projects/{pid}/export?exportType=JSON&download_all_tasks=true")
        users = {u["id"]: u["email"] for u in ls.get("/api/users")}
        cli_round = _cli_round(ls, df, start, tmp_path, monkeypatch)
        timing = {"env_s": ls.env_seconds, "start_s": ls.start_seconds}
    t_end = pd.Timestamp.now(tz="UTC")
    timing["test_s"] = time.perf_counter() - t0
    print(f"\nLabel Studio round trip timing: {timing}")

    got = read_annotations(exported, CLASSES, expected=batch[["key", "batch_id"]], annotators=users)
    gold = got.gold.set_index("key")
    answered = [k for k in keys if k not in (skipped, both_disagree)]
    assert sorted(gold.index) == sorted(answered)
    for key in answered:  # every label, and its provenance
        row = gold.loc[key]
        assert row["label"] == truth[key]
        assert row["label_source"] == "human" and row["batch_id"] == "shakira-0001"
        want = f"{ADMIN};annotator.two@example.org" if key in both_agree else ADMIN
        assert row["annotator"] == want
        assert row["n_annotations"] == (2 if key in both_agree else 1) and row["agreement"] == 1.0
        assert t_ann - pd.Timedelta(seconds=5) <= row["annotated_at"] <= t_end
        assert row["task_id"] == by_key[key]
    ann = got.annotations[got.annotations["key"] == both_disagree]
    assert sorted(zip(ann["annotator"], ann["label"])) == sorted([(ADMIN, truth[both_disagree]),
                                                                 ("annotator.two@example.org", wrong)])
    assert got.disagreements.set_index("key").loc[both_disagree, "resolved"] == False  # noqa: E712
    single = [k for k in answered if k not in both_agree]
    lead = got.annotations.set_index("key").loc[single, "lead_time"]
    assert lead.tolist() == pytest.approx([4.2] * len(single))
    reasons = got.quarantine.groupby("reason")["key"].apply(lambda k: sorted(map(str, k))).to_dict()
    assert reasons == {"cancelled": [skipped], "disagreement": [both_disagree], "unknown_task": ["None", "not-sent"]}
    c = got.counts
    assert (c["tasks_in"], c["tasks_matched"], c["tasks_quarantined"]) == (BATCH + 2, BATCH, 2)
    assert (c["keys_gold"], c["keys_unresolved"], c["keys_unanswered"]) == (BATCH - 2, 1, 1)
    assert c["annotations_in"] == c["annotations_used"] + c["annotations_quarantined"] == BATCH + 3 + 2

    _check_cli_round(*cli_round)

    before = pd.DataFrame({"key": start["COMMENT_ID"], "label": start["truth"], "label_source": "dataset",
                           "annotator": "", "annotated_at": None})
    merged, changes, counts = merge_labels(before, got.gold)
    assert counts["added"] == BATCH - 2 and counts["rows_out"] == 6 + BATCH - 2 and changes.empty
    assert merged.set_index("key")["label"].to_dict() == {**dict(zip(start["COMMENT_ID"], start["truth"])),
                                                         **{k: truth[k] for k in answered}}


def _cli_round(ls, df, start, tmp_path, monkeypatch):
    """labels next --push -> annotate over the API -> labels import --pull."""
    from datalife.cli import main

    pool = df[["COMMENT_ID", "CONTENT", "embedding"]].copy()
    pool["embedding"] = pool["embedding"].map(list)
    pool["label"] = None
    pool.loc[start.index, "label"] = start["truth"]
    pool.to_parquet(tmp_path / "pool.parquet")
    monkeypatch.setenv("DATALIFE_TEST_LS_TOKEN", ls.token)
    out = tmp_path / "lab"
    assert main(["labels", "next", str(tmp_path / "pool.parquet"), "-o", str(out), "--embedding", "embedding",
                 "--key-column", "COMMENT_ID", "--show-column", "CONTENT", "--classes", "ham,spam",
                 "--batch-size", str(BATCH), "--push", ls.url, "--token-env", "DATALIFE_TEST_LS_TOKEN"]) == 0
    info = json.loads((out / "rounds" / "0001" / "round.json").read_text())
    pid = info["label_studio"]["project"]
    listed = ls.get(f"/api/tasks?project={pid}&page_size=1000")["tasks"]
    assert sorted(t["data"]["datalife_key"] for t in listed) == sorted(info["keys"])
    truth = dict(zip(df["COMMENT_ID"], df["truth"]))
    for t in listed:  # one annotator answers every task with the truth
        ls.post(f"/api/tasks/{t['id']}/annotations", {"result": _choice(truth[t["data"]["datalife_key"]])})
    assert main(["labels", "import", str(out), "--pull"]) == 0
    return out, info, truth, {t["data"]["datalife_key"]: t["id"] for t in listed}


def _check_cli_round(out, info, truth, task_ids):
    from datalife.pipeline import mlmd

    labels = pd.read_csv(out / "labels.csv", dtype={"key": str}).set_index("key")
    assert sorted(labels.index) == sorted(info["keys"]) and len(labels) == BATCH
    for key in info["keys"]:
        assert labels.loc[key, "label"] == truth[key] and labels.loc[key, "label_source"] == "human"
        assert labels.loc[key, "annotator"] == ADMIN and labels.loc[key, "task_id"] == task_ids[key]
        assert labels.loc[key, "round"] == 1 and pd.notna(labels.loc[key, "annotated_at"])
    done = json.loads((out / "rounds" / "0001" / "round.json").read_text())
    store = mlmd.open_store(out / "metadata.sqlite")
    [imp] = [n for n in mlmd.upstream(store, done["mlmd"]["gold_artifact"]) if n.component == "LabelImport"]
    assert [a for k, a, _, _ in imp.inputs if k == "labeling_batch"] == [done["mlmd"]["batch_artifact"]]
    assert [uri for k, _, _, uri in imp.inputs if k == "export"] == [
        f"{done['label_studio']['url']}/projects/{done['label_studio']['project']}"]
