"""Text embeddings: TF-IDF against scikit-learn's TfidfTransformer, SVD against a dense
SVD, batch and order invariance, state round trip, and propagation on real comments."""
import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfTransformer

from conftest import shared_dataset
from datalife.labeling.propagation.knn_graph import KnnSpec
from datalife.labeling.propagation.spreading import propagate_labels
from datalife.transforms.embeddings.text import TextEmbedder, TextEmbeddingSpec, sample_by_key

TEXTS = ["the cat sat on the mat", "the dog sat on the log", "cats and dogs", "check out my channel",
         "subscribe to my channel please", "a cat, a dog and a log", "free gift cards, check it out",
         "the mat the mat the mat", "dogs chase cats", "please subscribe and share"]


@pytest.fixture(scope="module")
def fitted():
    return TextEmbedder(TextEmbeddingSpec(dim=4, hash_bits=12)).fit(TEXTS)


def test_tfidf_matches_sklearn(fitted):
    counts = fitted._counts(TEXTS)
    ref = TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm="l2").fit_transform(counts)
    ours = fitted._tfidf(counts)
    np.testing.assert_allclose(ours.toarray(), ref.toarray(), atol=1e-6)


def test_basis_spans_the_top_singular_vectors(fitted):
    x = fitted._tfidf(fitted._counts(TEXTS))[:, fitted.columns].toarray()
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    basis = fitted.basis  # [seen columns, dim]
    # same subspace as the 4 leading right singular vectors
    overlap = np.linalg.svd(vt[:4] @ basis, compute_uv=False)
    np.testing.assert_allclose(overlap, 1.0, atol=1e-3)
    z = fitted.transform(TEXTS)
    assert z.shape == (10, 4) and z.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(z, axis=1), 1, atol=1e-6)


def test_batches_and_refits_give_the_same_vectors(fitted):
    whole = fitted.transform(TEXTS)
    parts = np.concatenate([fitted.transform(TEXTS[i:i + 3]) for i in range(0, 10, 3)])
    np.testing.assert_array_equal(whole, parts)
    again = TextEmbedder(TextEmbeddingSpec(dim=4, hash_bits=12)).fit(TEXTS).transform(TEXTS)
    np.testing.assert_array_equal(whole, again)
    restored = TextEmbedder.from_state(fitted.state(), TextEmbeddingSpec(dim=4, hash_bits=12))
    np.testing.assert_array_equal(restored.transform(TEXTS), whole)
    # an unseen text embeds through the n-grams it shares with the sample
    assert np.isfinite(fitted.transform(["a brand new sentence about cats"])).all()


def test_sample_by_key_is_order_free():
    keys = [f"id{i}" for i in range(1000)]
    a = sample_by_key(keys, 50, seed=1)
    shuffled = list(np.random.default_rng(0).permutation(keys))
    b = sample_by_key(shuffled, 50, seed=1)
    assert sorted(keys[i] for i in a) == sorted(shuffled[i] for i in b)
    assert sorted(keys[i] for i in sample_by_key(keys, 50, seed=2)) != sorted(keys[i] for i in a)


def test_bounded_fit_and_bad_input(fitted):
    with pytest.raises(ValueError, match="exceed sample_rows=5: fit on sample_by_key"):
        TextEmbedder(TextEmbeddingSpec(sample_rows=5)).fit(TEXTS)
    with pytest.raises(ValueError, match="text 1: expected a string, got NoneType"):
        fitted.transform(["fine", None])
    with pytest.raises(RuntimeError, match="before fit"):
        TextEmbedder().transform(["x"])
    with pytest.raises(ValueError, match="does not match the spec"):
        TextEmbedder.from_state(fitted.state(), TextEmbeddingSpec(dim=8, hash_bits=12))


def test_youtube_spam_with_a_tenth_of_the_labels():
    folder = shared_dataset("youtube_spam")
    df = pd.concat([pd.read_csv(f) for f in sorted(folder.glob("*.csv"))], ignore_index=True)
    texts, y = df["CONTENT"].tolist(), df["label"].to_numpy()
    emb = TextEmbedder(TextEmbeddingSpec(dim=64))
    x = emb.fit([texts[i] for i in sample_by_key(df["COMMENT_ID"].tolist(), 20_000)]).transform(texts)
    acc = []
    for seed in range(5):
        labels = np.full(len(y), -1)
        idx = np.random.default_rng(seed).choice(len(y), len(y) // 10, replace=False)
        labels[idx] = y[idx]
        p = propagate_labels(x, labels, 2, knn_spec=KnnSpec(k=15, method="exact", metric="cosine"))
        acc.append((p.label[labels < 0] == y[labels < 0]).mean())
    print(f"YouTube spam, 10% labels, 5 seeds: propagation accuracy {np.mean(acc):.3f}")
    assert np.mean(acc) > 0.88  # measured 0.91; majority class 0.51
