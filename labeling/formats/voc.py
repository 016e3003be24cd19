"""Pascal VOC XML, one file per image: ``filename``, ``size`` (width, height) and
``object`` (name, ``bndbox`` xmin / ymin / xmax / ymax).

VOC indexes pixels from 1 and both corners are inclusive (the devkit's area is
``(xmax - xmin + 1) * (ymax - ymin + 1)``), so a box covers the continuous interval
``[xmin - 1, xmax]``: with ``origin=1`` (the default) the reader subtracts 1 from xmin
and ymin and the writer adds it back. Coordinates may be decimals. XML is parsed with
defusedxml (external entities, DTDs and entity expansion are refused). A file that
parses but holds a bad value (``<xmin>nan</xmin>``, ``<width>inf</width>``) quarantines
its image with the reason; one that does not parse fails as a whole."""
from __future__ import annotations

import os
from xml.etree.ElementTree import Element, ElementTree, SubElement, indent

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, Quarantined, from_pixels, listing, strict
from datalife.labeling.formats.fields import image_size, number, text
from datalife.labeling.formats.output import Staged, num, per_image_names

__all__ = ["NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write", "parse_xml"]

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 1


def list_files(path: str) -> list[str]:
    return listing(path, (".xml",))


def parse_xml(path: str):
    """The root element of an XML file, parsed safely; errors name the file."""
    try:
        return SafeET.parse(path, forbid_dtd=True).getroot()
    except DefusedXmlException as exc:
        raise AnnotationError(path, None, None, f"unsafe XML refused ({type(exc).__name__}): {exc}",
                              reason="unsafe_xml") from exc
    except SafeET.ParseError as exc:
        raise AnnotationError(path, None, None, f"malformed XML: {exc}", reason="malformed") from exc
    except OSError as exc:
        raise AnnotationError(path, None, None, f"cannot read: {exc.strerror or exc}", reason="unreadable") from None


def _value(node, tag: str, path: str, record: str) -> float:
    v = node.findtext(tag)
    if v is None:
        raise AnnotationError(path, record, tag, "missing", reason="malformed")
    return number(v, path, record, tag, parse_text=True)


def _read(root, path: str) -> ImageLabels:
    name = text((root.findtext("filename") or "").strip(), path, None, "filename", allow_empty=True)
    size = root.find("size")
    width = image_size(size.findtext("width"), path, "size", "width", True) if size is not None else None
    height = image_size(size.findtext("height"), path, "size", "height", True) if size is not None else None
    boxes, labels = [], []
    for k, obj in enumerate(root.findall("object")):
        record = f"object {k}"
        label = text((obj.findtext("name") or "").strip(), path, record, "name")
        bb = obj.find("bndbox")
        if bb is None:
            raise AnnotationError(path, record, "bndbox", "missing", reason="missing_box")
        boxes.append([_value(bb, t, path, record) for t in ("xmin", "ymin", "xmax", "ymax")])
        labels.append(label)
    return ImageLabels(file=name, width=width, height=height, boxes=boxes, labels=labels, where=path)


def scan_file(path: str, **_) -> list:
    root = parse_xml(path)
    if root.tag != "annotation":
        raise AnnotationError(path, None, None, f"root element is <{root.tag}>, not <annotation>",
                              reason="malformed")
    try:
        return [_read(root, path)]
    except AnnotationError as exc:
        name = (root.findtext("filename") or "").strip()[:200]
        return [Quarantined(exc, images=1, boxes=len(root.findall("object")), file=name)]


def read_file(path: str, **options) -> list[ImageLabels]:
    return strict(scan_file(path, **options))


def write(records: list[ImageLabels], out: str, classes: list[str], origin: int = ORIGIN, **_) -> list[str]:
    """One XML file per image in the folder ``out`` (indented, integers as integers)."""
    names = per_image_names(records, ".xml")
    with Staged(out) as staged:
        for rec, name in zip(records, names):
            ann = Element("annotation")
            SubElement(ann, "filename").text = rec.file
            size = SubElement(ann, "size")
            SubElement(size, "width").text = "" if rec.width is None else str(rec.width)
            SubElement(size, "height").text = "" if rec.height is None else str(rec.height)
            SubElement(size, "depth").text = "3"
            for box, label in zip(from_pixels(rec, NATIVE, origin), rec.labels):
                obj = SubElement(ann, "object")
                SubElement(obj, "name").text = label
                SubElement(obj, "difficult").text = "0"
                bb = SubElement(obj, "bndbox")
                for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), box):
                    SubElement(bb, tag).text = num(v)
            indent(ann)
            ElementTree(ann).write(staged.path(os.path.join(out, name)), encoding="utf-8", xml_declaration=False)
    return staged.files
