"""Pascal VOC XML, one file per image: ``filename``, ``size`` (width, height) and
``object`` (name, ``bndbox`` xmin / ymin / xmax / ymax).

VOC indexes pixels from 1 and both corners are inclusive (the devkit's area is
``(xmax - xmin + 1) * (ymax - ymin + 1)``), so a box covers the continuous interval
``[xmin - 1, xmax]``: with ``origin=1`` (the default) the reader subtracts 1 from xmin
and ymin and the writer adds it back. Coordinates may be decimals. XML is parsed with
defusedxml (external entities, DTDs and entity expansion are refused)."""
from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, from_pixels, listing, num

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


def number(node, tag: str, path: str, record: str, cast=float):
    text = node.findtext(tag)
    if text is None:
        raise AnnotationError(path, record, tag, "missing", reason="malformed")
    try:
        return cast(float(text)) if cast is int else cast(text)
    except ValueError:
        raise AnnotationError(path, record, tag, f"not a number: {text!r}", reason="malformed") from None


def read_file(path: str, **_) -> list[ImageLabels]:
    root = parse_xml(path)
    if root.tag != "annotation":
        raise AnnotationError(path, None, None, f"root element is <{root.tag}>, not <annotation>",
                              reason="malformed")
    size = root.find("size")
    width = number(size, "width", path, "size", int) if size is not None else None
    height = number(size, "height", path, "size", int) if size is not None else None
    boxes, labels = [], []
    for k, obj in enumerate(root.findall("object")):
        record = f"object {k}"
        name = obj.findtext("name")
        if not name:
            raise AnnotationError(path, record, "name", "missing", reason="malformed")
        bb = obj.find("bndbox")
        if bb is None:
            raise AnnotationError(path, record, "bndbox", "missing", reason="malformed")
        boxes.append([number(bb, t, path, record) for t in ("xmin", "ymin", "xmax", "ymax")])
        labels.append(name.strip())
    return [ImageLabels(file=(root.findtext("filename") or "").strip(), width=width, height=height,
                        boxes=boxes, labels=labels, where=path)]


def write(records: list[ImageLabels], out: str, classes: list[str], origin: int = ORIGIN, **_) -> list[str]:
    """One XML file per image in the folder ``out``."""
    import os

    os.makedirs(out, exist_ok=True)
    written = []
    for rec in records:
        ann = Element("annotation")
        SubElement(ann, "filename").text = rec.file
        size = SubElement(ann, "size")
        SubElement(size, "width").text = str(rec.width)
        SubElement(size, "height").text = str(rec.height)
        SubElement(size, "depth").text = "3"
        for box, label in zip(from_pixels(rec, NATIVE, origin), rec.labels):
            obj = SubElement(ann, "object")
            SubElement(obj, "name").text = label
            SubElement(obj, "difficult").text = "0"
            bb = SubElement(obj, "bndbox")
            for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), box):
                SubElement(bb, tag).text = num(v)
        target = os.path.join(out, os.path.splitext(os.path.basename(rec.file))[0] + ".xml")
        with open(target, "wb") as f:
            f.write(tostring(ann, encoding="utf-8"))
        written.append(target)
    return written
