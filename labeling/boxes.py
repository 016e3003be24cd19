"""Bounding-box conventions and their conversion, vectorised over (N, 4) arrays.

A box format is a convention and a unit, written ``"<convention>:<unit>"``:

- ``xyxy``: corner pairs (x1, y1, x2, y2), as Pascal VOC, CVAT, TF Object Detection;
- ``xywh``: top-left corner + size (x, y, w, h), as COCO;
- ``cxcywh``: center + size (cx, cy, w, h), as YOLO;

in ``pixel`` (absolute) or ``normalized`` ([0, 1] of the image width / height) units.
Pixel coordinates are continuous with the origin at the image's top-left corner: pixel
column ``i`` covers ``[i, i + 1)``. Formats that index pixels from 1 (Pascal VOC) are
shifted by their reader (see ``labeling.formats.voc``).
"""
from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np

__all__ = ["BoxFormat", "convert_boxes", "clip_boxes", "box_areas", "boxes_to_mask", "CONVENTIONS"]

CONVENTIONS = ("xyxy", "xywh", "cxcywh")
UNITS = ("pixel", "normalized")


ALL_FORMATS = tuple(f"{c}:{u}" for c in CONVENTIONS for u in UNITS)


def _did_you_mean(convention: str, unit: str) -> str:
    """' (did you mean 'xyxy:pixel'?)' for 'xyxy_pixel', 'XYXY-normalized', ...: the
    words of the given text matched against the conventions and units."""
    words = [w for w in re.split(r"[^a-z]+", f"{convention} {unit}".lower()) if w]
    conv = next((w for w in words if w in CONVENTIONS), None)
    found_unit = next((u for w in words for u in UNITS if w in (u, u + "s", u[:4])), None)
    if conv is None:
        return ""
    return f" (did you mean '{conv}:{found_unit or 'pixel'}'?)"


@dataclass(frozen=True)
class BoxFormat:
    convention: str = "xyxy"
    unit: str = "normalized"

    def __post_init__(self):
        if self.convention not in CONVENTIONS or self.unit not in UNITS:
            what = (f"box convention {self.convention!r} is not one of {', '.join(CONVENTIONS)}"
                    if self.convention not in CONVENTIONS else f"box unit {self.unit!r} is not one of {', '.join(UNITS)}")
            raise ValueError(f"{what}{_did_you_mean(self.convention, self.unit)}; a box format is CONVENTION:UNIT, "
                             f"one of {', '.join(ALL_FORMATS)} (the unit defaults to pixel)")

    @classmethod
    def parse(cls, spec: Union[str, "BoxFormat"]) -> "BoxFormat":
        """``"xywh:pixel"``, ``"cxcywh:normalized"``, ... (the unit defaults to pixel)."""
        if isinstance(spec, BoxFormat):
            return spec
        convention, _, unit = str(spec).partition(":")
        return cls(convention.strip(), unit.strip() or "pixel")

    @property
    def normalized(self) -> bool:
        return self.unit == "normalized"

    def __str__(self) -> str:
        return f"{self.convention}:{self.unit}"


def _as_boxes(boxes) -> np.ndarray:
    a = np.asarray(boxes, dtype=np.float64)
    if a.size == 0:
        return a.reshape(0, 4)
    if a.ndim != 2 or a.shape[1] != 4:
        raise ValueError(f"boxes must have shape (N, 4), got {a.shape}")
    return a


def _sizes(image_size, n: int) -> np.ndarray:
    """(N, 4) multipliers (w, h, w, h) from one (width, height) or an (N, 2) array."""
    if image_size is None:
        raise ValueError("converting between pixel and normalized units needs image_size (width, height)")
    s = np.asarray(image_size, dtype=np.float64)
    if s.ndim == 1:
        s = np.broadcast_to(s, (n, 2))
    if s.shape != (n, 2):
        raise ValueError(f"image_size must be (width, height) or shape ({n}, 2), got {s.shape}")
    if np.any(s <= 0):
        raise ValueError("image sizes must be positive")
    return np.concatenate([s, s], axis=1)


def convert_boxes(boxes, src, dst, image_size: Optional[Union[Sequence[float], np.ndarray]] = None) -> np.ndarray:
    """``boxes`` (N, 4) in format ``src`` -> a new float64 (N, 4) array in ``dst``.
    ``image_size`` is (width, height), or one per box as an (N, 2) array; it is needed
    only when the units differ."""
    src, dst = BoxFormat.parse(src), BoxFormat.parse(dst)
    b = _as_boxes(boxes).copy()
    if src.convention == "xywh":
        b[:, 2:] += b[:, :2]
    elif src.convention == "cxcywh":
        half = b[:, 2:] / 2
        b[:, 2:] = b[:, :2] + half
        b[:, :2] -= half
    if src.unit != dst.unit:
        scale = _sizes(image_size, len(b))
        b = b / scale if dst.normalized else b * scale
    if dst.convention == "xywh":
        b[:, 2:] -= b[:, :2]
    elif dst.convention == "cxcywh":
        size = b[:, 2:] - b[:, :2]
        b[:, :2] += size / 2
        b[:, 2:] = size
    return b


def clip_boxes(xyxy, limits=(1.0, 1.0)) -> np.ndarray:
    """Corner boxes clipped to ``[0, limit]`` per axis (``limits``: (width, height), or
    (1, 1) for normalized boxes, or an (N, 2) array)."""
    b = _as_boxes(xyxy)
    lim = np.asarray(limits, dtype=np.float64)
    lim = np.broadcast_to(lim, (len(b), 2)) if lim.ndim == 1 else lim
    hi = np.concatenate([lim, lim], axis=1)
    return np.clip(b, 0.0, hi)


def box_areas(xyxy) -> np.ndarray:
    """Areas of corner boxes; zero or negative when a box is empty or inverted."""
    b = _as_boxes(xyxy)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def boxes_to_mask(xyxy_pixel, class_ids, height: int, width: int, background: int = 0,
                  dtype=np.uint8) -> np.ndarray:
    """A (height, width) class-index mask: pixel (row r, column c) takes a box's class
    when its center (c + 0.5, r + 0.5) lies inside the box (half-open on the far sides).
    Where boxes overlap the smaller box wins (it is painted last)."""
    b = _as_boxes(xyxy_pixel)
    ids = np.asarray(class_ids)
    if len(ids) != len(b):
        raise ValueError(f"{len(b)} boxes but {len(ids)} class ids")
    mask = np.full((height, width), background, dtype=dtype)
    # first / last pixel whose center is inside: ceil(x1 - 0.5) .. ceil(x2 - 0.5) (exclusive)
    lo = np.ceil(b[:, :2] - 0.5).astype(np.int64)
    hi = np.ceil(b[:, 2:] - 0.5).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [width, height])
    for i in np.argsort(-box_areas(b), kind="stable"):
        (c0, r0), (c1, r1) = lo[i], hi[i]
        if c1 > c0 and r1 > r0:
            mask[r0:r1, c0:c1] = ids[i]
    return mask
