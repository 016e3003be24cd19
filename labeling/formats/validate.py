"""The one validation every record passes on its way into the interchange form, used
by the converter (``labels convert``) and the label unifier alike: boxes finite, not
inverted, not far outside the image, every box labelled, the image named.

Reasons: ``not_finite``, ``negative_size``, ``outside_image``, ``missing_label``,
``missing_image``, ``missing_size``.

A box may run past the image edge (annotators drag past it; the unifier clips and
counts it), but one whose corners lie more than ``OUTSIDE`` image sizes beyond the
edges is not an overshoot: it is bad data (a wrong unit, a sign error, 1e308)."""
from __future__ import annotations

import numpy as np

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import ImageLabels, to_pixels

__all__ = ["check_record", "interchange", "OUTSIDE"]

OUTSIDE = 1.0  # how far (in image widths / heights) a corner may lie beyond the image


def _box(b) -> str:
    return "[" + ", ".join(f"{v:g}" for v in b) + "]"


def check_record(rec: ImageLabels, width=None, height=None) -> ImageLabels:
    """Raises an AnnotationError naming file, record and box unless ``rec`` (interchange
    form) is valid; ``width`` / ``height`` (default: the record's own) bound the boxes."""
    if not rec.file:
        raise rec.fail("image", "no image file named", "missing_image")
    for k, label in enumerate(rec.labels):
        if not isinstance(label, str) or not label.strip():
            raise rec.fail(f"box {k} class", f"no class name ({label!r})", "missing_label")
    b = rec.boxes
    if not len(b):
        return rec
    for k in np.flatnonzero(~np.isfinite(b).all(axis=1)):
        raise rec.fail(f"box {k}", f"not finite: {_box(b[k])}", "not_finite")
    size = b[:, 2:] - b[:, :2]
    for k, axis in zip(*np.nonzero(size < 0)):
        raise rec.fail(f"box {k}", f"negative {('width', 'height')[axis]} {size[k, axis]:g}", "negative_size")
    w, h = width or rec.width, height or rec.height
    if w and h:
        lim = np.array([w, h, w, h], dtype=np.float64)
        far = ((b < -OUTSIDE * lim) | (b > (1 + OUTSIDE) * lim)).any(axis=1)
        for k in np.flatnonzero(far):
            raise rec.fail(f"box {k}", f"{_box(b[k])} lies far outside the {w}x{h} image", "outside_image")
    return rec


def interchange(rec: ImageLabels, fmt, origin: int = 0, width=None, height=None) -> ImageLabels:
    """``rec`` as its reader returned it (boxes in ``fmt`` from ``origin``) -> the checked
    interchange form (pixel corners, origin 0)."""
    return check_record(to_pixels(rec, BoxFormat.parse(fmt), origin), width, height)
