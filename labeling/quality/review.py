"""Review tasks for a person to settle disagreements, in Label Studio's JSON import
format: a list of tasks, each with a ``data`` object and a ``predictions`` list holding
one pre-annotation per rater (``model_version`` = the rater, ``score`` = the item's
agreement), so the reviewer sees every rater's answer and keeps or corrects one.

Boxes are ``rectanglelabels`` results (x, y, width, height in percent of
``original_width`` / ``original_height``); image- or text-level labels are ``choices``.
:func:`labeling_config` gives the matching project configuration (``from_name`` /
``to_name`` agree with the results).
"""
from __future__ import annotations

import json
from typing import Callable, Mapping, Optional, Sequence
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

from datalife.labeling.boxes import convert_boxes
from datalife.labeling.quality.merge import rater_of
from datalife.labeling.unify import Canonical

__all__ = ["box_review_tasks", "label_review_tasks", "labeling_config", "tasks_json"]


def _rect(box, name: str, w: int, h: int, rid: str) -> dict:
    x1, y1, x2, y2 = (float(v) * 100.0 for v in box)
    return {"id": rid, "type": "rectanglelabels", "from_name": "label", "to_name": "image", "original_width": int(w),
            "original_height": int(h), "image_rotation": 0,
            "value": {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1, "rotation": 0,
                      "rectanglelabels": [name]}}


def box_review_tasks(groups: Sequence[Sequence[dict]], canon: Canonical, agreement: Mapping[str, float],
                     threshold: float, image_url: Optional[Callable[[dict], str]] = None) -> list[dict]:
    """One task per image group whose agreement (``agreement[sha256]``, e.g. the merged
    example's ``min_f1``) is below ``threshold``, lowest first. ``image_url(view)`` gives
    the task's image reference (default: the file name as the annotation gave it)."""
    image_url = image_url or (lambda v: v["file"])
    picked = [g for g in groups if agreement.get(g[0]["sha256"], np.nan) < threshold]
    picked.sort(key=lambda g: (agreement[g[0]["sha256"]], g[0]["sha256"]))
    tasks = []
    for g in picked:
        key, score = g[0]["sha256"], float(agreement[g[0]["sha256"]])
        predictions = []
        for vi, v in enumerate(g):
            xy = convert_boxes(v["boxes"], canon.box_format, "xyxy:normalized", (v["width"], v["height"]))
            result = [_rect(b, n, v["width"], v["height"], f"{key[:8]}_{vi}_{j}")
                      for j, (b, n) in enumerate(zip(xy, v["class_names"]))]
            predictions.append({"model_version": rater_of(v), "score": score, "result": result})
        tasks.append({"data": {"image": image_url(g[0]), "key": key, "files": [v["file"] for v in g],
                               "agreement": score}, "predictions": predictions})
    return tasks


def label_review_tasks(items: pd.DataFrame, text_field: str, raters: Sequence[str], classes: Sequence[str],
                       threshold: float, key_field: Optional[str] = None, abstain: int = -1) -> list[dict]:
    """One task per item (row of ``items``) whose share of raters agreeing with the most
    common label is below ``threshold``; ``raters`` are columns of class ids
    (``abstain`` = not rated), ``text_field`` the text shown."""
    tasks = []
    votes = items[list(raters)].to_numpy()
    for row, (idx, item) in zip(votes, items.iterrows()):
        given = row[row != abstain]
        if len(given) < 2:
            continue
        share = np.bincount(given.astype(int), minlength=len(classes)).max() / len(given)
        if share >= threshold:
            continue
        key = str(item[key_field]) if key_field else str(idx)
        predictions = [{"model_version": r, "score": float(share),
                        "result": [{"id": f"{key}_{j}", "type": "choices", "from_name": "label", "to_name": "text",
                                    "value": {"choices": [classes[int(v)]]}}]}
                       for j, (r, v) in enumerate(zip(raters, row)) if v != abstain]
        tasks.append({"data": {"text": str(item[text_field]), "key": key, "agreement": float(share)},
                      "predictions": predictions})
    tasks.sort(key=lambda t: (t["data"]["agreement"], t["data"]["key"]))
    return tasks


def labeling_config(classes: Sequence[str], kind: str = "boxes") -> str:
    """The Label Studio project configuration the tasks above fit."""
    labels = "".join(f"<{'Label' if kind == 'boxes' else 'Choice'} value={quoteattr(c)}/>" for c in classes)
    if kind == "boxes":
        return (f'<View><Image name="image" value="$image"/>'
                f'<RectangleLabels name="label" toName="image">{labels}</RectangleLabels></View>')
    if kind == "labels":
        return (f'<View><Text name="text" value="$text"/>'
                f'<Choices name="label" toName="text" choice="single">{labels}</Choices></View>')
    raise ValueError(f"kind {kind!r} is not one of boxes, labels")


def tasks_json(tasks: list[dict]) -> str:
    return json.dumps(tasks, indent=1, sort_keys=True)
