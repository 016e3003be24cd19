"""What every annotation format shares: one image's labels, the errors that name
file, record and field, a record set aside by its reader (:class:`Quarantined`), safe
image paths and image sizes read from file headers."""
from __future__ import annotations

import io
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Union

import numpy as np

from datalife.labeling.boxes import BoxFormat, convert_boxes

__all__ = ["ImageLabels", "AnnotationError", "Quarantined", "safe_image_path", "image_size_of", "to_pixels",
           "from_pixels", "listing", "strict", "PIXEL_XYXY", "REFUSED"]

PIXEL_XYXY = BoxFormat("xyxy", "pixel")
REFUSED = ("unsafe_path", "unsafe_xml")  # security refusals: never quarantined, always an error


class AnnotationError(ValueError):
    """A bad annotation: ``file``, ``record`` (an image or row within it) and ``field``
    say where; ``reason`` is a short category used in quarantine counts."""

    def __init__(self, file: str, record: Optional[str], field: Optional[str], message: str,
                 reason: str = "invalid"):
        self.file, self.record, self.field, self.reason = str(file), record, field, reason
        self.detail = message
        where = ": ".join(str(p) for p in (file, record, field) if p not in (None, ""))
        super().__init__(f"{where}: {message}")

    def __reduce__(self):  # picklable (Beam moves errors between workers)
        return (type(self), (self.file, self.record, self.field, self.detail, self.reason))

    def as_record(self) -> dict:
        """The standard quarantine record: {file, record, field, reason, message}."""
        return {"file": self.file, "record": self.record, "field": self.field, "reason": self.reason,
                "message": str(self)}


@dataclass
class ImageLabels:
    """One image's boxes as read from a source (in the reader's box format) or in
    the interchange form (corner pairs in pixels, origin 0) that writers take."""

    file: str  # the image as the annotation names it (relative to the images root)
    width: Optional[int]
    height: Optional[int]
    boxes: np.ndarray  # (N, 4) float64
    labels: list  # one class name per box
    where: str = ""  # the annotation file it came from, for messages
    image_bytes: Optional[bytes] = field(default=None, repr=False)  # formats that embed it
    record: str = ""  # the record within the annotation file ("image id 3", "task 7"), if several
    notes: Counter = field(default_factory=Counter)  # deliberate readings, e.g. boxes_from_polygons
    annotator: Optional[str] = None  # who drew the boxes, where the format says (Label Studio, CVAT)

    def __post_init__(self):
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        if len(self.labels) != len(self.boxes):
            raise AnnotationError(self.where, self.name, "labels",
                                  f"{len(self.boxes)} boxes but {len(self.labels)} labels")

    @property
    def name(self) -> str:
        """The record and image for messages: ``image id 3: a.jpg`` (or just the image;
        a name longer than 200 characters is cut)."""
        file = self.file if len(self.file) <= 200 else f"{self.file[:200]}... ({len(self.file)} characters)"
        return ": ".join(p for p in (self.record, file) if p)

    @property
    def location(self) -> str:
        """The annotation file and record it came from."""
        return ": ".join(p for p in (self.where, self.record) if p)

    def fail(self, field: Optional[str], message: str, reason: str) -> AnnotationError:
        return AnnotationError(self.where, self.name, field, message, reason=reason)


@dataclass
class Quarantined:
    """A record its reader set aside: the error naming file, record and field, and how
    many images and boxes it held (counted as quarantined, never lost silently).
    ``images`` is 0 for a record that belongs to no image (a COCO annotation pointing
    to no image, a CSV row that cannot be split into fields); ``files`` is 1 when a
    whole file could not be read."""

    error: AnnotationError
    images: int = 1
    boxes: int = 0
    file: str = ""  # the image, when known
    files: int = 0

    @property
    def reason(self) -> str:
        return self.error.reason

    def as_record(self) -> dict:
        return {**self.error.as_record(), "image": self.file or None}


Item = Union[ImageLabels, Quarantined]


def strict(items: list) -> list[ImageLabels]:
    """The records of a lenient reading, raising the first quarantined record's error."""
    for item in items:
        if isinstance(item, Quarantined):
            raise item.error
    return items


def safe_image_path(root: str, name: str, where: str = "") -> str:
    """``root/name``, refusing names that leave ``root`` (``../``, absolute paths,
    symlinks pointing outside)."""
    if not name:
        raise AnnotationError(where, None, "image", "no image file named", reason="missing_image")
    if "\x00" in name:
        raise AnnotationError(where, repr(name)[:80], "image", "NUL character in the image path",
                              reason="malformed")
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, name))
    if os.path.isabs(name) or os.path.commonpath([base, target]) != base:
        raise AnnotationError(where, name, "image",
                              f"image path escapes the dataset root {root!r}; refused", reason="unsafe_path")
    return target


def image_size_of(data_or_path) -> tuple[int, int]:
    """(width, height) from an image's header (bytes or a path), without decoding it;
    ValueError when the header cannot be read (not an image, truncated, too large)."""
    from PIL import Image

    src = io.BytesIO(data_or_path) if isinstance(data_or_path, (bytes, bytearray)) else data_or_path
    try:
        with Image.open(src) as im:
            return im.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:  # what PIL raises on bad headers
        raise ValueError(f"not a readable image: {exc}") from exc


def to_pixels(rec: ImageLabels, fmt, origin: int = 0) -> ImageLabels:
    """``rec`` (boxes in ``fmt``, pixel indices from ``origin``) -> interchange form."""
    fmt = BoxFormat.parse(fmt)
    size = None
    if fmt.normalized:
        if not rec.width or not rec.height:
            if not len(rec.boxes):
                return replace(rec, boxes=rec.boxes.copy())
            raise rec.fail("size", "normalized boxes need the image size", "missing_size")
        size = (rec.width, rec.height)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to inf is caught by the checks
        b = convert_boxes(rec.boxes, fmt, PIXEL_XYXY, size)
    if origin:
        b[:, :2] -= origin  # 1-based inclusive pixel indices: the box starts at index - 1
    return replace(rec, boxes=b)


def from_pixels(rec: ImageLabels, fmt, origin: int = 0) -> np.ndarray:
    """Interchange boxes of ``rec`` -> (N, 4) in ``fmt`` (inverse of :func:`to_pixels`)."""
    fmt = BoxFormat.parse(fmt)
    b = rec.boxes.copy()
    if not len(b):
        return b
    if origin:
        b[:, :2] += origin
    size = None
    if fmt.normalized:
        if not rec.width or not rec.height:
            raise rec.fail("size", f"the image size is unknown: {fmt} boxes cannot be written", "missing_size")
        size = (rec.width, rec.height)
    return convert_boxes(b, PIXEL_XYXY, fmt, size)


def listing(path: str, suffixes: tuple[str, ...], exclude: tuple[str, ...] = ()) -> list[str]:
    """The annotation files of a source: ``path`` itself, or the files in that folder
    ending in one of ``suffixes`` (sorted). A folder holding none of them is an error
    that says what it holds (a folder of XML given as COCO reads 0 images otherwise)."""
    p = Path(path)
    if p.is_file():
        return [str(p)]
    if not p.is_dir():
        raise AnnotationError(path, None, None, "no such file or folder", reason="missing_file")
    entries = sorted(p.iterdir())
    found = [str(f) for f in entries if f.is_file() and f.name.lower().endswith(suffixes) and f.name not in exclude]
    if not found:
        kinds = Counter((f.suffix.lower() or "(no suffix)") if f.is_file() else "folders" for f in entries
                        if f.name not in exclude)
        held = ", ".join(f"{n} {k}" for k, n in kinds.most_common(5)) or "nothing"
        raise AnnotationError(path, None, None, f"no annotation files ({', '.join('*' + s for s in suffixes)}) in "
                              f"this folder; it holds {held}: is it another format?", reason="no_annotations")
    return found
