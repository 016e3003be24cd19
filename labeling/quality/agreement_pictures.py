"""Pictures of disagreement: for the images where raters agree least, every rater's boxes
drawn over the image in the rater's colour, with a legend (OpenCV, via transforms.draw)."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import pandas as pd

from datalife.labeling.boxes import convert_boxes
from datalife.labeling.quality.merge import rater_of
from datalife.labeling.unify import Canonical
from datalife.transforms.draw import PALETTE, decode_image, draw_boxes, encode_png, grid

__all__ = ["worst_images", "disagreement_picture"]


def worst_images(images: pd.DataFrame, k: int = 8) -> pd.DataFrame:
    """The ``k`` images with the lowest agreement (``min_f1``, then ``mean_iou``) among
    those with at least two records (``merge.MergeResult.images``)."""
    rated = images[images["pairs"] > 0]
    return rated.sort_values(["min_f1", "mean_iou", "key"], na_position="last").head(k).reset_index(drop=True)


def _caption(tile: np.ndarray, text: str) -> np.ndarray:
    strip = np.full((18, tile.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, text[:60], (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([tile, strip], axis=0)


def _legend(raters: Sequence[str], width: int) -> np.ndarray:
    strip = np.full((22, width, 3), 255, np.uint8)
    x = 6
    for i, r in enumerate(raters):
        colour = PALETTE[i % len(PALETTE)]
        cv2.rectangle(strip, (x, 5), (x + 12, 17), colour, -1)
        cv2.putText(strip, r, (x + 16, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        x += 28 + 9 * len(r)
    return strip


def disagreement_picture(groups: Sequence[Sequence[dict]], canon: Canonical, captions: Sequence[str] = (),
                         size: int = 320, cols: int = 3) -> bytes:
    """PNG: one tile per image group (the unified records of one image, with their
    ``image`` bytes), each record's boxes in its rater's colour, labelled by class."""
    raters = list(dict.fromkeys(rater_of(v) for g in groups for v in g))
    colour_of = {r: i for i, r in enumerate(raters)}
    tiles = []
    for n, views in enumerate(groups):
        image = decode_image(views[0]["image"])
        h, w = image.shape[:2]
        s = size / max(h, w)
        small = cv2.resize(image, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
        for v in views:
            c = colour_of[rater_of(v)]
            px = convert_boxes(v["boxes"], canon.box_format, "xyxy:pixel", (v["width"], v["height"])) * s
            small = draw_boxes(small, px, [c] * len(px))
            for box, name in zip(px, v["class_names"]):  # each rater's labels on their own line
                y = int(round(box[1])) + 12 + 12 * (c % 4)
                cv2.putText(small, name, (int(round(box[0])) + 3, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                            PALETTE[c % len(PALETTE)], 1, cv2.LINE_AA)
        tile = np.full((size, size, 3), 255, np.uint8)
        tile[:small.shape[0], :small.shape[1]] = small
        tiles.append(_caption(tile, captions[n] if n < len(captions) else views[0]["file"]))
    body = grid(tiles, max(1, min(cols, len(tiles))))
    return encode_png(np.concatenate([_legend(raters, body.shape[1]), body], axis=0))
