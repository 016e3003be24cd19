"""COCO detection JSON: ``images`` (id, file_name, width, height), ``categories``
(id, name; ids are usually 1-based) and ``annotations`` (image_id, category_id,
bbox = [x, y, w, h] in pixels). Read vectorised: boxes are grouped per image by one sort."""
from __future__ import annotations

import json

import numpy as np

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, from_pixels, listing

NATIVE = BoxFormat("xywh", "pixel")
ORIGIN = 0


def list_files(path: str) -> list[str]:
    return listing(path, (".json",))


def _load(path: str):
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(path, None, None, f"malformed JSON: {exc}", reason="malformed") from exc


def read_file(path: str, **_) -> list[ImageLabels]:
    doc = _load(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        raise AnnotationError(path, None, "images", "a COCO file needs an 'images' list", reason="malformed")
    try:
        cats = {int(c["id"]): str(c["name"]) for c in doc.get("categories", [])}
    except (KeyError, TypeError, ValueError) as exc:
        raise AnnotationError(path, "categories", "id/name", f"bad category: {exc}", reason="malformed") from exc
    anns = doc.get("annotations", [])
    image_index = {}
    for i, im in enumerate(doc["images"]):
        if not isinstance(im, dict) or "id" not in im or "file_name" not in im:
            raise AnnotationError(path, f"images[{i}]", "id/file_name", "missing", reason="malformed")
        image_index[im["id"]] = i
    n = len(anns)
    img = np.empty(n, dtype=np.int64)
    boxes = np.empty((n, 4), dtype=np.float64)
    labels = []
    for k, a in enumerate(anns):
        where = f"annotation id {a.get('id', k)}" if isinstance(a, dict) else f"annotations[{k}]"
        try:
            img[k] = image_index[a["image_id"]]
        except (KeyError, TypeError):
            raise AnnotationError(path, where, "image_id", "refers to no image", reason="malformed") from None
        bbox = a.get("bbox")
        if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
            raise AnnotationError(path, where, "bbox", f"needs 4 numbers, got {bbox!r}", reason="malformed")
        try:
            boxes[k] = bbox
        except (TypeError, ValueError):
            raise AnnotationError(path, where, "bbox", f"needs 4 numbers, got {bbox!r}", reason="malformed") from None
        cat = a.get("category_id")
        if cat not in cats:
            raise AnnotationError(path, where, "category_id", f"{cat!r} is not in 'categories'",
                                  reason="unknown_class")
        labels.append(cats[cat])
    order = np.argsort(img, kind="stable")
    starts = np.searchsorted(img[order], np.arange(len(doc["images"]) + 1))
    out = []
    for i, im in enumerate(doc["images"]):
        sel = order[starts[i]:starts[i + 1]]
        out.append(ImageLabels(file=str(im["file_name"]), width=im.get("width"), height=im.get("height"),
                               boxes=boxes[sel], labels=[labels[j] for j in sel],
                               where=f"{path}: image id {im['id']}"))
    return out


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    """One JSON file; category ids are 1-based (``classes[0]`` -> 1), as COCO uses."""
    ids = {name: i + 1 for i, name in enumerate(classes)}
    images, anns = [], []
    for i, rec in enumerate(records, start=1):
        images.append({"id": i, "file_name": rec.file, "width": rec.width, "height": rec.height})
        for box, label in zip(from_pixels(rec, NATIVE, ORIGIN), rec.labels):
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": ids[label],
                         "bbox": [float(v) for v in box], "area": float(box[2] * box[3]), "iscrowd": 0})
    doc = {"images": images, "annotations": anns,
           "categories": [{"id": k, "name": n, "supercategory": ""} for n, k in ids.items()]}
    with open(out, "w") as f:
        json.dump(doc, f)
    return [out]
