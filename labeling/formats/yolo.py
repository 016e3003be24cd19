"""YOLO txt: one file per image, one line per object, class ids 0-based into a classes
file (``classes.txt`` or ``obj.names`` beside the labels, or ``classes=`` given):

- ``class cx cy w h``: a box (normalized center + size);
- ``class x1 y1 x2 y2 ... xn yn`` (n >= 3): a segmentation polygon (normalized
  points), read deliberately as its enclosing box and counted (``boxes_from_polygons``);
- any other number of fields (``class cx cy w h conf`` from a detector's output, a
  polygon with an odd coordinate) is refused (``wrong_field_count``), never misread.

YOLO files carry no image size: the reader takes it from the image header (``images=``
folder, default: the labels folder and its sibling ``images/``). A file that is not
UTF-8 or holds a bad line quarantines its image with the reason."""
from __future__ import annotations

import os
from collections import Counter

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import (AnnotationError, ImageLabels, Quarantined, from_pixels, image_size_of,
                                            listing, strict)
from datalife.labeling.formats.fields import number, read_text, show, text
from datalife.labeling.formats.output import Staged, num, per_image_names

__all__ = ["NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write", "load_classes", "find_image"]

NATIVE = BoxFormat("cxcywh", "normalized")
ORIGIN = 0
CLASS_FILES = ("classes.txt", "obj.names", "classes.names")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def list_files(path: str) -> list[str]:
    return listing(path, (".txt",), exclude=CLASS_FILES)


def load_classes(folder: str, classes=None) -> list[str]:
    if classes:
        return [text(c, "classes", None, f"classes[{k}]") for k, c in enumerate(classes)]
    for name in CLASS_FILES:
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return [text(line.strip(), p, f"line {k}", "class") for k, line in
                    enumerate(read_text(p).splitlines(), start=1) if line.strip()]
    raise AnnotationError(folder, None, "classes", f"no classes file ({', '.join(CLASS_FILES)}) and no "
                          "'classes' option", reason="malformed")


def find_image(label_path: str, images=None) -> str:
    folder = os.path.dirname(label_path)
    stem = os.path.splitext(os.path.basename(label_path))[0]
    dirs = [images] if images else [folder, os.path.join(os.path.dirname(folder), "images")]
    for d in dirs:
        for ext in IMAGE_SUFFIXES:
            for cand in (stem + ext, stem + ext.upper()):
                if os.path.isfile(os.path.join(d, cand)):
                    return os.path.join(d, cand)
    raise AnnotationError(label_path, None, "image", f"no image {stem}.* in {', '.join(dirs)}",
                          reason="missing_image")


def _line(parts: list[str], n: int, names: list[str], path: str, notes) -> tuple[list[float], str]:
    record = f"line {n}"
    if len(parts) != 5 and (len(parts) < 7 or len(parts) % 2 == 0):
        raise AnnotationError(path, record, "fields", f"{len(parts)} fields: a box is 'class cx cy w h' (5), a "
                              f"polygon 'class x1 y1 ... xn yn' (odd, >= 7); got {show(' '.join(parts))}",
                              reason="wrong_field_count")
    try:
        cls = int(parts[0])
    except ValueError:
        raise AnnotationError(path, record, "class", f"not a class id: {show(parts[0])}",
                              reason="not_a_number") from None
    if not 0 <= cls < len(names):
        raise AnnotationError(path, record, "class", f"id {cls} is not in the {len(names)} classes "
                              "(YOLO ids are 0-based)", reason="unknown_class")
    values = [number(v, path, record, f"field {j}", parse_text=True) for j, v in enumerate(parts[1:], start=2)]
    if len(values) == 4:
        return values, names[cls]
    xs, ys = values[0::2], values[1::2]
    notes["boxes_from_polygons"] += 1
    x1, y1, x2, y2 = min(xs), min(ys), max(xs), max(ys)
    return [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], names[cls]


def _raw_lines(path: str) -> int:
    """Non-empty lines of a file that is not UTF-8 (the boxes it held, for the counts)."""
    try:
        with open(path, "rb") as f:
            return sum(1 for line in f.read().splitlines() if line.strip())
    except OSError:
        return 0


def scan_file(path: str, classes=None, images=None, **_) -> list:
    names = load_classes(os.path.dirname(path), classes)  # a missing classes file fails the whole source
    stem = os.path.splitext(os.path.basename(path))[0]
    boxes, labels, notes, file, count = [], [], Counter(), "", 0
    try:
        try:
            lines = read_text(path).splitlines()
        except AnnotationError:
            count = _raw_lines(path)
            raise
        count = sum(1 for line in lines if line.strip())
        for n, line in enumerate(lines, start=1):
            parts = line.split()
            if parts:
                box, label = _line(parts, n, names, path, notes)
                boxes.append(box)
                labels.append(label)
        image = find_image(path, images)
        file = text(os.path.relpath(image, images or os.path.dirname(image)), path, None, "image")
        try:
            width, height = image_size_of(image)
        except ValueError as exc:
            raise AnnotationError(path, file, "image", str(exc), reason="bad_image") from None
    except AnnotationError as exc:
        return [Quarantined(exc, images=1, boxes=count, file=file or stem)]
    return [ImageLabels(file=file, width=width, height=height, boxes=boxes, labels=labels, where=path, notes=notes)]


def read_file(path: str, **options) -> list[ImageLabels]:
    return strict(scan_file(path, **options))


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    """One txt per image in the folder ``out`` plus ``classes.txt`` (0-based ids)."""
    ids = {n: i for i, n in enumerate(classes)}
    names = per_image_names(records, ".txt", reserved=CLASS_FILES)
    with Staged(out) as staged:
        with open(staged.path(os.path.join(out, "classes.txt")), "w") as f:
            f.write("".join(f"{n}\n" for n in classes))
        for rec, name in zip(records, names):
            lines = [" ".join([str(ids[label]), *(num(v, normalized=True) for v in box)]) + "\n"
                     for box, label in zip(from_pixels(rec, NATIVE), rec.labels)]
            with open(staged.path(os.path.join(out, name)), "w") as f:
                f.write("".join(lines))
    return staged.files
