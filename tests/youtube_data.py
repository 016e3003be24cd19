"""The YouTube Spam Collection split as the tests and benchmarks use it.

- test: the 370 comments of the Shakira video (Youtube05), never used to fit or choose;
- dev: a fixed, hash-chosen labeled sample of the four other videos: the comments
  whose sha256("dev:" + COMMENT_ID) (first 8 bytes, big-endian) mod 100 is below 15
  (219 comments);
- train: the rest of the four videos (1,367 comments), used without their labels.
"""
import glob
import hashlib
from pathlib import Path

import pandas as pd

__all__ = ["load_youtube", "DEV_SHARE"]

DEV_SHARE = 15  # percent of videos 1-4


def _bucket(comment_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"dev:{comment_id}".encode()).digest()[:8], "big") % 100


def load_youtube(folder: Path) -> pd.DataFrame:
    """All 1,956 comments with a ``split`` column: train / dev / test."""
    frames = []
    for f in sorted(glob.glob(str(Path(folder) / "Youtube0*.csv"))):
        df = pd.read_csv(f)
        if Path(f).stem.startswith("Youtube05"):
            df["split"] = "test"
        else:
            df["split"] = ["dev" if _bucket(c) < DEV_SHARE else "train" for c in df["COMMENT_ID"]]
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
