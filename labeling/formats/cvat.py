"""CVAT for images 1.1 XML: ``<image name width height>`` holding ``<box label xtl
ytl xbr ybr [rotation]>`` (rotation in degrees, clockwise about the box center: read
as the enclosing box) and ``<polygon points="x,y;x,y">`` (its enclosing box). Parsed
with defusedxml."""
from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, from_pixels, listing, num
from datalife.labeling.formats.rotation import enclosing_box
from datalife.labeling.formats.voc import parse_xml

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 0


def list_files(path: str) -> list[str]:
    return listing(path, (".xml",))


def _float(node, attr, path, record):
    v = node.get(attr)
    try:
        return float(v)
    except (TypeError, ValueError):
        raise AnnotationError(path, record, attr, f"not a number: {v!r}", reason="malformed") from None


def read_file(path: str, **_) -> list[ImageLabels]:
    root = parse_xml(path)
    if root.tag != "annotations":
        raise AnnotationError(path, None, None, f"root element is <{root.tag}>, not <annotations>",
                              reason="malformed")
    out = []
    for image in root.iter("image"):
        record = f"image {image.get('id', image.get('name'))}"
        boxes, labels = [], []
        for node in image:
            if node.tag == "box":
                x1, y1, x2, y2 = (_float(node, a, path, record) for a in ("xtl", "ytl", "xbr", "ybr"))
                rot = float(node.get("rotation", 0) or 0)
                boxes.append(enclosing_box(x1, y1, x2 - x1, y2 - y1, rot, "center"))
            elif node.tag == "polygon":
                try:
                    pts = [tuple(float(v) for v in p.split(",")) for p in node.get("points", "").split(";")]
                    xs, ys = zip(*pts)
                except ValueError:
                    raise AnnotationError(path, record, "points", f"bad polygon {node.get('points')!r}",
                                          reason="malformed") from None
                boxes.append([min(xs), min(ys), max(xs), max(ys)])
            else:
                continue
            labels.append(node.get("label", ""))
        width, height = image.get("width"), image.get("height")
        out.append(ImageLabels(file=image.get("name", ""), width=int(width) if width else None,
                               height=int(height) if height else None, boxes=boxes, labels=labels,
                               where=f"{path}: {record}"))
    return out


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    root = Element("annotations")
    SubElement(root, "version").text = "1.1"
    meta = SubElement(SubElement(root, "meta"), "task")
    labels_node = SubElement(meta, "labels")
    for name in classes:
        SubElement(SubElement(labels_node, "label"), "name").text = name
    for i, rec in enumerate(records):
        image = SubElement(root, "image", id=str(i), name=rec.file, width=str(rec.width), height=str(rec.height))
        for b, label in zip(from_pixels(rec, NATIVE), rec.labels):
            SubElement(image, "box", label=label, occluded="0", source="manual", xtl=num(b[0]), ytl=num(b[1]),
                       xbr=num(b[2]), ybr=num(b[3]), z_order="0")
    with open(out, "wb") as f:
        f.write(b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="utf-8"))
    return [out]
