"""Pictures for reports: boxes drawn on images, and images tiled into a grid (OpenCV)."""
from __future__ import annotations

from typing import Optional, Sequence

import cv2
import numpy as np

__all__ = ["decode_image", "draw_boxes", "tile", "grid", "encode_png", "figure_png"]

PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
           (240, 50, 230), (210, 245, 60), (0, 128, 128), (170, 110, 40)]


def decode_image(data: bytes) -> Optional[np.ndarray]:
    """RGB uint8 (H, W, 3) from encoded bytes, or None when they are not an image."""
    arr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    return None if arr is None else cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


def draw_boxes(image: np.ndarray, xyxy_pixel, class_ids: Sequence[int], names: Sequence[str] = ()) -> np.ndarray:
    """A copy of ``image`` with each box outlined in its class colour and labelled."""
    out = np.ascontiguousarray(image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)).copy()
    thick = max(1, round(max(out.shape[:2]) / 200))
    for k, (box, cid) in enumerate(zip(np.asarray(xyxy_pixel).reshape(-1, 4), class_ids)):
        colour = PALETTE[int(cid) % len(PALETTE)]
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(out, (x1, y1), (x2 - 1, y2 - 1), colour, thick)
        if k < len(names):
            cv2.putText(out, str(names[k]), (x1 + 2, max(y1 + 10, 10)), cv2.FONT_HERSHEY_SIMPLEX,
                        0.35 * thick, colour, 1, cv2.LINE_AA)
    return out


def tile(image: np.ndarray, size: int) -> np.ndarray:
    """``image`` scaled to fit a ``size`` x ``size`` white square (aspect kept)."""
    h, w = image.shape[:2]
    s = size / max(h, w)
    small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    out = np.full((size, size, 3), 255, dtype=np.uint8)
    out[:small.shape[0], :small.shape[1]] = small
    return out


def grid(tiles: Sequence[np.ndarray], cols: int, pad: int = 4) -> np.ndarray:
    """Equal-size RGB tiles in rows of ``cols`` with a white gap."""
    if not tiles:
        return np.full((8, 8, 3), 255, dtype=np.uint8)
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // cols)
    out = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), 255, dtype=np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = t
    return out


def encode_png(rgb: np.ndarray) -> bytes:
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("PNG encoding failed")
    return png.tobytes()


def figure_png(fig, dpi: int = 80) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    import io

    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()
