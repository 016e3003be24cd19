"""IoU of corner boxes and one-to-one matching of two box sets (Hungarian assignment).

Boxes are corner pairs (x1, y1, x2, y2) in any one unit. ``match_boxes`` pairs boxes of
set A with boxes of set B so that the total IoU is the largest possible, using only
pairs whose IoU is at least ``iou_threshold`` (and, when classes are given, of the same
class: one assignment per class). It is SciPy's ``linear_sum_assignment`` on the IoU
matrix with the disallowed pairs set to zero, so a disallowed pair never beats leaving
both boxes unmatched.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["iou_matrix", "match_boxes", "check_iou_threshold"]


def check_iou_threshold(value: float, name: str = "iou_threshold") -> float:
    """``value`` as a float if it lies in (0, 1], else a ValueError naming it."""
    v = float(value)
    if not (0.0 < v <= 1.0):
        raise ValueError(f"{name} must be in (0, 1], got {value!r}")
    return v


def iou_matrix(a, b) -> np.ndarray:
    """(len(a), len(b)) IoU of corner boxes; 0 where a box is empty."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0.0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0.0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def match_boxes(a, b, iou_threshold: float = 0.5, a_classes: Optional[Sequence[int]] = None,
                b_classes: Optional[Sequence[int]] = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Matched pairs ``(index_in_a, index_in_b, iou)``, sorted by index in A.

    With classes, only boxes of the same class are paired (one assignment per class);
    without, classes are ignored (as for a class-confusion table)."""
    thr = check_iou_threshold(iou_threshold)
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    if (a_classes is None) != (b_classes is None):
        raise ValueError("give classes for both box sets or for neither")
    if a_classes is None:
        groups = [(np.arange(len(a)), np.arange(len(b)))]
    else:
        ca, cb = np.asarray(a_classes).reshape(-1), np.asarray(b_classes).reshape(-1)
        if len(ca) != len(a) or len(cb) != len(b):
            raise ValueError(f"{len(a)} and {len(b)} boxes but {len(ca)} and {len(cb)} classes")
        groups = [(np.flatnonzero(ca == c), np.flatnonzero(cb == c)) for c in np.intersect1d(ca, cb)]
    ia, ib, ious = [], [], []
    for sa, sb in groups:
        if len(sa) == 0 or len(sb) == 0:
            continue
        m = iou_matrix(a[sa], b[sb])
        allowed = np.where(m >= thr, m, 0.0)
        rows, cols = linear_sum_assignment(allowed, maximize=True)
        ok = m[rows, cols] >= thr
        ia.append(sa[rows[ok]])
        ib.append(sb[cols[ok]])
        ious.append(m[rows[ok], cols[ok]])
    if not ia:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    ia, ib, ious = np.concatenate(ia), np.concatenate(ib), np.concatenate(ious)
    order = np.argsort(ia, kind="stable")
    return ia[order].astype(np.int64), ib[order].astype(np.int64), ious[order]
