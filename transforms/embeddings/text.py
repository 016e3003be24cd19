"""Text embeddings: hashed word and character n-gram TF-IDF, reduced by a seeded
randomized SVD (latent semantic analysis), rows L2-normalised.

- Hashing (scikit-learn's ``HashingVectorizer``): word 1-2 grams and character 2-4
  grams inside word boundaries (``char_wb``), ``2**hash_bits`` columns each; no
  vocabulary to gather.
- State fitted once on a bounded sample (``fit``): the inverse document frequencies
  (smooth IDF, sublinear TF) and the SVD basis (``TruncatedSVD(algorithm="randomized",
  random_state=seed)``). Only the basis' columns of n-grams seen in the sample are kept
  (the others are 0 in the basis by construction), so the state is a few MB.
- At scale: the sample is the ``sample_rows`` rows with the smallest
  ``blake2b(seed|key)`` (``sample_by_key``), a bottom-k sample a Beam combiner computes
  exactly and in parallel (``beam.combiners.Top.Smallest``); one worker fits on it
  (memory O(sample_rows * n-grams per text)), the state goes to all workers as a side
  input, and ``transform`` embeds batches independently.
- ``transform`` is row-wise (sparse row times a fixed matrix): a text embeds to the same
  vector in any batch (bit-identical).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = ["TextEmbeddingSpec", "TextEmbedder", "sample_by_key", "sample_digest"]


@dataclass(frozen=True)
class TextEmbeddingSpec:
    dim: int = 64
    hash_bits: int = 18
    word_ngrams: tuple = (1, 2)
    char_ngrams: tuple = (2, 4)
    sample_rows: int = 20_000
    svd_iterations: int = 7
    seed: int = 0

    def __post_init__(self):
        if self.dim < 1:
            raise ValueError(f"dim must be >= 1, got {self.dim}")
        if not 10 <= self.hash_bits <= 24:
            raise ValueError(f"hash_bits must be in [10, 24], got {self.hash_bits}")


def sample_digest(key: str, seed: int = 0) -> bytes:
    """The sampling order of one key: rows with the smallest digests form the sample
    (``beam.combiners.Top.Smallest`` over ``(sample_digest(key), ...)`` picks the same)."""
    return hashlib.blake2b(f"{seed}|{key}".encode(), digest_size=8).digest()


def sample_by_key(keys: Sequence[str], n: int, seed: int = 0) -> np.ndarray:
    """Indices of the ``n`` keys with the smallest ``blake2b(f"{seed}|{key}")``, in key
    hash order: the same rows whatever the order or partitioning of the input."""
    digests = [sample_digest(k, seed) for k in keys]
    order = sorted(range(len(keys)), key=digests.__getitem__)
    return np.asarray(order[:n], dtype=np.int64)


class TextEmbedder:
    """``fit(texts)`` on a bounded sample, then ``transform(texts)`` -> [n, dim] float32."""

    def __init__(self, spec: TextEmbeddingSpec = TextEmbeddingSpec()):
        from sklearn.feature_extraction.text import HashingVectorizer

        self.spec = spec
        common = dict(n_features=2 ** spec.hash_bits, alternate_sign=False, norm=None, lowercase=True,
                      dtype=np.float32)
        self._word = HashingVectorizer(analyzer="word", ngram_range=tuple(spec.word_ngrams), **common)
        self._char = HashingVectorizer(analyzer="char_wb", ngram_range=tuple(spec.char_ngrams), **common)
        self.idf: np.ndarray | None = None         # [2 * 2**hash_bits] float32
        self.columns: np.ndarray | None = None     # [m] int64, n-gram columns seen in the sample
        self.basis: np.ndarray | None = None       # [m, dim] float32

    def _counts(self, texts: Sequence[str]):
        import scipy.sparse as sp

        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ValueError(f"text {i}: expected a string, got {type(t).__name__}")
        return sp.hstack([self._word.transform(texts), self._char.transform(texts)], format="csr")

    def _tfidf(self, counts):
        from sklearn.preprocessing import normalize

        x = counts.astype(np.float32)
        np.log(x.data, out=x.data)             # sublinear tf: 1 + log(tf), tf >= 1 on stored entries
        x.data += 1.0
        x = x.multiply(self.idf[None, :]).tocsr()
        return normalize(x, norm="l2", copy=False)

    def fit(self, texts: Sequence[str]) -> "TextEmbedder":
        """Fit IDF and the SVD basis on ``texts`` (at most ``spec.sample_rows``; pass a
        ``sample_by_key`` sample for big inputs)."""
        from sklearn.decomposition import TruncatedSVD

        if len(texts) > self.spec.sample_rows:
            raise ValueError(f"{len(texts)} texts exceed sample_rows={self.spec.sample_rows}: fit on "
                             "sample_by_key(keys, sample_rows) instead")
        counts = self._counts(texts)
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        self.columns = np.flatnonzero(df > 0)
        x = self._tfidf(counts)[:, self.columns]      # the basis is 0 on unseen n-grams
        dim = min(self.spec.dim, n - 1, x.shape[1] - 1)
        if dim < 1:
            raise ValueError(f"need at least 2 texts to fit a text embedding, got {n}")
        svd = TruncatedSVD(n_components=dim, algorithm="randomized", n_iter=self.spec.svd_iterations,
                           random_state=self.spec.seed)
        svd.fit(x)
        comps = svd.components_
        # fix each component's sign (largest-magnitude entry positive) for reproducibility
        signs = np.sign(comps[np.arange(dim), np.abs(comps).argmax(axis=1)])
        basis = np.zeros((len(self.columns), self.spec.dim), dtype=np.float32)
        basis[:, :dim] = (comps * signs[:, None]).T
        self.basis = basis
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if self.basis is None:
            raise RuntimeError("TextEmbedder.transform before fit (or from_state)")
        x = self._tfidf(self._counts(texts))[:, self.columns]
        z = np.asarray(x @ self.basis, dtype=np.float32)
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return z / np.where(norms > 0, norms, 1.0)

    def state(self) -> dict:
        """The fitted arrays (for ``np.savez`` or a Beam side input)."""
        return {"idf": self.idf, "columns": self.columns, "basis": self.basis}

    @classmethod
    def from_state(cls, state: dict, spec: TextEmbeddingSpec = TextEmbeddingSpec()) -> "TextEmbedder":
        emb = cls(spec)
        emb.idf = np.asarray(state["idf"], dtype=np.float32)
        emb.columns = np.asarray(state["columns"], dtype=np.int64)
        emb.basis = np.asarray(state["basis"], dtype=np.float32)
        if emb.basis.shape != (len(emb.columns), spec.dim) or emb.idf.shape != (2 * 2 ** spec.hash_bits,):
            raise ValueError("text embedding state does not match the spec (dim / hash_bits)")
        return emb
