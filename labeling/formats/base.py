"""What every annotation format shares: one image's labels, the errors that name
file, record and field, safe image paths and image sizes read from file headers."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import numpy as np

from datalife.labeling.boxes import BoxFormat, convert_boxes

__all__ = ["ImageLabels", "AnnotationError", "safe_image_path", "image_size_of", "to_pixels",
           "from_pixels", "num", "listing", "PIXEL_XYXY"]

PIXEL_XYXY = BoxFormat("xyxy", "pixel")


class AnnotationError(ValueError):
    """A bad annotation: ``file``, ``record`` (an image or row within it) and ``field``
    say where; ``reason`` is a short category used in quarantine counts."""

    def __init__(self, file: str, record: Optional[str], field: Optional[str], message: str,
                 reason: str = "invalid"):
        self.file, self.record, self.field, self.reason = str(file), record, field, reason
        where = ": ".join(str(p) for p in (file, record, field) if p not in (None, ""))
        super().__init__(f"{where}: {message}")


@dataclass
class ImageLabels:
    """One image's boxes as read from a source (in the reader's box format) or in
    the interchange form (corner pairs in pixels, origin 0) that writers take."""

    file: str  # the image as the annotation names it (relative to the images root)
    width: Optional[int]
    height: Optional[int]
    boxes: np.ndarray  # (N, 4) float64
    labels: list  # one class name per box
    where: str = ""  # the annotation file (and record) it came from, for messages
    image_bytes: Optional[bytes] = field(default=None, repr=False)  # formats that embed it

    def __post_init__(self):
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        if len(self.labels) != len(self.boxes):
            raise AnnotationError(self.where, self.file, "labels",
                                  f"{len(self.boxes)} boxes but {len(self.labels)} labels")


def safe_image_path(root: str, name: str, where: str = "") -> str:
    """``root/name``, refusing names that leave ``root`` (``../``, absolute paths,
    symlinks pointing outside)."""
    if not name:
        raise AnnotationError(where, None, "image", "no image file named", reason="missing_image")
    base = os.path.realpath(root)
    target = os.path.realpath(os.path.join(base, name))
    if os.path.isabs(name) or os.path.commonpath([base, target]) != base:
        raise AnnotationError(where, name, "image",
                              f"image path escapes the dataset root {root!r}; refused", reason="unsafe_path")
    return target


def image_size_of(data_or_path) -> tuple[int, int]:
    """(width, height) from an image's header (bytes or a path), without decoding it."""
    from PIL import Image, UnidentifiedImageError

    src = io.BytesIO(data_or_path) if isinstance(data_or_path, (bytes, bytearray)) else data_or_path
    try:
        with Image.open(src) as im:
            return im.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"not a readable image: {exc}") from exc


def to_pixels(rec: ImageLabels, fmt, origin: int = 0) -> ImageLabels:
    """``rec`` (boxes in ``fmt``, pixel indices from ``origin``) -> interchange form."""
    fmt = BoxFormat.parse(fmt)
    size = None
    if fmt.normalized:
        if not rec.width or not rec.height:
            raise AnnotationError(rec.where, rec.file, "size", "normalized boxes need the image size")
        size = (rec.width, rec.height)
    b = convert_boxes(rec.boxes, fmt, PIXEL_XYXY, size)
    if origin:
        b[:, :2] -= origin  # 1-based inclusive pixel indices: the box starts at index - 1
    return replace(rec, boxes=b)


def from_pixels(rec: ImageLabels, fmt, origin: int = 0) -> np.ndarray:
    """Interchange boxes of ``rec`` -> (N, 4) in ``fmt`` (inverse of :func:`to_pixels`)."""
    fmt = BoxFormat.parse(fmt)
    b = rec.boxes.copy()
    if origin:
        b[:, :2] += origin
    size = (rec.width, rec.height) if fmt.normalized else None
    return convert_boxes(b, PIXEL_XYXY, fmt, size)


def num(v: float) -> str:
    """A coordinate as text that reads back to the same float (integers without '.0')."""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


def listing(path: str, suffixes: tuple[str, ...]) -> list[str]:
    """The annotation files of a source: ``path`` itself, or the files in that folder
    ending in one of ``suffixes``, sorted."""
    p = Path(path)
    if p.is_file():
        return [str(p)]
    if not p.is_dir():
        raise AnnotationError(path, None, None, "no such file or folder", reason="missing_file")
    return sorted(str(f) for f in p.iterdir() if f.is_file() and f.name.lower().endswith(suffixes))
