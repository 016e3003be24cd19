"""LabelMe JSON, one file per image: ``imagePath``, ``imageWidth``, ``imageHeight`` and
``shapes`` (``label``, ``points``, ``shape_type``). Rectangles (two corners in any
order) and polygons (their enclosing box) are read; other shapes are an error."""
from __future__ import annotations

import json
import os

import numpy as np

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, from_pixels, listing

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 0


def list_files(path: str) -> list[str]:
    return listing(path, (".json",))


def read_file(path: str, **_) -> list[ImageLabels]:
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(path, None, None, f"malformed JSON: {exc}", reason="malformed") from exc
    if not isinstance(doc, dict) or "shapes" not in doc:
        raise AnnotationError(path, None, "shapes", "a LabelMe file needs 'shapes'", reason="malformed")
    boxes, labels = [], []
    for k, shape in enumerate(doc["shapes"]):
        record = f"shapes[{k}]"
        kind = shape.get("shape_type") or "polygon"
        if kind not in ("rectangle", "polygon"):
            raise AnnotationError(path, record, "shape_type", f"{kind!r} is not a rectangle or polygon",
                                  reason="malformed")
        try:
            pts = np.asarray(shape["points"], dtype=np.float64).reshape(-1, 2)
        except (KeyError, TypeError, ValueError):
            raise AnnotationError(path, record, "points", "needs [[x, y], ...]", reason="malformed") from None
        if len(pts) < 2:
            raise AnnotationError(path, record, "points", "needs at least two points", reason="malformed")
        boxes.append([*pts.min(axis=0), *pts.max(axis=0)])
        labels.append(str(shape.get("label", "")))
    return [ImageLabels(file=str(doc.get("imagePath") or ""), width=doc.get("imageWidth"),
                        height=doc.get("imageHeight"), boxes=boxes, labels=labels, where=path)]


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    """One JSON per image in the folder ``out`` (rectangles, no embedded image data)."""
    os.makedirs(out, exist_ok=True)
    written = []
    for rec in records:
        shapes = [{"label": label, "points": [[float(b[0]), float(b[1])], [float(b[2]), float(b[3])]],
                   "group_id": None, "shape_type": "rectangle", "flags": {}}
                  for b, label in zip(from_pixels(rec, NATIVE), rec.labels)]
        doc = {"version": "5.0.1", "flags": {}, "shapes": shapes, "imagePath": rec.file, "imageData": None,
               "imageHeight": rec.height, "imageWidth": rec.width}
        target = os.path.join(out, os.path.splitext(os.path.basename(rec.file))[0] + ".json")
        with open(target, "w") as f:
            json.dump(doc, f)
        written.append(target)
    return written
