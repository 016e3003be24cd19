"""One serialized example -> its augmented copies (pure: no Beam, no TFX).

Boxes are read as normalized corner pairs from ``box_features``; per-box features
(class ids, names) are filtered with the boxes that survive; the image is re-encoded in
its own format (PNG stays lossless, JPEG at quality 95); the mask (a PNG of class ids)
follows the geometry with nearest-neighbour values."""
from __future__ import annotations

import hashlib
from collections import Counter
from typing import Optional

import cv2
import numpy as np

from datalife.tfrecords import encode_example
from datalife.transforms.augment_policy import apply, draw
from datalife.transforms.augment_random import ExampleRandom

__all__ = ["augment_example", "decode", "Decoded"]


class Decoded:
    """An example's image, boxes (pixels), per-box values and mask, from a Columns row."""

    def __init__(self, row: dict, cfg):
        data = row.get(cfg.image_feature)
        if not data:
            raise ValueError(f"no {cfg.image_feature!r} feature")
        self.data = data[0]
        arr = np.frombuffer(self.data, np.uint8)
        self.image = cv2.imdecode(arr, cv2.IMREAD_UNCHANGED)
        if self.image is None or self.image.size == 0:
            raise ValueError("the image cannot be decoded (corrupt or truncated)")
        if self.image.ndim == 3 and self.image.shape[2] == 4:
            self.image = self.image[:, :, :3]
        h, w = self.image.shape[:2]
        cols = [np.asarray(row.get(k) or [], dtype=np.float64) for k in cfg.box_features]
        if len({len(c) for c in cols}) != 1:
            raise ValueError(f"box features {cfg.box_features} have different lengths")
        self.boxes = np.stack(cols, axis=1).reshape(-1, 4) * [w, h, w, h]
        self.per_box = {k: row[k] for k in cfg.per_box_features if row.get(k) is not None}
        for k, v in self.per_box.items():
            if len(v) != len(self.boxes):
                raise ValueError(f"{k} has {len(v)} values for {len(self.boxes)} boxes")
        self.mask = None
        if cfg.mask_feature and row.get(cfg.mask_feature):
            self.mask = cv2.imdecode(np.frombuffer(row[cfg.mask_feature][0], np.uint8), cv2.IMREAD_UNCHANGED)


def decode(row: dict, cfg) -> Decoded:
    return Decoded(row, cfg)


def _encode(image: np.ndarray, like: bytes) -> bytes:
    png = like[:8] == b"\x89PNG\r\n\x1a\n"
    ok, buf = cv2.imencode(".png" if png else ".jpg", image, [] if png else [cv2.IMWRITE_JPEG_QUALITY, 95])
    if not ok:
        raise ValueError("re-encoding the augmented image failed")
    return buf.tobytes()


def _kind(values) -> str:
    v = values[0] if values else 0
    return "bytes" if isinstance(v, (bytes, str)) else "float" if isinstance(v, float) else "int"


def augment_example(serialized: bytes, dec: Decoded, cfg, policy, seed: int, counts: Counter,
                    kinds: Optional[dict] = None) -> list[bytes]:
    """The original (if kept, marked copy 0) and ``cfg.copies`` augmented copies."""
    key = hashlib.sha256(serialized).hexdigest()
    out = []
    if cfg.keep_originals:
        out.append(serialized + encode_example({"augment/copy": ("int", [0]), "augment/ops": ("bytes", [b""])}))
        counts["originals_out"] += 1
    h, w = dec.image.shape[:2]
    for copy in range(1, cfg.copies + 1):
        drawn = draw(policy, ExampleRandom(seed, key, copy), h, w)
        res = apply(policy, drawn, dec.image, dec.boxes, dec.mask, cfg.min_visibility)
        nh, nw = res.image.shape[:2]
        feats = {cfg.image_feature: ("bytes", [_encode(res.image, dec.data)]),
                 "image/width": ("int", [nw]), "image/height": ("int", [nh]),
                 "augment/copy": ("int", [copy]), "augment/ops": ("bytes", [" ".join(res.ops).encode()])}
        norm = res.boxes / [nw, nh, nw, nh] if len(res.boxes) else np.zeros((0, 4))
        for j, name in enumerate(cfg.box_features):
            feats[name] = ("float", norm[:, j].tolist())
        for name, values in dec.per_box.items():
            kind = (kinds or {}).get(name) or _kind(values)
            feats[name] = (kind, [values[k] for k in res.keep])
        if res.mask is not None:
            feats[cfg.mask_feature] = ("bytes", [cv2.imencode(".png", res.mask)[1].tobytes()])
        out.append(serialized + encode_example(feats))
        counts.update(copies_out=1, copy_boxes_in=len(dec.boxes), copy_boxes_out=len(res.keep),
                      copy_boxes_dropped=len(dec.boxes) - len(res.keep))
    return out
