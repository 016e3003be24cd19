"""Readers and writers of annotation formats, one module each, all with the same
interface (a registry: every format gets the same round-trip and bad-input tests):

- ``NATIVE``: the box format its numbers are in; ``ORIGIN``: 1 if pixels are 1-based;
- ``list_files(path)``: the annotation files of a source (a file or a folder);
- ``read_file(path, **options) -> list[ImageLabels]`` (boxes in ``NATIVE``);
- ``write(records, out, classes, **options)``: records in the interchange form
  (corner pairs in pixels, origin 0; see ``base.to_pixels``).
"""
from __future__ import annotations

import importlib

__all__ = ["FORMATS", "get_format", "read", "write"]

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


def read(name: str, path: str, box_format=None, origin=None, **options):
    """All images of a source in the interchange form (pixel corners, origin 0)."""
    from datalife.labeling.formats.base import to_pixels

    fmt = get_format(name)
    out = []
    for f in fmt.list_files(path):
        for rec in fmt.read_file(f, **options):
            out.append(to_pixels(rec, box_format or fmt.NATIVE, fmt.ORIGIN if origin is None else origin))
    return out


def write(name: str, records, out: str, classes, **options):
    return get_format(name).write(records, out, list(classes), **options)
