"""Readers and writers of annotation formats, one module each, all with the same
interface (a registry: every format gets the same round-trip and bad-input tests):

- ``NATIVE``: the box format its numbers are in; ``ORIGIN``: 1 if pixels are 1-based;
- ``list_files(path)``: the annotation files of a source (a file or a folder; a folder
  without any is an error saying what it holds);
- ``scan_file(path, **options) -> list[ImageLabels | Quarantined]``: every record of a
  file (boxes in ``NATIVE``), a bad record set aside with the error naming file, record
  and field (an ``AnnotationError`` is raised only when the file as a whole is unusable);
- ``read_file(path, **options) -> list[ImageLabels]``: the same, raising the first
  bad record's error;
- ``write(records, out, classes, **options) -> list[str]``: records in the interchange
  form (corner pairs in pixels, origin 0; see ``base.to_pixels``); returns the files
  written, each written under a temporary name and renamed when complete.

Format readers read files by design (they are the core's only file-system code).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from datalife.labeling.formats.base import AnnotationError, ImageLabels, Quarantined
from datalife.labeling.formats.validate import interchange

__all__ = ["FORMATS", "get_format", "read", "scan", "write", "Scan"]

FORMATS = {
    "coco": "coco",
    "voc": "voc",
    "yolo": "yolo",
    "csv": "csv_format",
    "labelme": "labelme",
    "cvat": "cvat",
    "label_studio": "label_studio",
    "tfod": "tfod",
}


def get_format(name: str):
    if name not in FORMATS:
        raise ValueError(f"unknown annotation format {name!r}; allowed: {', '.join(FORMATS)}")
    return importlib.import_module(f"datalife.labeling.formats.{FORMATS[name]}")


@dataclass
class Scan:
    """A source read leniently: the checked records (interchange form) and the
    quarantined ones (whole files that could not be read count as ``files``)."""

    records: list = field(default_factory=list)
    quarantined: list = field(default_factory=list)
    files: int = 0

    def raise_first(self) -> None:
        if self.quarantined:
            raise self.quarantined[0].error


def scan(name: str, path: str, box_format=None, origin=None, **options) -> Scan:
    """All images of a source, each checked by :func:`validate.interchange` (the same
    check the label unifier makes); nothing raises but a missing source."""
    fmt = get_format(name)
    box_format = box_format or fmt.NATIVE
    origin = fmt.ORIGIN if origin is None else origin
    out = Scan()
    for f in fmt.list_files(path):
        out.files += 1
        try:
            items = fmt.scan_file(f, **options)
        except AnnotationError as exc:
            out.quarantined.append(Quarantined(exc, images=0, boxes=0, files=1))
            continue
        for item in items:
            if isinstance(item, ImageLabels):
                try:
                    item = interchange(item, box_format, origin)
                except AnnotationError as exc:
                    item = Quarantined(exc, images=1, boxes=len(item.boxes), file=item.file)
            (out.records if isinstance(item, ImageLabels) else out.quarantined).append(item)
    return out


def read(name: str, path: str, box_format=None, origin=None, **options) -> list[ImageLabels]:
    """All images of a source in the checked interchange form (pixel corners, origin
    0); the first bad file or record raises its error."""
    done = scan(name, path, box_format, origin, **options)
    done.raise_first()
    return done.records


def write(name: str, records, out: str, classes, **options) -> list[str]:
    return get_format(name).write(records, out, list(classes), **options)
