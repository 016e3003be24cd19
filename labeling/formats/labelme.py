"""LabelMe JSON, one file per image: ``imagePath``, ``imageWidth``, ``imageHeight`` and
``shapes`` (``label``, ``points``, ``shape_type``). Rectangles (two corners in any
order) and polygons (read deliberately as their enclosing box, counted as
``boxes_from_polygons``) are read; another shape type (``unsupported_shape``) or a bad
value quarantines the image with its reason."""
from __future__ import annotations

import os
from collections import Counter

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, Quarantined, from_pixels, listing, strict
from datalife.labeling.formats.fields import image_size, load_json, number, show, text
from datalife.labeling.formats.output import Staged, jnum, per_image_names

__all__ = ["NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write"]

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 0


def list_files(path: str) -> list[str]:
    return listing(path, (".json",))


def _shape(shape, k: int, path: str, notes: Counter) -> tuple[list[float], str]:
    record = f"shapes[{k}]"
    if not isinstance(shape, dict):
        raise AnnotationError(path, record, None, f"a shape is an object, got {show(shape)}", reason="malformed")
    kind = shape.get("shape_type") or "polygon"
    if kind not in ("rectangle", "polygon"):
        raise AnnotationError(path, record, "shape_type", f"{show(kind)} is not a rectangle or polygon",
                              reason="unsupported_shape")
    label = text(shape.get("label"), path, record, "label")
    pts = shape.get("points")
    if not isinstance(pts, list) or not all(isinstance(p, list) and len(p) == 2 for p in pts):
        raise AnnotationError(path, record, "points", f"needs [[x, y], ...], got {show(pts)}", reason="malformed")
    need = 2 if kind == "rectangle" else 3
    if len(pts) < need or (kind == "rectangle" and len(pts) != 2):
        raise AnnotationError(path, record, "points", f"a {kind} needs {'2' if need == 2 else 'at least 3'} "
                              f"points, got {len(pts)}", reason="malformed")
    xs = [number(p[0], path, record, f"points[{j}][0]") for j, p in enumerate(pts)]
    ys = [number(p[1], path, record, f"points[{j}][1]") for j, p in enumerate(pts)]
    if kind == "polygon":
        notes["boxes_from_polygons"] += 1
    return [min(xs), min(ys), max(xs), max(ys)], label


def scan_file(path: str, **_) -> list:
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("shapes"), list):
        raise AnnotationError(path, None, "shapes", "a LabelMe file is an object with a 'shapes' list",
                              reason="malformed")
    shapes = doc["shapes"]
    name = doc.get("imagePath") if isinstance(doc.get("imagePath"), str) else ""
    try:
        file = text(doc.get("imagePath") or "", path, None, "imagePath", allow_empty=True)
        width = image_size(doc.get("imageWidth"), path, None, "imageWidth")
        height = image_size(doc.get("imageHeight"), path, None, "imageHeight")
        notes = Counter()
        read = [_shape(shape, k, path, notes) for k, shape in enumerate(shapes)]
    except AnnotationError as exc:
        return [Quarantined(exc, images=1, boxes=len(shapes), file=name[:200])]
    return [ImageLabels(file=file, width=width, height=height, boxes=[b for b, _ in read],
                        labels=[label for _, label in read], where=path, notes=notes)]


def read_file(path: str, **options) -> list[ImageLabels]:
    return strict(scan_file(path, **options))


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    """One JSON per image in the folder ``out`` (rectangles, no embedded image data)."""
    import json

    names = per_image_names(records, ".json")
    with Staged(out) as staged:
        for rec, name in zip(records, names):
            shapes = [{"label": label, "points": [[jnum(b[0]), jnum(b[1])], [jnum(b[2]), jnum(b[3])]],
                       "group_id": None, "shape_type": "rectangle", "flags": {}}
                      for b, label in zip(from_pixels(rec, NATIVE), rec.labels)]
            doc = {"version": "5.0.1", "flags": {}, "shapes": shapes, "imagePath": rec.file, "imageData": None,
                   "imageHeight": rec.height, "imageWidth": rec.width}
            with open(staged.path(os.path.join(out, name)), "w") as f:
                json.dump(doc, f, indent=1)
    return staged.files
