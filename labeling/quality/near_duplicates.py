"""Near-duplicate images by a perceptual hash, reported (never merged).

``phash``: the 64-bit DCT hash (Zauner, 2010; as the ``imagehash`` package defines it):
grey image resized to 32 x 32, 2-D DCT, the 8 x 8 lowest frequencies, one bit per
coefficient above their median. Re-encoding, resizing or slight colour changes move a
few bits; different photos differ in about half of them.

``near_duplicate_pairs``: pairs of distinct keys whose hashes differ in at most
``max_distance`` bits. Candidates come from ``max_distance + 1`` bands of the hash
(pigeonhole: two hashes within that distance agree exactly on at least one band), so
the cost grows with the number of candidate pairs, not with the square of the images.
"""
from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Mapping

import cv2
import numpy as np
import pandas as pd

__all__ = ["phash", "hamming", "near_duplicate_pairs"]


def phash(image) -> int:
    """64-bit perceptual hash of an image (encoded bytes, or an RGB / grey array)."""
    if isinstance(image, (bytes, bytearray)):
        grey = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            raise ValueError("not a decodable image")
    else:
        arr = np.asarray(image)
        grey = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY) if arr.ndim == 3 else arr
    small = cv2.resize(grey.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:8, :8].ravel()
    bits = low > np.median(low)
    return int(np.packbits(bits).view(">u8")[0])


def hamming(a: int, b: int) -> int:
    return int(bin((a ^ b) & 0xFFFFFFFFFFFFFFFF).count("1"))


def _bands(n_bands: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, 64, n_bands + 1).round().astype(int)
    return [(int(lo), int(hi)) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]


def near_duplicate_pairs(hashes: Mapping[str, int], max_distance: int = 6) -> pd.DataFrame:
    """DataFrame ``key_a, key_b, distance`` (key_a < key_b), sorted by distance then keys."""
    if not 0 <= int(max_distance) < 32:
        raise ValueError(f"max_distance must be in [0, 32) bits, got {max_distance!r}")
    keys = sorted(hashes)
    candidates = set()
    for lo, hi in _bands(int(max_distance) + 1):
        mask = (1 << (hi - lo)) - 1
        buckets = defaultdict(list)
        for k in keys:
            buckets[(int(hashes[k]) >> lo) & mask].append(k)
        for members in buckets.values():
            candidates.update(combinations(members, 2))
    rows = [(a, b, hamming(hashes[a], hashes[b])) for a, b in candidates]
    df = pd.DataFrame([r for r in rows if r[2] <= max_distance], columns=["key_a", "key_b", "distance"])
    return df.sort_values(["distance", "key_a", "key_b"]).reset_index(drop=True)
