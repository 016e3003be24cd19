"""Hash-bucket splits and the never-augment-eval rule, shared by the components (pure).

``split_of(digest, {"train": 4, "eval": 1})`` puts an item in a split by its content
hash, so the same item lands in the same split in every run and whatever the Beam
parallelism (the label unifier hashes the image bytes, the audio ExampleGen the group,
e.g. the speaker).
"""
from __future__ import annotations

import hashlib

__all__ = ["split_of", "split_of_text", "NEVER_AUGMENTED", "refuse_eval_splits"]

NEVER_AUGMENTED = ("eval", "test", "validation", "valid", "dev")


def split_of(sha256_hex: str, splits: dict) -> str:
    """The split whose hash buckets hold this digest (``splits``: name -> bucket count)."""
    bucket = int(sha256_hex[:15], 16) % sum(splits.values())
    for name, n in splits.items():
        if bucket < n:
            return name
        bucket -= n
    raise AssertionError("unreachable")


def split_of_text(text: str, splits: dict) -> str:
    return split_of(hashlib.sha256(text.encode()).hexdigest(), splits)


def refuse_eval_splits(splits: list[str]) -> list[str]:
    """A pydantic validator body: augmentation never touches evaluation splits."""
    bad = [s for s in splits if s.lower() in NEVER_AUGMENTED]
    if bad:
        raise ValueError(f"evaluation splits are never augmented: {bad}")
    return splits
