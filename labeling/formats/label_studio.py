"""Label Studio JSON export: a list of tasks, each with ``data.image`` and
``annotations[].result[]`` of type ``rectanglelabels`` whose ``value`` holds x, y,
width, height in percent of ``original_width`` / ``original_height`` and a
``rotation`` in degrees (clockwise about the top-left corner; read as the enclosing
box, in pixels because percent units are not isotropic). The first annotation that
was not cancelled is used. ``strip_prefix`` removes an upload prefix such as
``/data/upload/1/`` from image paths."""
from __future__ import annotations

import json

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, from_pixels, listing
from datalife.labeling.formats.rotation import enclosing_box

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 0


def list_files(path: str) -> list[str]:
    return listing(path, (".json",))


def _task(task, k, path, strip_prefix):
    record = f"task {task.get('id', k)}" if isinstance(task, dict) else f"tasks[{k}]"
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise AnnotationError(path, record, "data", "a task needs a 'data' object", reason="malformed")
    image = str(task["data"].get("image", ""))
    if strip_prefix and image.startswith(strip_prefix):
        image = image[len(strip_prefix):]
    annotations = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
    boxes, labels, size = [], [], (None, None)
    for r, res in enumerate(annotations[0].get("result", []) if annotations else []):
        if res.get("type") != "rectanglelabels":
            continue
        where = f"{record} result {r}"
        try:
            w0, h0 = float(res["original_width"]), float(res["original_height"])
            v = res["value"]
            x, y, w, h = (float(v[key]) for key in ("x", "y", "width", "height"))
            name = v["rectanglelabels"][0]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise AnnotationError(path, where, "value", f"needs x, y, width, height, rectanglelabels and "
                                  f"original_width / original_height ({exc})", reason="malformed") from None
        size = (int(w0), int(h0))
        sx, sy = w0 / 100.0, h0 / 100.0
        boxes.append(enclosing_box(x * sx, y * sy, w * sx, h * sy, float(v.get("rotation", 0) or 0), "top_left"))
        labels.append(str(name))
    return ImageLabels(file=image, width=size[0], height=size[1], boxes=boxes, labels=labels,
                       where=f"{path}: {record}")


def read_file(path: str, strip_prefix: str = "", **_) -> list[ImageLabels]:
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(path, None, None, f"malformed JSON: {exc}", reason="malformed") from exc
    if not isinstance(doc, list):
        raise AnnotationError(path, None, None, "a Label Studio export is a list of tasks", reason="malformed")
    return [_task(t, k, path, strip_prefix) for k, t in enumerate(doc)]


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    tasks = []
    for i, rec in enumerate(records, start=1):
        results = []
        for j, (b, label) in enumerate(zip(from_pixels(rec, NATIVE), rec.labels)):
            sx, sy = 100.0 / rec.width, 100.0 / rec.height
            results.append({"id": f"{i}_{j}", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
                            "original_width": rec.width, "original_height": rec.height, "image_rotation": 0,
                            "value": {"x": b[0] * sx, "y": b[1] * sy, "width": (b[2] - b[0]) * sx,
                                      "height": (b[3] - b[1]) * sy, "rotation": 0, "rectanglelabels": [label]}})
        tasks.append({"id": i, "data": {"image": rec.file}, "annotations": [{"id": i, "result": results}]})
    with open(out, "w") as f:
        json.dump(tasks, f)
    return [out]
