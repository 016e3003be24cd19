"""Label Studio round trip without a server: tasks (JSON import format, CSV, labeling
interface), reading an export back (unknown tasks, classes outside the vocabulary, two
annotators agreeing and disagreeing, skipped and repeated annotations) and the merge
rule with earlier labels. The real-server round trip is tests/test_label_studio_server.py."""
import csv
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from datalife.labeling.gold_labels import MergeError, merge_labels
from datalife.labeling.label_studio_import import LabelImportError, read_annotations
from datalife.labeling.label_studio_tasks import TaskError, batch_tasks, label_config, write_tasks_csv, write_tasks_json

CLASSES = ["ham", "spam"]


@pytest.fixture()
def batch():
    return pd.DataFrame({"rank": [1, 2, 3], "key": ["c1", "c2", "c3"], "row": [5, 9, 2], "strategy": "margin",
                         "score": [0.99, 0.8, 0.7], "reason": ["r1", "r2", "r3"], "group": -1,
                         "predicted": ["spam", "ham", None], "confidence": [0.51, 0.6, float("nan")],
                         "text": ["check out my channel", "love this song", "subscribe pls"],
                         "image": ["img/1.png", "img/2.png", "img/3.png"]})


def test_label_config_is_valid_xml_with_every_class():
    root = ET.fromstring(label_config(["ham", "spam & eggs", '"quoted"'], kind="image"))
    assert root.find("Image").attrib == {"name": "image", "value": "$image"}
    choices = root.find("Choices")
    assert choices.attrib["name"] == "label" and choices.attrib["toName"] == "image"
    assert [c.attrib["value"] for c in choices] == ["ham", "spam & eggs", '"quoted"']
    with pytest.raises(TaskError, match="kind: expected one of"):
        label_config(CLASSES, kind="audio")


def test_batch_tasks_text_and_image(batch, tmp_path):
    tasks = batch_tasks(batch, batch_id="b-1", kind="text")
    assert tasks[0] == {
        "data": {"text": "check out my channel", "datalife_key": "c1", "datalife_batch": "b-1"},
        "meta": {"datalife_rank": 1, "datalife_score": 0.99, "datalife_strategy": "margin", "datalife_reason": "r1"},
        "predictions": [{"model_version": "datalife", "score": 0.51, "result": [
            {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["spam"]}}]}]}
    assert "predictions" not in tasks[2]  # no model guess (NaN / None)
    images = batch_tasks(batch, batch_id="b-1", kind="image", url_prefix="/data/local-files/?d=", predictions=False)
    assert images[1]["data"]["image"] == "/data/local-files/?d=img/2.png" and "predictions" not in images[1]
    path = write_tasks_json(tasks, str(tmp_path / "tasks.json"))
    assert json.load(open(path)) == tasks
    rows = list(csv.DictReader(open(write_tasks_csv(tasks, str(tmp_path / "tasks.csv")))))
    assert [r["datalife_key"] for r in rows] == ["c1", "c2", "c3"]
    assert rows[1]["text"] == "love this song" and rows[1]["datalife_batch"] == "b-1"
    assert rows[0]["datalife_score"] == "0.99"


def test_batch_tasks_bad_input(batch):
    with pytest.raises(TaskError, match=r"batch: no column 'content'"):
        batch_tasks(batch, batch_id="b", kind="text", data_column="content")
    bad = batch.copy()
    bad.loc[1, "text"] = None
    with pytest.raises(TaskError, match=r"example 'c2' has no 'text'"):
        batch_tasks(bad, batch_id="b", kind="text")
    dup = pd.concat([batch, batch.iloc[:1]])
    with pytest.raises(TaskError, match=r"key 'c1' occurs more than once"):
        batch_tasks(dup, batch_id="b", kind="text")


def _ann(aid, user, choice, when, **extra):
    result = [] if choice is None else [{"from_name": "label", "to_name": "text", "type": "choices",
                                         "value": {"choices": choice if isinstance(choice, list) else [choice]}}]
    return {"id": aid, "completed_by": user, "result": result, "was_cancelled": False,
            "created_at": when, "updated_at": when, "lead_time": 2.5, **extra}


def _task(tid, key, anns, batch="b-1"):
    data = {"text": "x"}
    if key is not None:
        data.update({"datalife_key": key, "datalife_batch": batch})
    return {"id": tid, "data": data, "annotations": anns}


def export():
    return [
        _task(1, "c1", [_ann(11, 1, "spam", "2026-01-01T10:00:00Z"),
                        _ann(12, {"id": 2, "email": "bo@example.org"}, "spam", "2026-01-01T10:05:00Z")]),  # agree
        _task(2, "c2", [_ann(21, 1, "ham", "2026-01-01T10:01:00Z"),
                        _ann(22, {"id": 2, "email": "bo@example.org"}, "spam", "2026-01-01T10:06:00Z")]),  # 1 vs 1
        _task(3, "c3", [_ann(31, 1, "eggs", "2026-01-01T10:02:00Z")]),  # class outside the vocabulary
        _task(4, "zz", [_ann(41, 1, "ham", "2026-01-01T10:03:00Z")]),  # never sent
        _task(5, None, [_ann(51, 1, "ham", "2026-01-01T10:03:00Z")]),  # made by hand in Label Studio
        _task(6, "c4", [_ann(61, 1, None, "2026-01-01T10:04:00Z", was_cancelled=True)]),  # skipped
        _task(7, "c5", [_ann(71, 1, "ham", "2026-01-01T10:00:00Z"), _ann(72, 1, "spam", "2026-01-01T11:00:00Z"),
                        _ann(73, 3, "spam", "2026-01-01T11:30:00Z"), _ann(74, 2, "ham", "2026-01-01T11:40:00Z")]),
        _task(8, "c6", [_ann(81, 1, ["ham", "spam"], "2026-01-01T10:00:00Z"), _ann(82, 3, None, "2026-01-01T10:00:00Z")]),
        _task(9, "c7", [], batch="b-0"),  # sent in another batch
        _task(10, "c8", []),  # not annotated yet
    ]


EXPECTED = pd.DataFrame({"key": ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"], "batch_id": "b-1"})


def test_read_annotations_rules_and_accounting():
    got = read_annotations(export(), CLASSES, expected=EXPECTED, annotators={1: "al@example.org", 3: "cy@example.org"})
    gold = got.gold.set_index("key")
    assert gold["label"].to_dict() == {"c1": "spam", "c5": "spam"}
    assert (gold["label_source"] == "human").all()
    assert gold.loc["c1", "annotator"] == "al@example.org;bo@example.org" and gold.loc["c1", "agreement"] == 1.0
    assert gold.loc["c1", "annotated_at"] == pd.Timestamp("2026-01-01T10:05:00Z")
    # c5: al's later 'spam' supersedes al's 'ham'; votes al spam, cy spam, bo ham -> spam 2 of 3
    assert gold.loc["c5", "annotator"] == "al@example.org;cy@example.org"
    assert gold.loc["c5", "agreement"] == pytest.approx(2 / 3) and gold.loc["c5", "n_annotations"] == 3
    assert gold.loc["c5", "batch_id"] == "b-1" and gold.loc["c5", "task_id"] == 7
    # both annotations of c2 are kept; the disagreement is reported, no gold label
    c2 = got.annotations[got.annotations["key"] == "c2"]
    assert sorted(c2["label"]) == ["ham", "spam"] and sorted(c2["annotator"]) == ["al@example.org", "bo@example.org"]
    dis = got.disagreements.set_index("key")
    assert dis.loc["c2", "votes"] == {"ham": 1, "spam": 1} and not dis.loc["c2", "resolved"]
    assert dis.loc["c5", "resolved"] and dis.loc["c5", "label"] == "spam"
    reasons = got.quarantine.groupby("reason")["key"].apply(lambda k: sorted(map(str, k))).to_dict()
    assert reasons == {"cancelled": ["c4"], "class_not_in_vocabulary": ["c3"], "disagreement": ["c2"],
                       "multiple_choices": ["c6"], "no_choice": ["c6"], "superseded": ["c5"],
                       "unknown_task": ["None", "c7", "zz"]}
    q = got.quarantine.set_index("reason")
    assert "'eggs' is not one of ['ham', 'spam']" in q.loc["class_not_in_vocabulary", "detail"]
    assert "sent in batch 'b-1', the task says batch 'b-0'" in q.loc["unknown_task"].set_index("key").loc["c7", "detail"]
    c = got.counts
    assert (c["tasks_in"], c["tasks_matched"], c["tasks_quarantined"]) == (10, 7, 3)
    assert (c["annotations_in"], c["annotations_used"], c["annotations_quarantined"]) == (14, 7, 7)
    assert c["annotation_reasons"] == {"unknown_task": 2, "class_not_in_vocabulary": 1, "cancelled": 1,
                                       "multiple_choices": 1, "no_choice": 1, "superseded": 1}
    assert (c["keys_returned"], c["keys_gold"], c["keys_unresolved"], c["keys_unanswered"]) == (7, 2, 1, 4)
    assert c["expected_not_returned"] == 2  # c7 (wrong batch) and c9


def test_read_annotations_bad_files(tmp_path):
    p = tmp_path / "export.json"
    p.write_text("{not json")
    with pytest.raises(LabelImportError, match=rf"{p}: not a JSON file"):
        read_annotations(str(p), CLASSES, expected=EXPECTED)
    p.write_text(json.dumps({"tasks": []}))
    with pytest.raises(LabelImportError, match="a Label Studio JSON export is a list of tasks, got dict"):
        read_annotations(str(p), CLASSES, expected=EXPECTED)
    p.write_text(json.dumps([{"id": 1, "data": {"datalife_key": "c1"}, "annotations": "oops"}]))
    with pytest.raises(LabelImportError, match=r"task 1: 'annotations' is not a list"):
        read_annotations(str(p), CLASSES, expected=EXPECTED)


def _labels(rows):
    return pd.DataFrame(rows, columns=["key", "label", "label_source", "annotator", "annotated_at"])


def test_merge_rule():
    old = _labels([("a", "ham", "weak", "lfs", "2026-01-01"), ("b", "spam", "human", "al", "2026-01-01"),
                   ("c", "ham", "human", "al", "2026-01-01"), ("d", "ham", "human", "al", "2026-01-05"),
                   ("e", "ham", "model", "clf", "2026-01-01"), ("f", "spam", "human", "al", "2026-01-01"),
                   ("g", "ham", "dataset", "", None)])
    new = _labels([("a", "spam", "human", "bo", "2026-01-02"), ("b", "ham", "weak", "lfs", "2026-01-09"),
                   ("c", "ham", "human", "bo", "2026-01-03"), ("d", "spam", "human", "bo", "2026-01-03"),
                   ("e", "spam", "model", "clf2", "2026-01-02"), ("f", "ham", "human", "bo", "2026-01-08"),
                   ("h", "spam", "human", "bo", "2026-01-02")])
    merged, changes, counts = merge_labels(old, new)
    m = merged.set_index("key")
    assert m["label"].to_dict() == {"a": "spam", "b": "spam", "c": "ham", "d": "ham", "e": "spam", "f": "ham",
                                    "g": "ham", "h": "spam"}
    assert m.loc["a", "label_source"] == "human" and m.loc["c", "annotator"] == "al;bo"
    assert counts == {"added": 1, "human_over": 1, "kept_human": 1, "confirmed": 1, "relabeled": 1,
                      "conflict_kept": 1, "replaced": 1, "existing_in": 7, "new_in": 7, "rows_out": 8, "kept": 1}
    ch = changes.set_index("key")
    assert ch["action"].to_dict() == {"a": "human_over_weak", "c": "confirmed", "d": "conflict_kept", "e": "replaced",
                                      "f": "relabeled"}  # c: provenance changed (a second annotator)
    assert ch.loc["f", "previous_label"] == "spam" and ch.loc["f", "previous_annotator"] == "al"
    with pytest.raises(MergeError, match=r"new labels: key 'x' occurs more than once"):
        merge_labels(None, _labels([("x", "ham", "human", "a", None), ("x", "spam", "human", "b", None)]))
    with pytest.raises(MergeError, match=r"existing labels: missing columns \['annotator', 'annotated_at'\]"):
        merge_labels(pd.DataFrame({"key": ["a"], "label": ["ham"], "label_source": ["human"]}), new)
