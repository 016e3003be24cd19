"""YOLO txt: one file per image, one line per box ``class cx cy w h`` (normalized
center + size, class ids 0-based into a classes file: ``classes.txt`` or ``obj.names``
beside the labels, or ``classes=`` given). YOLO files carry no image size: the
reader takes it from the image header (``images=`` folder, default: the labels folder
and its sibling ``images/``)."""
from __future__ import annotations

import os

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, from_pixels, image_size_of

NATIVE = BoxFormat("cxcywh", "normalized")
ORIGIN = 0
CLASS_FILES = ("classes.txt", "obj.names", "classes.names")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def list_files(path: str) -> list[str]:
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise AnnotationError(path, None, None, "no such file or folder", reason="missing_file")
    return sorted(os.path.join(path, f) for f in os.listdir(path)
                  if f.endswith(".txt") and f not in CLASS_FILES)


def load_classes(folder: str, classes=None) -> list[str]:
    if classes:
        return list(classes)
    for name in CLASS_FILES:
        p = os.path.join(folder, name)
        if os.path.exists(p):
            with open(p) as f:
                return [line.strip() for line in f if line.strip()]
    raise AnnotationError(folder, None, "classes", f"no classes file ({', '.join(CLASS_FILES)}) and no "
                          "'classes' option", reason="malformed")


def find_image(label_path: str, images=None) -> str:
    folder = os.path.dirname(label_path)
    stem = os.path.splitext(os.path.basename(label_path))[0]
    dirs = [images] if images else [folder, os.path.join(os.path.dirname(folder), "images")]
    for d in dirs:
        for ext in IMAGE_SUFFIXES:
            for cand in (stem + ext, stem + ext.upper()):
                if os.path.exists(os.path.join(d, cand)):
                    return os.path.join(d, cand)
    raise AnnotationError(label_path, None, "image", f"no image {stem}.* in {', '.join(dirs)}",
                          reason="missing_image")


def read_file(path: str, classes=None, images=None, **_) -> list[ImageLabels]:
    names = load_classes(os.path.dirname(path), classes)
    image = find_image(path, images)
    width, height = image_size_of(image)
    boxes, labels = [], []
    with open(path) as f:
        for n, line in enumerate(f, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 5:
                raise AnnotationError(path, f"line {n}", "box", f"needs 'class cx cy w h', got {line.strip()!r}",
                                      reason="malformed")
            try:
                cls = int(parts[0])
                box = [float(v) for v in parts[1:5]]
            except ValueError:
                raise AnnotationError(path, f"line {n}", "box", f"not numbers: {line.strip()!r}",
                                      reason="malformed") from None
            if not 0 <= cls < len(names):
                raise AnnotationError(path, f"line {n}", "class", f"id {cls} is not in the {len(names)} classes "
                                      "(YOLO ids are 0-based)", reason="unknown_class")
            boxes.append(box)
            labels.append(names[cls])
    rel = os.path.relpath(image, images or os.path.dirname(image))
    return [ImageLabels(file=rel, width=width, height=height, boxes=boxes, labels=labels, where=path)]


def write(records: list[ImageLabels], out: str, classes: list[str], **_) -> list[str]:
    """One txt per image in the folder ``out`` plus ``classes.txt`` (0-based ids)."""
    os.makedirs(out, exist_ok=True)
    ids = {n: i for i, n in enumerate(classes)}
    with open(os.path.join(out, "classes.txt"), "w") as f:
        f.write("".join(f"{n}\n" for n in classes))
    written = []
    for rec in records:
        target = os.path.join(out, os.path.splitext(os.path.basename(rec.file))[0] + ".txt")
        with open(target, "w") as f:
            for box, label in zip(from_pixels(rec, NATIVE), rec.labels):
                f.write(" ".join([str(ids[label]), *(repr(float(v)) for v in box)]) + "\n")
        written.append(target)
    return written
