"""One image example -> its augmented copies (pure: no Beam, no TFX, no TensorFlow).

An example is read from its feature values (:func:`decode_image_example`): the encoded
image, boxes as normalized corner pairs from four box features, per-box features
(class ids, names, and any other ``image/object/*`` feature with one value per box,
such as a merge's ``image/object/support`` and ``image/object/raters``) and an
optional mask (a PNG of class ids). :func:`augmented_copies`
draws each copy's parameters from ``ExampleRandom(seed, example key, copy)`` and
returns the features that change per copy; the caller adds them to the serialized
example (``common.codec.add_features``). Per-box features are filtered with the boxes
that survive; the image is re-encoded in its own format (PNG stays lossless, JPEG at
quality 95); the mask follows the geometry with nearest-neighbour values.

``names`` is any object with the feature names as attributes: ``image_feature``,
``box_features`` (xmin, ymin, xmax, ymax), ``per_box_features``, ``mask_feature``
(the image augmenter's config is one).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

from datalife.transforms.augment_policy import Policy, apply, draw
from datalife.transforms.augment_random import ExampleRandom
from datalife.transforms.image_check import decode_checked

__all__ = ["ImageExample", "decode_image_example", "augmented_copies", "decode_image"]


@dataclass
class ImageExample:
    """An example's image (as decoded, BGR or gray), its encoded bytes, boxes (pixels,
    corner pairs), per-box values and mask."""

    data: bytes
    image: np.ndarray
    boxes: np.ndarray
    per_box: dict = field(default_factory=dict)
    mask: Optional[np.ndarray] = None


def decode_image(data: bytes) -> np.ndarray:
    """Encoded image bytes -> an array (alpha dropped); ``image_check.ImageDataError`` (a
    ValueError with a ``reason``) when it is cut short, corrupt or cannot be decoded
    (libjpeg's warnings count as errors)."""
    image = decode_checked(data)
    return image[:, :, :3] if image.ndim == 3 and image.shape[2] == 4 else image


def decode_image_example(row: dict, names) -> ImageExample:
    """``row``: {feature: list of raw values} of one example; ValueError (a reason to
    quarantine the example) when the image is missing or corrupt or the boxes disagree."""
    data = row.get(names.image_feature)
    if not data:
        raise ValueError(f"no {names.image_feature!r} feature")
    image = decode_image(data[0])
    h, w = image.shape[:2]
    cols = [np.asarray(row.get(k) or [], dtype=np.float64) for k in names.box_features]
    if len({len(c) for c in cols}) != 1:
        raise ValueError(f"box features {list(names.box_features)} have different lengths")
    boxes = np.stack(cols, axis=1).reshape(-1, 4) * [w, h, w, h]
    per_box = {k: row[k] for k in names.per_box_features if row.get(k) is not None}
    for k, v in per_box.items():
        if len(v) != len(boxes):
            raise ValueError(f"{k} has {len(v)} values for {len(boxes)} boxes")
    for k, v in row.items():  # other per-box features (a merge's support and raters) follow their boxes too
        if (k.startswith("image/object/") and k not in per_box and k not in names.box_features and v is not None
                and len(v) == len(boxes)):
            per_box[k] = v
    mask = None
    if names.mask_feature and row.get(names.mask_feature):
        mask = cv2.imdecode(np.frombuffer(row[names.mask_feature][0], np.uint8), cv2.IMREAD_UNCHANGED)
    return ImageExample(data[0], image, boxes, per_box, mask)


def _encode(image: np.ndarray, like: bytes) -> bytes:
    png = like[:8] == b"\x89PNG\r\n\x1a\n"
    ok, buf = cv2.imencode(".png" if png else ".jpg", image, [] if png else [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise ValueError("re-encoding the augmented image failed")
    return buf.tobytes()


def augmented_copies(ex: ImageExample, names, policy: Policy, seed: int, key: str, copies: int,
                     min_visibility: float, counts: Counter) -> list[dict]:
    """The features that change in each of ``copies`` augmented copies (``augment/copy``
    = 1..copies, ``augment/ops``: the drawn ops), counted in ``counts``."""
    out = []
    h, w = ex.image.shape[:2]
    for copy in range(1, copies + 1):
        drawn = draw(policy, ExampleRandom(seed, key, copy), h, w)
        res = apply(policy, drawn, ex.image, ex.boxes, ex.mask, min_visibility)
        nh, nw = res.image.shape[:2]
        feats = {names.image_feature: [_encode(res.image, ex.data)], "image/width": [nw], "image/height": [nh],
                 "augment/copy": [copy], "augment/ops": [" ".join(res.ops)]}
        norm = res.boxes / [nw, nh, nw, nh] if len(res.boxes) else np.zeros((0, 4))
        for j, name in enumerate(names.box_features):
            feats[name] = norm[:, j]
        for name, values in ex.per_box.items():
            feats[name] = [values[k] for k in res.keep]
        if res.mask is not None:
            feats[names.mask_feature] = [cv2.imencode(".png", res.mask)[1].tobytes()]
        out.append(feats)
        counts.update(copies_out=1, copy_boxes_in=len(ex.boxes), copy_boxes_out=len(res.keep),
                      copy_boxes_dropped=len(ex.boxes) - len(res.keep))
    return out
