"""Embeddings on a pandas DataFrame: the documented Python API beside the embedder
component (which calls the same functions on Beam batches).

``embed_frame(df, "CONTENT", kind="text")`` returns a copy of ``df`` with an
``embedding`` column (one float32 vector per row, None where the row could not be
embedded) and ``embedding_error`` (None, or the reason: ``missing_<kind>``,
``bad_image``, ``bad_audio``, ``bad_text``). ``labeling.propagation.frame.propagate_frame(
..., embedding="embedding")`` then quarantines the rows without one, so the two compose:

    emb = embed_frame(df, "CONTENT", kind="text", key="id")
    result = propagate_frame(emb, label="label", embedding="embedding", key="id")

Inputs per kind: ``image`` encoded bytes (PNG, JPEG, ... decoded with OpenCV) or uint8
arrays; ``audio`` float waveforms at ``audio.features.sample_rate``; ``text`` strings.
Text state (IDF, SVD basis) is fitted on the ``text.sample_rows`` rows with the
smallest ``sample_digest(key, text.seed)``, as the component does.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from .audio import ClipEmbeddingSpec, clip_embedding
from .text import TextEmbeddingSpec

__all__ = ["embed_frame", "KINDS"]

KINDS = ("image", "audio", "text")


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v))


def _image(v):
    if isinstance(v, (bytes, bytearray)):
        import cv2

        arr = cv2.imdecode(np.frombuffer(bytes(v), dtype=np.uint8), cv2.IMREAD_COLOR)
        return None if arr is None else cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
    arr = np.asarray(v)
    return arr if arr.dtype == np.uint8 and arr.ndim in (2, 3) else None


def embed_frame(frame: pd.DataFrame, column: str, kind: str, *, output: str = "embedding",
                key: Optional[str] = None, image_resize: str = "center_crop",
                audio: ClipEmbeddingSpec = ClipEmbeddingSpec(), text: TextEmbeddingSpec = TextEmbeddingSpec(),
                batch_size: int = 32, threads: int = 1) -> pd.DataFrame:
    """A copy of ``frame`` with ``output`` (vectors) and ``output + "_error"`` (see module doc)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if column not in frame.columns:
        raise ValueError(f"column {column!r} not in the frame (columns: {list(frame.columns)})")
    values = frame[column].tolist()
    inputs, errors = {}, [None] * len(values)
    for i, v in enumerate(values):
        if _missing(v) if not isinstance(v, (list, np.ndarray)) else len(v) == 0:
            errors[i] = f"missing_{kind}"
        elif kind == "image":
            img = _image(v)
            if img is None:
                errors[i] = "bad_image"
            else:
                inputs[i] = img
        elif kind == "audio":
            wave = np.asarray(v, dtype=np.float32)
            if wave.ndim != 1 or not np.isfinite(wave).all():
                errors[i] = "bad_audio"
            else:
                inputs[i] = wave
        elif not isinstance(v, str):
            errors[i] = "bad_text"
        else:
            inputs[i] = v
    rows = sorted(inputs)
    vectors = [None] * len(values)
    if rows and kind == "image":
        from .image import ImageEmbedder

        out = ImageEmbedder(batch_size=batch_size, threads=threads, resize=image_resize).embed(
            [inputs[i] for i in rows])
        for i, vec in zip(rows, out):
            vectors[i] = vec
    elif rows and kind == "audio":
        for i in rows:
            try:
                vectors[i] = clip_embedding(inputs[i], audio)
            except ValueError:
                errors[i] = "bad_audio"
    elif rows:
        from .text import TextEmbedder, sample_by_key

        keys = [str(k) for k in (frame[key].tolist() if key is not None else frame.index.tolist())]
        sample = sample_by_key([keys[i] for i in rows], text.sample_rows, text.seed)
        embedder = TextEmbedder(text).fit([inputs[rows[j]] for j in sample])
        for i, vec in zip(rows, embedder.transform([inputs[i] for i in rows])):
            vectors[i] = vec
    result = frame.copy()
    result[output] = pd.Series(vectors, index=frame.index, dtype=object)
    result[f"{output}_error"] = pd.Series(errors, index=frame.index, dtype=object)
    return result
