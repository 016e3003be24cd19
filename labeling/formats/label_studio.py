"""Label Studio JSON export: a list of tasks, each with ``data.image`` and
``annotations[].result[]``. Results of type ``rectanglelabels`` hold x, y, width,
height in percent of ``original_width`` / ``original_height`` and a ``rotation`` in
degrees (clockwise about the top-left corner; read as the enclosing box, in pixels
because percent units are not isotropic, counted as ``boxes_from_rotated``);
``polygonlabels`` hold percent ``points`` (read as their enclosing box, counted as
``boxes_from_polygons``); other result types (choices, text, key points) carry no box
and are counted as ``results_ignored``. Every annotation that was not cancelled is a
record of the task's image, with its annotator (``completed_by``: a user id, or the
e-mail / username / id of an expanded user object); a task without one is a record
without boxes. ``strip_prefix`` removes an upload prefix such as ``/data/upload/1/``
from image paths. A bad value quarantines its annotation (a bad task: every annotation
of it) with its reason; records are named ``task 7`` (one annotation) or ``task 7
annotation 12`` (several)."""
from __future__ import annotations

from collections import Counter
from typing import Optional

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, Quarantined, from_pixels, listing, strict
from datalife.labeling.formats.fields import ident, image_size, load_json, number, show, text
from datalife.labeling.formats.output import Staged, need_size
from datalife.labeling.formats.rotation import enclosing_box

__all__ = ["NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write"]

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 0
BOX_TYPES = ("rectanglelabels", "polygonlabels")


def list_files(path: str) -> list[str]:
    return listing(path, (".json",))


def _annotations(task, record, path) -> list:
    """The task's annotations that were not cancelled."""
    annotations = task.get("annotations", [])
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise AnnotationError(path, record, "annotations", f"needs a list of objects, got {show(annotations)}",
                              reason="malformed")
    return [a for a in annotations if not a.get("was_cancelled")]


def _results(annotation, record, path) -> list:
    results = annotation.get("result", [])
    if not isinstance(results, list):
        raise AnnotationError(path, record, "result", f"needs a list, got {show(results)}", reason="malformed")
    return results


def _annotator(annotation, record, path) -> Optional[str]:
    """``completed_by``: a user id (Label Studio's JSON export), or an expanded user object."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = next((who[k] for k in ("email", "username", "id") if who.get(k) not in (None, "")), None)
    if who is None:
        return None
    return text(who, path, record, "completed_by")


def _result(res, where, path, notes):
    """(box in pixels, label, (width, height)) of one box result."""
    w0 = image_size(res.get("original_width"), path, where, "original_width")
    h0 = image_size(res.get("original_height"), path, where, "original_height")
    if w0 is None or h0 is None:
        raise AnnotationError(path, where, "original_width/original_height", "missing: percent units need them",
                              reason="missing_size")
    v = res.get("value")
    if not isinstance(v, dict):
        raise AnnotationError(path, where, "value", f"needs an object, got {show(v)}", reason="malformed")
    names = v.get(res["type"])
    if not isinstance(names, list) or not names:
        raise AnnotationError(path, where, f"value.{res['type']}", f"needs a class name, got {show(names)}",
                              reason="missing_label")
    label = text(names[0], path, where, f"value.{res['type']}")
    sx, sy = w0 / 100.0, h0 / 100.0
    if res["type"] == "polygonlabels":
        pts = v.get("points")
        if not isinstance(pts, list) or len(pts) < 3 or not all(isinstance(p, list) and len(p) == 2 for p in pts):
            raise AnnotationError(path, where, "value.points", f"needs [[x, y], ...] (3 or more), got {show(pts)}",
                                  reason="malformed")
        xs = [number(p[0], path, where, f"value.points[{j}][0]") * sx for j, p in enumerate(pts)]
        ys = [number(p[1], path, where, f"value.points[{j}][1]") * sy for j, p in enumerate(pts)]
        notes["boxes_from_polygons"] += 1
        return [min(xs), min(ys), max(xs), max(ys)], label, (w0, h0)
    x, y, w, h = (number(v.get(key), path, where, f"value.{key}") for key in ("x", "y", "width", "height"))
    rotation = number(v.get("rotation", 0) or 0, path, where, "value.rotation")
    if rotation % 360:
        notes["boxes_from_rotated"] += 1
    return enclosing_box(x * sx, y * sy, w * sx, h * sy, rotation, "top_left"), label, (w0, h0)


def _task(task, k, path, strip_prefix):
    """(record name, image, annotations kept) of one task."""
    record = f"task {ident(task.get('id', k))}" if isinstance(task, dict) else f"tasks[{k}]"
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise AnnotationError(path, record, "data", "a task needs a 'data' object", reason="malformed")
    image = text(task["data"].get("image", ""), path, record, "data.image", allow_empty=True)
    if strip_prefix and image.startswith(strip_prefix):
        image = image[len(strip_prefix):]
    return record, image, _annotations(task, record, path)


def _annotation(annotation, record, image, path) -> ImageLabels:
    boxes, labels, size, notes = [], [], (None, None), Counter()
    annotator = _annotator(annotation, record, path)
    for r, res in enumerate(_results(annotation, record, path)):
        where = f"{record} result {r}"
        if not isinstance(res, dict):
            raise AnnotationError(path, where, None, f"a result is an object, got {show(res)}", reason="malformed")
        if res.get("type") not in BOX_TYPES:
            notes["results_ignored"] += 1
            continue
        box, label, this = _result(res, where, path, notes)
        if size != (None, None) and this != size:
            raise AnnotationError(path, where, "original_width/original_height", f"{this[0]}x{this[1]} but an "
                                  f"earlier result says {size[0]}x{size[1]}", reason="bad_size")
        size = this
        boxes.append(box)
        labels.append(label)
    return ImageLabels(file=image, width=size[0], height=size[1], boxes=boxes, labels=labels, where=path,
                       record=record, notes=notes, annotator=annotator)


def _count(annotation) -> int:
    """Box results in an annotation (its boxes, counted when it is quarantined)."""
    results = annotation.get("result") if isinstance(annotation, dict) else None
    if not isinstance(results, list):
        return 0
    return sum(1 for res in results if isinstance(res, dict) and res.get("type") in BOX_TYPES)


def _kept(task) -> list:
    """The annotations of a task that could not be read as a whole (for its counts)."""
    annotations = task.get("annotations") if isinstance(task, dict) else None
    if not isinstance(annotations, list):
        return []
    return [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]


def _image_of(task) -> str:
    image = task.get("data", {}).get("image") if isinstance(task, dict) and isinstance(task.get("data"), dict) \
        else None
    return image[:200] if isinstance(image, str) else ""


def scan_file(path: str, strip_prefix: str = "", **_) -> list:
    doc = load_json(path)
    if not isinstance(doc, list):
        raise AnnotationError(path, None, None, "a Label Studio export is a list of tasks", reason="malformed")
    out = []
    for k, task in enumerate(doc):
        try:
            record, image, annotations = _task(task, k, path, strip_prefix)
        except AnnotationError as exc:  # the whole task: each of its annotations is quarantined
            kept = _kept(task)
            out.append(Quarantined(exc, images=max(1, len(kept)), boxes=sum(map(_count, kept)), file=_image_of(task)))
            continue
        if not annotations:  # not annotated (or every annotation cancelled): an image without boxes
            out.append(ImageLabels(file=image, width=None, height=None, boxes=[], labels=[], where=path,
                                   record=record))
        for j, annotation in enumerate(annotations):
            name = record if len(annotations) == 1 else f"{record} annotation {ident(annotation.get('id', j))}"
            try:
                out.append(_annotation(annotation, name, image, path))
            except AnnotationError as exc:
                out.append(Quarantined(exc, images=1, boxes=_count(annotation), file=image[:200]))
    return out


def read_file(path: str, **options) -> list[ImageLabels]:
    return strict(scan_file(path, **options))


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    import json

    tasks = []
    for i, rec in enumerate(records, start=1):
        results = []
        for j, (b, label) in enumerate(zip(from_pixels(rec, NATIVE), rec.labels)):
            width, height = need_size(rec, "Label Studio's percent units")
            sx, sy = 100.0 / width, 100.0 / height
            results.append({"id": f"{i}_{j}", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
                            "original_width": width, "original_height": height, "image_rotation": 0,
                            "value": {"x": b[0] * sx, "y": b[1] * sy, "width": (b[2] - b[0]) * sx,
                                      "height": (b[3] - b[1]) * sy, "rotation": 0, "rectanglelabels": [label]}})
        tasks.append({"id": i, "data": {"image": rec.file}, "annotations": [{"id": i, "result": results}]})
    with Staged() as staged:
        with open(staged.path(out), "w") as f:
            json.dump(tasks, f)
    return staged.files
