"""A seeded order of examples that depends on their keys only, not on row order.

Every random choice of the selector (tie-breaks, the rows k-means is fitted on, the
pairs the near-duplicate radius is measured on, bootstrap draws, random sampling)
walks the examples in this order, so the same seed and the same examples give the same
batch whichever way the rows arrive (a shuffled ExampleGen output, another Beam
partitioning). The hash is SipHash-2-4 of the key's UTF-8 bytes (pandas'
``hash_array``, vectorised: ~0.4 s per million keys) keyed by a digest of the seed."""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["key_hashes", "hash_order"]


def key_hashes(keys: Sequence[str], seed: int) -> np.ndarray:
    """One uint64 per key, a seeded hash of ``str(key)``."""
    hash_key = hashlib.blake2b(f"datalife-active|{int(seed)}".encode(), digest_size=8).hexdigest()
    values = np.asarray([str(k) for k in keys] if not isinstance(keys, np.ndarray) or keys.dtype != object
                        else keys, dtype=object)
    return pd.util.hash_array(values, encoding="utf8", hash_key=hash_key, categorize=False).astype(np.uint64)


def hash_order(hashes: np.ndarray) -> np.ndarray:
    """Row indices sorted by hash (ties, which need a 64-bit collision, by row)."""
    return np.argsort(hashes, kind="stable")
