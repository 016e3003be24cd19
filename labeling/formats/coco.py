"""COCO detection JSON: ``images`` (id, file_name, width, height), ``categories``
(id, name; ids are usually 1-based) and ``annotations`` (id, image_id, category_id,
bbox = [x, y, w, h] in pixels).

Every image is a record: an image whose id another image shares, whose fields are
bad, or one of whose annotations is bad (a bbox that is not four finite numbers, an
unknown or ambiguous ``category_id``, an annotation id used twice) is quarantined with
its annotations and its reason, and the other images are read. An annotation whose
``image_id`` names no image is quarantined on its own (``unknown_image``). Only a file
that is not a COCO document at all fails as a whole."""
from __future__ import annotations

import math
from collections import Counter, defaultdict

import numpy as np

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, Quarantined, from_pixels, listing, strict
from datalife.labeling.formats.fields import MAX_SIDE, MAX_TEXT, ident, image_size, load_json, number, show, text
from datalife.labeling.formats.output import Staged, jnum

__all__ = ["NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write"]

NATIVE = BoxFormat("xywh", "pixel")
ORIGIN = 0


def list_files(path: str) -> list[str]:
    return listing(path, (".json",))


def _key(v) -> bool:
    """COCO ids are integers (some tools write strings); floats, booleans, null are not ids."""
    return type(v) is int or (isinstance(v, str) and len(v) <= 256) or (isinstance(v, int) and not isinstance(v, bool))


def _list(doc, key, path, required=False) -> list:
    v = doc.get(key, None if required else [])
    if not isinstance(v, list):
        raise AnnotationError(path, None, key, f"a COCO file needs an {key!r} list, got {show(v)}",
                              reason="malformed")
    return v


def _categories(doc, path):
    """{id: name} and the ids given twice with different names (ambiguous)."""
    cats, ambiguous = {}, set()
    for k, c in enumerate(_list(doc, "categories", path)):
        if not isinstance(c, dict) or not _key(c.get("id")):
            raise AnnotationError(path, f"categories[{k}]", "id", f"needs an integer id, got {show(c)}",
                                  reason="malformed")
        name = text(c.get("name"), path, f"category id {ident(c['id'])}", "name")
        if cats.get(c["id"], name) != name:
            ambiguous.add(c["id"])
        cats[c["id"]] = name
    return cats, ambiguous


def _image(im, i, path, id_count):
    """(record, file name, width, height) of one ``images`` entry; raises for a bad one."""
    if not isinstance(im, dict):
        raise AnnotationError(path, f"images[{i}]", None, f"an image is an object, got {show(im)}",
                              reason="malformed")
    if not _key(im.get("id")):
        raise AnnotationError(path, f"images[{i}]", "id", f"needs an integer id, got {show(im.get('id'))}",
                              reason="malformed")
    record = f"image id {ident(im['id'])}"
    name = text(im.get("file_name"), path, record, "file_name")
    if id_count[im["id"]] > 1:
        raise AnnotationError(path, record, "id", f"{id_count[im['id']]} images share this id ({name!r} is one): "
                              "their annotations cannot be told apart", reason="duplicate_id")
    width = image_size(im.get("width"), path, record, "width")
    height = image_size(im.get("height"), path, record, "height")
    return record, name, width, height


def _box(a, cats, ambiguous, ann_count, path):
    """(box, class name) of one annotation; raises naming it when it is bad."""
    bbox, cat, aid = a.get("bbox"), a.get("category_id"), a.get("id")
    if (type(bbox) is list and len(bbox) == 4 and all(type(v) is float or type(v) is int for v in bbox)
            and type(cat) is int and cat in cats and cat not in ambiguous
            and (type(aid) is int and ann_count[aid] == 1 or "id" not in a)):  # the common case, checked fast
        try:
            box = [float(v) for v in bbox]
            if all(math.isfinite(v) for v in box):
                return box, cats[cat]
        except OverflowError:
            pass
    record = f"annotation id {ident(a['id'])}" if "id" in a else "annotation (no id)"
    if "id" in a and (not _key(a["id"]) or ann_count[a["id"]] > 1):
        raise AnnotationError(path, record, "id", "used by more than one annotation" if _key(a["id"])
                              else f"not an id: {show(a['id'])}", reason="duplicate_id" if _key(a["id"])
                              else "malformed")
    bbox = a.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4:
        raise AnnotationError(path, record, "bbox", f"needs [x, y, width, height], got {show(bbox)}",
                              reason="malformed" if bbox is not None else "missing_box")
    box = [number(v, path, record, f"bbox[{j}]") for j, v in enumerate(bbox)]
    cat = a.get("category_id")
    if not _key(cat) or cat not in cats:
        raise AnnotationError(path, record, "category_id", f"{show(cat)} is not in 'categories'",
                              reason="unknown_class")
    if cat in ambiguous:
        raise AnnotationError(path, record, "category_id", f"category id {cat} is given twice with different "
                              "names", reason="duplicate_id")
    return box, cats[cat]


def _plain(name: str) -> bool:
    """A file name ``text`` would accept (checked quickly on clean files)."""
    return (0 < len(name) <= MAX_TEXT and bool(name.strip()) and "\x00" not in name
            and (name.isascii() or not any("\ud800" <= c <= "\udfff" for c in name)))


def _clean(images, anns, cats, ambiguous, path):
    """The records of a file in which nothing is wrong, found by whole-file checks and
    grouped by one sort (2-3x faster than record by record on large files); None when
    any check fails: then every record is read and checked on its own."""
    if any(type(a) is not dict for a in anns) or any(type(im) is not dict for im in images):
        return None
    try:
        bboxes = [a["bbox"] for a in anns]
        cat = [a["category_id"] for a in anns]
        image_of = [a["image_id"] for a in anns]
        image_ids = [im["id"] for im in images]
        names = [im["file_name"] for im in images]
    except KeyError:
        return None
    ann_ids = [a["id"] for a in anns if "id" in a]
    if ({type(b) for b in bboxes} - {list} or any(len(b) != 4 for b in bboxes)
            or {type(v) for b in bboxes for v in b} - {int, float}
            or {type(c) for c in cat} - {int} or not set(cat) <= cats.keys() or set(cat) & ambiguous
            or {type(k) for k in image_ids} - {int} or len(set(image_ids)) != len(image_ids)
            or {type(k) for k in image_of} - {int} or not set(image_of) <= set(image_ids)
            or {type(k) for k in ann_ids} - {int} or len(set(ann_ids)) != len(ann_ids)
            or {type(n) for n in names} - {str} or not all(_plain(n) for n in names)):
        return None
    sizes = [(im.get("width"), im.get("height")) for im in images]
    if {type(v) for wh in sizes for v in wh} - {int, type(None)} or any(v is not None and not 0 < v <= MAX_SIDE
                                                                        for wh in sizes for v in wh):
        return None
    try:
        boxes = np.array(bboxes, dtype=np.float64).reshape(len(anns), 4)
    except OverflowError:  # an integer beyond float range
        return None
    if not np.isfinite(boxes).all():
        return None
    index = {k: i for i, k in enumerate(image_ids)}
    img = np.fromiter((index[k] for k in image_of), dtype=np.int64, count=len(anns))
    order = np.argsort(img, kind="stable")
    starts = np.searchsorted(img[order], np.arange(len(images) + 1))
    labels = [cats[cat[j]] for j in order]
    boxes = boxes[order]
    return [ImageLabels(file=names[i], width=sizes[i][0], height=sizes[i][1], boxes=boxes[starts[i]:starts[i + 1]],
                        labels=labels[starts[i]:starts[i + 1]], where=path, record=f"image id {image_ids[i]}")
            for i in range(len(images))]


def scan_file(path: str, **_) -> list:
    doc = load_json(path)
    if not isinstance(doc, dict):
        raise AnnotationError(path, None, None, f"a COCO file is a JSON object, got {type(doc).__name__}",
                              reason="malformed")
    images = _list(doc, "images", path, required=True)
    anns = _list(doc, "annotations", path)
    cats, ambiguous = _categories(doc, path)
    clean = _clean(images, anns, cats, ambiguous, path)
    return clean if clean is not None else _by_record(images, anns, cats, ambiguous, path)


def _by_record(images, anns, cats, ambiguous, path) -> list:
    """Every image and annotation checked on its own: a bad one is quarantined."""
    id_count = Counter(im["id"] for im in images if isinstance(im, dict) and _key(im.get("id")))
    ann_count = Counter(a["id"] for a in anns if isinstance(a, dict) and _key(a.get("id")))
    per_image = defaultdict(list)
    out, orphans = [], []
    for k, a in enumerate(anns):
        image_id = a.get("image_id") if isinstance(a, dict) else None
        if _key(image_id) and image_id in id_count:
            per_image[image_id].append(a)
            continue
        record = f"annotation id {ident(a['id'])}" if isinstance(a, dict) and "id" in a else f"annotations[{k}]"
        why = f"refers to no image ({show(image_id)})" if isinstance(a, dict) else f"not an object: {show(a)}"
        orphans.append(Quarantined(AnnotationError(path, record, "image_id", why, reason="unknown_image" if
                                                   isinstance(a, dict) else "malformed"), images=0, boxes=1))
    claimed = set()  # images sharing an id: their annotations are counted with the first
    for i, im in enumerate(images):
        key = im.get("id") if isinstance(im, dict) and _key(im.get("id")) else None
        mine = per_image.get(key, []) if key is not None and key not in claimed else []
        if key is not None:
            claimed.add(key)
        try:
            record, name, width, height = _image(im, i, path, id_count)
            boxes, labels = [], []
            for a in mine:
                if not isinstance(a, dict):  # pragma: no cover - grouped annotations are objects
                    continue
                box, label = _box(a, cats, ambiguous, ann_count, path)
                boxes.append(box)
                labels.append(label)
        except AnnotationError as exc:
            name = im.get("file_name") if isinstance(im, dict) and isinstance(im.get("file_name"), str) else ""
            out.append(Quarantined(exc, images=1, boxes=len(mine), file=name[:200]))
            continue
        out.append(ImageLabels(file=name, width=width, height=height, boxes=boxes, labels=labels, where=path,
                               record=record))
    return out + orphans


def read_file(path: str, **options) -> list[ImageLabels]:
    return strict(scan_file(path, **options))


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    """One JSON file; category ids are 1-based (``classes[0]`` -> 1), as COCO uses."""
    import json

    ids = {name: i + 1 for i, name in enumerate(classes)}
    images, anns = [], []
    for i, rec in enumerate(records, start=1):
        images.append({"id": i, "file_name": rec.file, "width": rec.width, "height": rec.height})
        for box, label in zip(from_pixels(rec, NATIVE, ORIGIN), rec.labels):
            anns.append({"id": len(anns) + 1, "image_id": i, "category_id": ids[label],
                         "bbox": [jnum(v) for v in box], "area": jnum(box[2] * box[3]), "iscrowd": 0})
    doc = {"images": images, "annotations": anns,
           "categories": [{"id": k, "name": n, "supercategory": ""} for n, k in ids.items()]}
    with Staged() as staged:
        with open(staged.path(out), "w") as f:
            json.dump(doc, f)
    return staged.files
