"""A batch to label -> Label Studio tasks (its JSON import format) and CSV.

Each task's ``data`` carries what the annotator sees (``text`` or an ``image``
reference: a URL or a path Label Studio can serve) plus the two fields that map an
answer back to the example: ``datalife_key`` (the example key) and ``datalife_batch``
(the batch id). ``meta`` carries the selector's rank, score, strategy and reason;
``predictions`` optionally pre-fill the model's guess (Label Studio shows it as a
pre-annotation). The CSV has one row per example with the same fields as columns
(Label Studio imports a CSV's columns as task data).

    tasks = batch_tasks(batch, batch_id="b-0001", kind="text", data_column="text")
    write_tasks_json(tasks, "tasks.json");  write_tasks_csv(tasks, "tasks.csv")
    label_config(["ham", "spam"], kind="text")  # the project's labeling interface"""
from __future__ import annotations

import csv
import json
from typing import Optional, Sequence
from xml.sax.saxutils import quoteattr

import pandas as pd

__all__ = ["KEY_FIELD", "BATCH_FIELD", "FROM_NAME", "label_config", "batch_tasks", "write_tasks_json",
           "write_tasks_csv", "TaskError"]

KEY_FIELD, BATCH_FIELD, FROM_NAME = "datalife_key", "datalife_batch", "label"
KINDS = {"text": "Text", "image": "Image"}


class TaskError(ValueError):
    """A batch that cannot become tasks; the message names the column or example."""


def label_config(classes: Sequence, kind: str = "text", from_name: str = FROM_NAME) -> str:
    """Label Studio's labeling interface: the example (``$text`` or ``$image``) and one
    single-choice question whose choices are the class names."""
    if kind not in KINDS:
        raise TaskError(f"kind: expected one of {sorted(KINDS)}, got {kind!r}")
    if len(classes) == 0:
        raise TaskError("classes: a labeling interface needs at least one class")
    choices = "".join(f"<Choice value={quoteattr(str(c))}/>" for c in classes)
    return (f"<View><{KINDS[kind]} name=\"{kind}\" value=\"${kind}\"/>"
            f"<Choices name={quoteattr(from_name)} toName=\"{kind}\" choice=\"single\" showInline=\"true\">"
            f"{choices}</Choices></View>")


def _plain(v):
    """JSON-safe scalars (NumPy / pandas values become Python ones, NaN becomes None)."""
    if v is None:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def batch_tasks(batch: pd.DataFrame, *, batch_id: str, kind: str = "text", data_column: Optional[str] = None,
                key_column: str = "key", url_prefix: str = "", extra_columns: Sequence[str] = (),
                predictions: bool = True, from_name: str = FROM_NAME, model_version: str = "datalife") -> list[dict]:
    """One Label Studio task per row of ``batch`` (``select``'s output joined with the
    column to show, ``data_column``, default: the ``kind`` name)."""
    if kind not in KINDS:
        raise TaskError(f"kind: expected one of {sorted(KINDS)}, got {kind!r}")
    data_column = data_column or kind
    for col in [key_column, data_column, *extra_columns]:
        if col not in batch.columns:
            raise TaskError(f"batch: no column {col!r} (columns: {list(batch.columns)})")
    if batch[key_column].duplicated().any():
        dup = batch.loc[batch[key_column].duplicated(), key_column].iloc[0]
        raise TaskError(f"batch: key {dup!r} occurs more than once")
    tasks = []
    for rec in batch.to_dict("records"):
        value = rec[data_column]
        if value is None or (isinstance(value, float) and value != value) or str(value) == "":
            raise TaskError(f"batch: example {rec[key_column]!r} has no {data_column!r} to show the annotator")
        data = {kind: url_prefix + str(value) if kind == "image" else str(value),
                KEY_FIELD: str(rec[key_column]), BATCH_FIELD: str(batch_id)}
        data.update({c: _plain(rec[c]) for c in extra_columns})
        meta = {f"datalife_{c}": _plain(rec[c]) for c in ("rank", "score", "strategy", "reason") if c in rec}
        task = {"data": data, "meta": meta}
        guess = rec.get("predicted")
        if predictions and guess is not None and not (isinstance(guess, float) and guess != guess):
            task["predictions"] = [{"model_version": model_version, "score": _plain(rec.get("confidence")),
                                    "result": [{"from_name": from_name, "to_name": kind, "type": "choices",
                                                "value": {"choices": [str(guess)]}}]}]
        tasks.append(task)
    return tasks


def write_tasks_json(tasks: list[dict], path: str) -> str:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tasks, f, ensure_ascii=False, indent=1)
    return path


def write_tasks_csv(tasks: list[dict], path: str) -> str:
    """The tasks' ``data`` and ``meta`` fields as CSV columns, one row per task."""
    rows = [{**t["data"], **t.get("meta", {})} for t in tasks]
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return path
