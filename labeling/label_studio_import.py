"""Label Studio's JSON export -> gold labels with provenance.

    result = read_annotations("export.json", classes=["ham", "spam"], expected=manifest)
    result.gold           # key, label, label_source="human", annotator, annotated_at, ...
    result.annotations    # every usable annotation (two annotators of one task: two rows)
    result.disagreements  # keys whose annotators disagree, resolved or not
    result.quarantine     # what was set aside, with the reason
    result.counts         # the accounting below

An answer maps back to its example through the task's ``data.datalife_key`` (written by
``label_studio_tasks.batch_tasks``), checked against ``expected``, the examples that were
sent (a DataFrame with ``key`` and optionally ``batch_id``, e.g. the batch itself).

Rules:
- a task whose key is missing or was not sent (or was sent in another batch) is
  quarantined (``unknown_task``) with all its annotations;
- an annotation is quarantined when cancelled (``cancelled``: the annotator skipped
  it), when it has no choice for ``from_name`` (``no_choice``), more than one
  (``multiple_choices``), or a class outside ``classes`` (``class_not_in_vocabulary``);
  an annotator's older annotation of a task they annotated again is ``superseded``;
- resolution per key: each annotator's latest annotation is one vote; a label with a
  strict majority of the votes becomes the gold label (``agreement`` = its share);
  otherwise the key is ``unresolved`` (quarantined as ``disagreement``), and every
  annotation is kept in ``annotations``. Keys with more than one label among their
  votes are listed in ``disagreements`` either way.

Accounting (``counts``; ``check_accounting`` asserts it):
``tasks_in = tasks_matched + tasks_quarantined``;
``annotations_in = annotations_used + annotations_quarantined`` (per reason in
``annotation_reasons``); ``keys_returned = keys_gold + keys_unresolved + keys_unanswered``.
``expected_not_returned`` counts sent examples absent from the export."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence, Union

import pandas as pd

from datalife.labeling.label_studio_tasks import BATCH_FIELD, FROM_NAME, KEY_FIELD

__all__ = ["read_annotations", "AnnotationImport", "LabelImportError", "check_accounting", "ACCOUNTING"]

ACCOUNTING = {
    "tasks_in": ("tasks_matched", "tasks_quarantined"),
    "annotations_in": ("annotations_used", "annotations_quarantined"),
    "keys_returned": ("keys_gold", "keys_unresolved", "keys_unanswered"),
}
ANNOTATION_COLUMNS = ["key", "batch_id", "label", "label_source", "annotator", "annotated_at", "task_id",
                      "annotation_id", "lead_time"]
GOLD_COLUMNS = ["key", "label", "label_source", "annotator", "annotated_at", "batch_id", "n_annotations",
                "agreement", "annotators", "task_id"]
QUARANTINE_COLUMNS = ["file", "task_id", "key", "annotation_id", "annotator", "reason", "detail"]


class LabelImportError(ValueError):
    """An export that cannot be read at all; the message names the file (and task)."""


@dataclass
class AnnotationImport:
    annotations: pd.DataFrame
    gold: pd.DataFrame
    disagreements: pd.DataFrame
    quarantine: pd.DataFrame
    counts: dict = field(default_factory=dict)


def check_accounting(counts: dict) -> None:
    for total, parts in ACCOUNTING.items():
        if counts[total] != sum(counts[p] for p in parts):
            raise AssertionError(f"{total}={counts[total]} != {' + '.join(f'{p}={counts[p]}' for p in parts)}")


def _load(export, where: str) -> list:
    if isinstance(export, (list, tuple)):
        return list(export)
    try:
        with open(export, "rb") as f:
            doc = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LabelImportError(f"{where}: not a JSON file ({exc})") from None
    if not isinstance(doc, list):
        raise LabelImportError(f"{where}: a Label Studio JSON export is a list of tasks, got {type(doc).__name__}")
    return doc


def _annotator(completed_by, annotators: Mapping) -> str:
    if isinstance(completed_by, dict):
        uid = completed_by.get("id")
        return str(completed_by.get("email") or annotators.get(uid) or f"user:{uid}")
    if completed_by is None:
        return "unknown"
    return str(annotators.get(completed_by, annotators.get(str(completed_by), f"user:{completed_by}")))


def _choices(result, from_name: str) -> Optional[list]:
    found = None
    for r in result or []:
        if isinstance(r, dict) and r.get("from_name") == from_name and r.get("type", "choices") == "choices":
            found = (found or []) + list((r.get("value") or {}).get("choices") or [])
    return found


def _expected(expected) -> dict:
    if isinstance(expected, pd.DataFrame):
        if "key" not in expected.columns:
            raise LabelImportError(f"expected: needs a 'key' column (columns: {list(expected.columns)})")
        batch = expected["batch_id"] if "batch_id" in expected.columns else [None] * len(expected)
        return {str(k): (None if b is None else str(b)) for k, b in zip(expected["key"], batch)}
    return {str(k): None for k in expected}


def read_annotations(export: Union[str, list], classes: Sequence, *, expected: Union[pd.DataFrame, Iterable[str]],
                     from_name: str = FROM_NAME, annotators: Optional[Mapping] = None) -> AnnotationImport:
    """Read one Label Studio JSON export (a path or the parsed list); see the module docstring."""
    where = export if isinstance(export, str) else "<export>"
    tasks = _load(export, where)
    sent = _expected(expected)
    vocab = {str(c): c for c in classes}
    annotators = dict(annotators or {})
    quarantine, rows = [], []
    c = Counter()
    matched_keys = []

    def q(task_id, key, ann_id, who, reason, detail):
        quarantine.append({"file": where, "task_id": task_id, "key": key, "annotation_id": ann_id,
                           "annotator": who, "reason": reason, "detail": detail})

    for t, task in enumerate(tasks):
        c["tasks_in"] += 1
        if not isinstance(task, dict):
            raise LabelImportError(f"{where}: tasks[{t}] is not an object")
        task_id = task.get("id", f"tasks[{t}]")
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        anns = task.get("annotations") or []
        if not isinstance(anns, list):
            raise LabelImportError(f"{where}: task {task_id}: 'annotations' is not a list")
        c["annotations_in"] += len(anns)
        key = data.get(KEY_FIELD)
        batch = data.get(BATCH_FIELD)
        problem = None
        if key is None:
            problem = f"no data.{KEY_FIELD}: not a task datalife sent"
        elif str(key) not in sent:
            problem = f"key {key!r} was not in the batch that was sent"
        elif sent[str(key)] is not None and batch is not None and str(batch) != sent[str(key)]:
            problem = f"key {key!r} was sent in batch {sent[str(key)]!r}, the task says batch {batch!r}"
        if problem:
            c["tasks_quarantined"] += 1
            q(task_id, None if key is None else str(key), None, None, "unknown_task",
              f"{problem} ({len(anns)} annotations set aside)")
            c["annotation_reason:unknown_task"] += len(anns)
            continue
        key = str(key)
        c["tasks_matched"] += 1
        matched_keys.append(key)
        for a, ann in enumerate(anns):
            if not isinstance(ann, dict):
                raise LabelImportError(f"{where}: task {task_id}: annotations[{a}] is not an object")
            ann_id = ann.get("id", f"annotations[{a}]")
            who = _annotator(ann.get("completed_by"), annotators)
            if ann.get("was_cancelled"):
                q(task_id, key, ann_id, who, "cancelled", "the annotator skipped the task")
                c["annotation_reason:cancelled"] += 1
                continue
            chosen = _choices(ann.get("result"), from_name)
            if not chosen:
                q(task_id, key, ann_id, who, "no_choice", f"no '{from_name}' choice in the result")
                c["annotation_reason:no_choice"] += 1
                continue
            if len(chosen) > 1:
                q(task_id, key, ann_id, who, "multiple_choices", f"{len(chosen)} choices {chosen}; expected one")
                c["annotation_reason:multiple_choices"] += 1
                continue
            if str(chosen[0]) not in vocab:
                q(task_id, key, ann_id, who, "class_not_in_vocabulary",
                  f"class {chosen[0]!r} is not one of {list(vocab)}")
                c["annotation_reason:class_not_in_vocabulary"] += 1
                continue
            when = pd.to_datetime(ann.get("updated_at") or ann.get("created_at"), utc=True, errors="coerce")
            rows.append({"key": key, "batch_id": None if batch is None else str(batch),
                         "label": vocab[str(chosen[0])], "label_source": "human", "annotator": who,
                         "annotated_at": when, "task_id": task_id, "annotation_id": ann_id,
                         "lead_time": ann.get("lead_time")})

    ann_df = pd.DataFrame(rows, columns=ANNOTATION_COLUMNS)
    if len(ann_df):
        ann_df["annotated_at"] = pd.to_datetime(ann_df["annotated_at"], utc=True)
        # one vote per annotator and key: their latest annotation
        ann_df = ann_df.sort_values(["key", "annotator", "annotated_at", "annotation_id"], kind="stable",
                                    na_position="first")
        older = ann_df.duplicated(["key", "annotator"], keep="last")
        for rec in ann_df[older].to_dict("records"):
            q(rec["task_id"], rec["key"], rec["annotation_id"], rec["annotator"], "superseded",
              "the same annotator annotated this example again later; the later annotation counts")
        c["annotation_reason:superseded"] += int(older.sum())
        ann_df = ann_df[~older].reset_index(drop=True)
    c["annotations_used"] = len(ann_df)

    gold, disagreements = [], []
    for key, grp in ann_df.groupby("key", sort=True):
        votes = Counter(grp["label"].map(str))
        n = len(grp)
        top, top_n = max(sorted(votes.items()), key=lambda kv: kv[1])
        resolved = top_n * 2 > n
        if len(votes) > 1:
            disagreements.append({"key": key, "votes": dict(votes), "annotators": dict(zip(grp["annotator"],
                                  grp["label"].map(str))), "resolved": resolved, "label": vocab[top] if resolved else None})
        if not resolved:
            c["keys_unresolved"] += 1
            q(";".join(map(str, sorted(set(grp["task_id"])))), key, None, ";".join(grp["annotator"]), "disagreement",
              f"no majority among {n} annotators: {dict(votes)}")
            continue
        win = grp[grp["label"].map(str) == top]
        gold.append({"key": key, "label": vocab[top], "label_source": "human",
                     "annotator": ";".join(sorted(win["annotator"])), "annotated_at": win["annotated_at"].max(),
                     "batch_id": win["batch_id"].iloc[0], "n_annotations": n, "agreement": top_n / n,
                     "annotators": ";".join(sorted(grp["annotator"])), "task_id": win["task_id"].iloc[0]})
    keys_returned = set(matched_keys)
    c["keys_returned"] = len(keys_returned)
    c["keys_gold"] = len(gold)
    c["keys_unanswered"] = len(keys_returned) - len(gold) - c["keys_unresolved"]
    c["expected_not_returned"] = len(set(sent) - keys_returned)
    reasons = {k.split(":", 1)[1]: v for k, v in c.items() if k.startswith("annotation_reason:") and v}
    counts = {k: int(c[k]) for k in ("tasks_in", "tasks_matched", "tasks_quarantined", "annotations_in",
                                     "annotations_used", "keys_returned", "keys_gold", "keys_unresolved",
                                     "keys_unanswered", "expected_not_returned")}
    counts["annotations_quarantined"] = sum(reasons.values())
    counts["annotation_reasons"] = reasons
    counts["disagreements"] = len(disagreements)
    check_accounting(counts)
    return AnnotationImport(annotations=ann_df, gold=pd.DataFrame(gold, columns=GOLD_COLUMNS),
                            disagreements=pd.DataFrame(disagreements,
                                                       columns=["key", "votes", "annotators", "resolved", "label"]),
                            quarantine=pd.DataFrame(quarantine, columns=QUARANTINE_COLUMNS), counts=counts)
