"""The augmentation ops: a registry of small classes, each with its parameter ranges
(a pydantic model: validated when the policy is read), ``sample`` (draw concrete
parameters from an :class:`ExampleRandom`), ``image`` (apply them to an image or, with
``nearest``, to a mask) and ``boxes`` (map corner boxes in pixels; photometric ops
leave them alone). Geometry follows OpenCV: pixel centers sit at integer indices, a
box in continuous coordinates covers ``[x1, x2)``.
"""
from __future__ import annotations

from typing import ClassVar, Literal, Optional

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["OPS", "Op", "affine_boxes"]

ROTATE = {1: cv2.ROTATE_90_COUNTERCLOCKWISE, 2: cv2.ROTATE_180, 3: cv2.ROTATE_90_CLOCKWISE}
FILL = {"constant": cv2.BORDER_CONSTANT, "reflect": cv2.BORDER_REFLECT_101, "nearest": cv2.BORDER_REPLICATE}
Range = tuple[float, float]


def _check_range(v, low=None, high=None, name="range"):
    lo, hi = v
    if lo > hi:
        raise ValueError(f"{name} [{lo}, {hi}]: the low end exceeds the high end")
    if (low is not None and lo < low) or (high is not None and hi > high):
        raise ValueError(f"{name} [{lo}, {hi}] must lie within [{low}, {high}]")
    return v


class Op(BaseModel):
    model_config = ConfigDict(extra="forbid")
    geometric: ClassVar[bool] = False
    p: float = Field(1.0, ge=0, le=1)  # probability the op is applied

    def sample(self, rand, h: int, w: int) -> dict:
        return {}

    def out_size(self, params: dict, h: int, w: int) -> tuple[int, int]:
        return h, w

    def image(self, img: np.ndarray, params: dict, nearest: bool = False) -> np.ndarray:
        return img

    def boxes(self, b: np.ndarray, params: dict, h: int, w: int) -> np.ndarray:
        return b


def affine_boxes(b: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Corner boxes (continuous coordinates) mapped by an OpenCV 2x3 matrix (index
    coordinates): the box enclosing the four mapped corners."""
    if not len(b):
        return b
    xs = b[:, [0, 2, 2, 0]] - 0.5
    ys = b[:, [1, 1, 3, 3]] - 0.5
    nx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2] + 0.5
    ny = m[1, 0] * xs + m[1, 1] * ys + m[1, 2] + 0.5
    return np.stack([nx.min(1), ny.min(1), nx.max(1), ny.max(1)], axis=1)


class HFlip(Op):
    op: Literal["hflip"] = "hflip"
    geometric: ClassVar[bool] = True

    def image(self, img, params, nearest=False):
        return cv2.flip(img, 1).reshape(img.shape)

    def boxes(self, b, params, h, w):
        return np.stack([w - b[:, 2], b[:, 1], w - b[:, 0], b[:, 3]], axis=1) if len(b) else b


class VFlip(Op):
    op: Literal["vflip"] = "vflip"
    geometric: ClassVar[bool] = True

    def image(self, img, params, nearest=False):
        return cv2.flip(img, 0).reshape(img.shape)

    def boxes(self, b, params, h, w):
        return np.stack([b[:, 0], h - b[:, 3], b[:, 2], h - b[:, 1]], axis=1) if len(b) else b


class Rot90(Op):
    """Counter-clockwise by k x 90 degrees (as ``np.rot90``); non-square images change shape."""

    op: Literal["rot90"] = "rot90"
    geometric: ClassVar[bool] = True
    k: list[Literal[1, 2, 3]] = Field(default_factory=lambda: [1, 2, 3], min_length=1)

    def sample(self, rand, h, w):
        return {"k": rand.choice(self.k)}

    def out_size(self, params, h, w):
        return (w, h) if params["k"] % 2 else (h, w)

    def image(self, img, params, nearest=False):
        out = cv2.rotate(img, ROTATE[params["k"]])  # == np.rot90(img, k), without a strided copy
        return out.reshape(out.shape[:2] + img.shape[2:])

    def boxes(self, b, params, h, w):
        if not len(b):
            return b
        k = params["k"]
        if k == 1:
            return np.stack([b[:, 1], w - b[:, 2], b[:, 3], w - b[:, 0]], axis=1)
        if k == 2:
            return np.stack([w - b[:, 2], h - b[:, 3], w - b[:, 0], h - b[:, 1]], axis=1)
        return np.stack([h - b[:, 3], b[:, 0], h - b[:, 1], b[:, 2]], axis=1)


class _Affine(Op):
    geometric: ClassVar[bool] = True
    fill: Literal["constant", "reflect", "nearest"] = "constant"
    fill_value: int = Field(0, ge=0, le=255)

    def matrix(self, params, h, w) -> np.ndarray:
        raise NotImplementedError

    def image(self, img, params, nearest=False):
        h, w = img.shape[:2]
        m = self.matrix(params, h, w)
        value = 0 if nearest else self.fill_value
        border = cv2.BORDER_CONSTANT if nearest else FILL[self.fill]
        out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR,
                             borderMode=border, borderValue=(value, value, value, value))
        return out.reshape(img.shape)

    def boxes(self, b, params, h, w):
        return affine_boxes(b, self.matrix(params, h, w))


class Rotate(_Affine):
    """By an angle in degrees (positive: counter-clockwise, as OpenCV) about the center."""

    op: Literal["rotate"] = "rotate"
    degrees: Range = (-15.0, 15.0)

    _v = field_validator("degrees")(lambda v: _check_range(v, -360, 360, "degrees"))

    def sample(self, rand, h, w):
        return {"angle": rand.uniform(*self.degrees)}

    def matrix(self, params, h, w):
        return cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), params["angle"], 1.0)


class Scale(_Affine):
    """Zoom about the center: factor > 1 zooms in, < 1 out (the border filled)."""

    op: Literal["scale"] = "scale"
    factor: Range = (0.8, 1.2)

    _v = field_validator("factor")(lambda v: _check_range(v, 0.05, 20, "factor"))

    def sample(self, rand, h, w):
        return {"factor": rand.uniform(*self.factor)}

    def matrix(self, params, h, w):
        return cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), 0.0, params["factor"])


class Translate(_Affine):
    """Shift by a fraction of the width / height, rounded to whole pixels."""

    op: Literal["translate"] = "translate"
    fraction: Range = (-0.1, 0.1)

    _v = field_validator("fraction")(lambda v: _check_range(v, -1, 1, "fraction"))

    def sample(self, rand, h, w):
        return {"dx": round(rand.uniform(*self.fraction) * w), "dy": round(rand.uniform(*self.fraction) * h)}

    def matrix(self, params, h, w):
        return np.array([[1.0, 0.0, params["dx"]], [0.0, 1.0, params["dy"]]])


class Crop(Op):
    """A random crop of ``scale`` x the side (aspect kept) resized back to the original size."""

    op: Literal["crop"] = "crop"
    geometric: ClassVar[bool] = True
    scale: Range = (0.6, 1.0)

    _v = field_validator("scale")(lambda v: _check_range(v, 0.01, 1, "scale"))

    def sample(self, rand, h, w):
        s = rand.uniform(*self.scale)
        ch, cw = max(1, round(h * s)), max(1, round(w * s))
        return {"x": rand.integers(0, w - cw), "y": rand.integers(0, h - ch), "cw": cw, "ch": ch}

    def image(self, img, params, nearest=False):
        h, w = img.shape[:2]
        x, y, cw, ch = params["x"], params["y"], params["cw"], params["ch"]
        out = cv2.resize(img[y:y + ch, x:x + cw], (w, h), interpolation=cv2.INTER_NEAREST if nearest
                         else cv2.INTER_LINEAR)
        return out.reshape(img.shape)

    def boxes(self, b, params, h, w):
        if not len(b):
            return b
        sx, sy = w / params["cw"], h / params["ch"]
        return (b - [params["x"], params["y"], params["x"], params["y"]]) * [sx, sy, sx, sy]


class PadCrop(Op):
    """Pad ``pad`` pixels on every side, then crop the original size at a random offset
    (the CIFAR-10 recipe's first half)."""

    op: Literal["pad_crop"] = "pad_crop"
    geometric: ClassVar[bool] = True
    pad: int = Field(4, ge=1, le=256)
    fill_value: int = Field(0, ge=0, le=255)

    def sample(self, rand, h, w):
        return {"x": rand.integers(0, 2 * self.pad), "y": rand.integers(0, 2 * self.pad)}

    def image(self, img, params, nearest=False):
        h, w = img.shape[:2]
        pad = self.pad
        padded = np.full((h + 2 * pad, w + 2 * pad) + img.shape[2:], 0 if nearest else self.fill_value, img.dtype)
        padded[pad:pad + h, pad:pad + w] = img
        x, y = params["x"], params["y"]
        return padded[y:y + h, x:x + w].copy()

    def boxes(self, b, params, h, w):
        if not len(b):
            return b
        dx, dy = self.pad - params["x"], self.pad - params["y"]
        return b + [dx, dy, dx, dy]


class GaussianNoise(Op):
    """Add N(0, std) per pixel and channel (std in 0-255 units), rounded and clipped."""

    op: Literal["gaussian_noise"] = "gaussian_noise"
    std: Range = (5.0, 15.0)

    _v = field_validator("std")(lambda v: _check_range(v, 0, 255, "std"))

    def sample(self, rand, h, w):
        return {"std": rand.uniform(*self.std), "seed": rand.integers(0, 2**31 - 1)}

    def image(self, img, params, nearest=False):
        if nearest:
            return img
        noise = np.random.default_rng(params["seed"]).normal(0.0, params["std"], img.shape).astype(np.float32)
        return np.clip(np.rint(img.astype(np.float32) + noise), 0, 255).astype(img.dtype)


class BrightnessContrast(Op):
    """``img * contrast + brightness * 255``, rounded and clipped (a lookup table)."""

    op: Literal["brightness_contrast"] = "brightness_contrast"
    brightness: Range = (-0.2, 0.2)
    contrast: Range = (0.8, 1.2)

    _b = field_validator("brightness")(lambda v: _check_range(v, -1, 1, "brightness"))
    _c = field_validator("contrast")(lambda v: _check_range(v, 0, 10, "contrast"))

    def sample(self, rand, h, w):
        return {"brightness": rand.uniform(*self.brightness), "contrast": rand.uniform(*self.contrast)}

    def image(self, img, params, nearest=False):
        if nearest:
            return img
        lut = np.clip(np.rint(np.arange(256) * params["contrast"] + params["brightness"] * 255), 0, 255)
        return cv2.LUT(img, lut.astype(np.uint8)).reshape(img.shape)


OPS: dict[str, type[Op]] = {cls.model_fields["op"].default: cls for cls in
                             (HFlip, VFlip, Rot90, Rotate, Scale, Translate, Crop, PadCrop, GaussianNoise,
                              BrightnessContrast)}


def describe(op: Op, params: Optional[dict]) -> str:
    inner = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in (params or {}).items()
                      if k != "seed")
    return f"{op.op}({inner})"
