"""Per-example priorities, and exact "the K smallest" selections and ranks that a
distributed graph computes without gathering a set into one worker.

Every example gets a 63-bit priority from a keyed hash of (seed, domain, key): BLAKE2b,
as :mod:`datalife.transforms.augment_random` uses, once per example. Further numbers
for the same example (its j-th copy, its j-th pair) come from a SplitMix64 mix of that
hash and a counter, vectorised in NumPy. Nothing depends on the order or batching in
which the examples arrive.

Selecting the K smallest priorities of a class in three steps, each of them bounded:

1. ``histogram``: counts per priority bucket (the top ``BUCKET_BITS`` bits), a sparse
   dict that a combiner adds up (``merge_histograms``); at most min(n, 2**16) entries;
2. ``cut``: from the merged histogram and K, the boundary bucket, how many lie below it
   and how many of the boundary bucket to take (a few integers per class);
3. ``side``: per example, selected (bucket below the cut), not selected (above) or on
   the boundary; only the boundary bucket's examples (about n / 65,536 of them) are
   gathered and settled by (priority, key) in ``settle_boundary``.

Ranks (``bucket_offsets`` + a sort inside each bucket) use the same decomposition.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

__all__ = ["BUCKET_BITS", "key_text", "key_hashes", "mix", "unit", "priorities", "histogram",
           "merge_histograms", "Cut", "cut", "side", "SELECTED", "BOUNDARY", "NOT_SELECTED",
           "settle_boundary", "smallest", "bucket_of", "bucket_offsets", "order_in_bucket", "ranks"]

BUCKET_BITS = 16
SELECTED, BOUNDARY, NOT_SELECTED = 1, 0, -1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_C1, _C2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_SCALE = 1.0 / (1 << 53)


def key_text(key) -> str:
    """The text a key is hashed and tie-broken by (bytes are decoded as UTF-8)."""
    if isinstance(key, (bytes, bytearray)):
        return bytes(key).decode("utf-8", "backslashreplace")
    return str(key)


def key_hashes(seed: int, keys: Iterable, domain: str) -> np.ndarray:
    """uint64 BLAKE2b hash of (seed, domain, key) per key."""
    prefix = f"{int(seed)}|{domain}|".encode()
    digests = b"".join(hashlib.blake2b(prefix + key_text(k).encode(), digest_size=8).digest() for k in keys)
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def mix(hashes: np.ndarray, counter) -> np.ndarray:
    """SplitMix64 of (hash, counter): an independent uint64 per (example, counter)."""
    with np.errstate(over="ignore"):
        z = np.asarray(hashes, dtype=np.uint64) + (np.asarray(counter, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _C1
        z = (z ^ (z >> np.uint64(27))) * _C2
        return z ^ (z >> np.uint64(31))


def unit(u64: np.ndarray) -> np.ndarray:
    """uint64 -> float64 uniform in [0, 1) (the top 53 bits)."""
    return (np.asarray(u64, dtype=np.uint64) >> np.uint64(11)).astype(np.float64) * _SCALE


def priorities(seed: int, keys: Iterable, domain: str = "priority") -> np.ndarray:
    """63-bit priorities (the keyed hash shifted right once), so that they travel as
    signed 64-bit integers (Beam's VarIntCoder refuses integers >= 2**63)."""
    return key_hashes(seed, keys, domain) >> np.uint64(1)


def bucket_of(prio: np.ndarray) -> np.ndarray:
    return (np.asarray(prio, dtype=np.uint64) >> np.uint64(63 - BUCKET_BITS)).astype(np.int64)


def histogram(prio: np.ndarray) -> dict[int, int]:
    """Sparse count of priorities per bucket (a combiner's accumulator)."""
    b, c = np.unique(bucket_of(prio), return_counts=True)
    return dict(zip(b.tolist(), c.tolist()))


def merge_histograms(hists: Iterable[dict]) -> dict[int, int]:
    out: dict[int, int] = {}
    for h in hists:
        for b, c in h.items():
            out[int(b)] = out.get(int(b), 0) + int(c)
    return out


@dataclass(frozen=True)
class Cut:
    """Where the K smallest priorities end: buckets below ``bucket`` are all selected;
    ``take`` of the ``bucket``'s own examples (sorted by priority, key) are too."""
    k: int
    bucket: int  # -1: nothing selected
    below: int
    take: int


def cut(hist: dict, k: int) -> Cut:
    n = sum(hist.values())
    if not 0 <= k <= n:
        raise ValueError(f"cannot select {k} of {n} examples")
    if k == 0:
        return Cut(0, -1, 0, 0)
    below = 0
    for b in sorted(hist):
        if below + hist[b] >= k:
            return Cut(k, b, below, k - below)
        below += hist[b]
    raise AssertionError("unreachable")


def side(prio: np.ndarray, c: Cut) -> np.ndarray:
    """Per example: SELECTED, BOUNDARY (settle with its bucket) or NOT_SELECTED."""
    b = bucket_of(prio)
    return np.where(b < c.bucket, SELECTED, np.where(b == c.bucket, BOUNDARY, NOT_SELECTED)).astype(np.int8)


def order_in_bucket(prio: np.ndarray, keys: Sequence) -> np.ndarray:
    """Positions sorted by (priority, key text): the one order every worker agrees on."""
    prio = np.asarray(prio, dtype=np.uint64)
    order = np.argsort(prio, kind="stable")
    sp = prio[order]
    tied = np.flatnonzero(sp[1:] == sp[:-1])  # equal keys, or a 64-bit collision
    if len(tied):
        starts = np.flatnonzero(np.diff(np.concatenate([[-2], tied])) > 1)
        for s in tied[starts]:
            e = s
            while e + 1 < len(sp) and sp[e + 1] == sp[s]:
                e += 1
            run = order[s:e + 1]
            order[s:e + 1] = sorted(run.tolist(), key=lambda i: key_text(keys[i]))
    return order


def settle_boundary(prio: np.ndarray, keys: Sequence, take: int) -> np.ndarray:
    """Boolean mask: the ``take`` smallest (priority, key) of one boundary bucket."""
    mask = np.zeros(len(prio), dtype=bool)
    mask[order_in_bucket(prio, keys)[:take]] = True
    return mask


def smallest(prio: np.ndarray, keys: Sequence, k: int) -> np.ndarray:
    """Boolean mask of the k smallest (priority, key), through the histogram / cut /
    boundary steps a distributed graph takes (so both paths are one code path)."""
    c = cut(histogram(prio), k)
    s = side(prio, c)
    mask = s == SELECTED
    edge = np.flatnonzero(s == BOUNDARY)
    if len(edge):
        mask[edge[settle_boundary(prio[edge], [keys[i] for i in edge], c.take)]] = True
    return mask


def bucket_offsets(hist: dict) -> dict[int, int]:
    """Bucket -> number of examples in lower buckets (the rank of its first example)."""
    out, total = {}, 0
    for b in sorted(hist):
        out[b] = total
        total += hist[b]
    return out


def ranks(prio: np.ndarray, keys: Sequence, offset: int = 0) -> np.ndarray:
    """Rank of each example by (priority, key), plus ``offset``. Over one bucket's
    examples with ``offset = bucket_offsets(hist)[bucket]`` this gives the rank in the
    whole class, which is how a graph grouping by (class, bucket) computes it."""
    out = np.empty(len(prio), dtype=np.int64)
    out[order_in_bucket(prio, keys)] = offset + np.arange(len(prio))
    return out
