"""CVAT for images 1.1 XML: ``<image name width height>`` holding ``<box label xtl
ytl xbr ybr [rotation]>`` (rotation in degrees, clockwise about the box center: read
as the enclosing box, counted as ``boxes_from_rotated``) and ``<polygon
points="x,y;x,y">`` (its enclosing box, counted as ``boxes_from_polygons``); other
shapes (points, polylines, ellipses, masks, tags) carry no box and are counted as
``shapes_ignored``. The annotator of an image is the assignee (``<assignee><username>``)
of its job or task in ``<meta>`` (a project export lists its tasks, and each image
names its ``task_id``); without one it is unknown (the owner created the task, which
says nothing of who drew the boxes). Parsed with defusedxml. Every image is a record:
a bad value quarantines the image with its reason."""
from __future__ import annotations

from collections import Counter
from typing import Optional
from xml.etree.ElementTree import Element, ElementTree, SubElement, indent

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, Quarantined, from_pixels, listing, strict
from datalife.labeling.formats.fields import ident, image_size, number, show, text
from datalife.labeling.formats.output import Staged, num
from datalife.labeling.formats.rotation import enclosing_box
from datalife.labeling.formats.voc import parse_xml

__all__ = ["NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write"]

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 0


def list_files(path: str) -> list[str]:
    return listing(path, (".xml",))


def _shape(node, record, path, notes) -> list[float]:
    if node.tag == "box":
        x1, y1, x2, y2 = (number(node.get(a), path, record, a, parse_text=True) for a in ("xtl", "ytl", "xbr", "ybr"))
        rot = number(node.get("rotation") or "0", path, record, "rotation", parse_text=True)
        if rot % 360:
            notes["boxes_from_rotated"] += 1
        return enclosing_box(x1, y1, x2 - x1, y2 - y1, rot, "center")
    points = node.get("points") or ""
    pts = [p.split(",") for p in points.split(";")]
    if len(pts) < 3 or any(len(p) != 2 for p in pts):
        raise AnnotationError(path, record, "points", f"needs 'x,y;x,y;x,y...', got {show(points)}",
                              reason="malformed")
    xs = [number(p[0], path, record, "points", parse_text=True) for p in pts]
    ys = [number(p[1], path, record, "points", parse_text=True) for p in pts]
    notes["boxes_from_polygons"] += 1
    return [min(xs), min(ys), max(xs), max(ys)]


def _assignee(node) -> Optional[str]:
    name = node.findtext("assignee/username") if node is not None else None
    return name.strip() if name and name.strip() else None


def _annotators(root, path) -> tuple[Optional[str], dict]:
    """(the assignee of the exported job or task, {task id: assignee} of a project export)."""
    meta = root.find("meta")
    if meta is None:
        return None, {}
    single = next((_assignee(meta.find(tag)) for tag in ("job", "task") if meta.find(tag) is not None), None)
    per_task = {}
    for task in meta.iterfind("project/tasks/task"):
        who = _assignee(task)
        if who is not None and task.findtext("id"):
            per_task[task.findtext("id").strip()] = who
    for who in (single, *per_task.values()):
        if who is not None:
            text(who, path, "meta", "assignee/username")  # a name, not 2 MB of anything
    return single, per_task


def _image(image, record, path, annotator=None) -> ImageLabels:
    boxes, labels, notes = [], [], Counter()
    for k, node in enumerate(image):
        if node.tag not in ("box", "polygon"):
            notes["shapes_ignored"] += 1
            continue
        where = f"{record} {node.tag} {k}"
        labels.append(text(node.get("label"), path, where, "label"))
        boxes.append(_shape(node, where, path, notes))
    return ImageLabels(file=text(image.get("name") or "", path, record, "name", allow_empty=True),
                       width=image_size(image.get("width"), path, record, "width", parse_text=True),
                       height=image_size(image.get("height"), path, record, "height", parse_text=True),
                       boxes=boxes, labels=labels, where=path, record=record, notes=notes, annotator=annotator)


def scan_file(path: str, **_) -> list:
    root = parse_xml(path)
    if root.tag != "annotations":
        raise AnnotationError(path, None, None, f"root element is <{root.tag}>, not <annotations>",
                              reason="malformed")
    single, per_task = _annotators(root, path)
    out = []
    for i, image in enumerate(root.iter("image")):
        rid = image.get("id", image.get("name"))
        record = f"image {ident(rid)}" if rid is not None else f"image [{i}]"
        try:
            out.append(_image(image, record, path, per_task.get((image.get("task_id") or "").strip(), single)))
        except AnnotationError as exc:
            out.append(Quarantined(exc, images=1, boxes=sum(1 for n in image if n.tag in ("box", "polygon")),
                                   file=(image.get("name") or "")[:200]))
    return out


def read_file(path: str, **options) -> list[ImageLabels]:
    return strict(scan_file(path, **options))


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    root = Element("annotations")
    SubElement(root, "version").text = "1.1"
    meta = SubElement(SubElement(root, "meta"), "task")
    labels_node = SubElement(meta, "labels")
    for name in classes:
        SubElement(SubElement(labels_node, "label"), "name").text = name
    for i, rec in enumerate(records):
        size = {k: str(v) for k, v in (("width", rec.width), ("height", rec.height)) if v is not None}
        image = SubElement(root, "image", id=str(i), name=rec.file, **size)
        for b, label in zip(from_pixels(rec, NATIVE), rec.labels):
            SubElement(image, "box", label=label, occluded="0", source="manual", xtl=num(b[0]), ytl=num(b[1]),
                       xbr=num(b[2]), ybr=num(b[3]), z_order="0")
    indent(root)
    with Staged() as staged:
        ElementTree(root).write(staged.path(out), encoding="utf-8", xml_declaration=True)
    return staged.files
