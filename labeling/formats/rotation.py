"""Axis-aligned boxes enclosing rotated rectangles (CVAT, Label Studio)."""
from __future__ import annotations

import numpy as np


def enclosing_box(x: float, y: float, w: float, h: float, degrees: float, pivot: str) -> list[float]:
    """The corner box enclosing the rectangle (x, y, w, h) rotated clockwise (image
    axes, y down) by ``degrees`` about its ``"center"`` or its ``"top_left"`` corner."""
    if not degrees:
        return [x, y, x + w, y + h]
    t = np.deg2rad(degrees)
    c, s = np.cos(t), np.sin(t)
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    pivot_xy = np.array([w / 2, h / 2]) if pivot == "center" else np.zeros(2)
    with np.errstate(over="ignore", invalid="ignore"):  # huge inputs overflow to inf / nan: the checks refuse them
        rotated = (corners - pivot_xy) @ np.array([[c, s], [-s, c]]) + pivot_xy + [x, y]
    lo, hi = rotated.min(axis=0), rotated.max(axis=0)
    return [lo[0], lo[1], hi[0], hi[1]]
