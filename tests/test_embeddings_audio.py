"""Audio clip embeddings: hand-checkable properties, and label propagation on the Free
Spoken Digit Dataset with speaker-disjoint evaluation."""
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from conftest import shared_dataset
from datalife.labeling.propagation.knn_graph import KnnSpec
from datalife.labeling.propagation.spreading import propagate_labels
from datalife.transforms.audio_io import read_wav
from datalife.transforms.embeddings.audio import FSDD_SPEC, ClipEmbeddingSpec, clip_embedding, embed_clips, embedding_dim

RATE = 8000


def _word(seed=0):
    """A 0.5 s 'word': a rising tone then a noisy burst, with an envelope."""
    t = np.arange(4000) / RATE
    rng = np.random.default_rng(seed)
    tone = np.sin(2 * np.pi * (300 + 600 * t) * t) * (t < 0.3)
    burst = rng.normal(0, 0.3, t.size) * (t >= 0.3)
    return (0.5 * tone + burst).astype(np.float32) * np.hanning(t.size).astype(np.float32) ** 0.2


def test_layout_and_dimension():
    e = clip_embedding(_word(), FSDD_SPEC)
    assert e.shape == (embedding_dim(FSDD_SPEC),) == (160,) and e.dtype == np.float32
    n = FSDD_SPEC.n_mfcc
    std, segments = e[:n], e[2 * n:].reshape(FSDD_SPEC.segments, n)
    assert (std >= 0).all()
    # mean normalisation: the segment means of a clip of equal segments average to ~0
    np.testing.assert_allclose(segments.mean(axis=0), 0, atol=0.35 * np.abs(segments).max())


def test_silence_around_a_word_is_trimmed():
    word = _word()
    padded = np.concatenate([np.zeros(8000, np.float32), word, np.zeros(4000, np.float32)])  # whole strides
    a, b = clip_embedding(word, FSDD_SPEC), clip_embedding(padded, FSDD_SPEC)
    rel = np.linalg.norm(a - b) / np.linalg.norm(a)
    untrimmed = ClipEmbeddingSpec(features=FSDD_SPEC.features, trim_db=0)
    c, d = clip_embedding(word, untrimmed), clip_embedding(padded, untrimmed)
    rel_untrimmed = np.linalg.norm(c - d) / np.linalg.norm(c)
    assert rel < 0.12 and rel_untrimmed > 0.5  # measured: 0.085 and 0.83


def test_time_order_is_in_the_segments():
    spec = ClipEmbeddingSpec(features=FSDD_SPEC.features, segments=2)
    word = _word()
    n = spec.n_mfcc
    fwd = clip_embedding(word, spec)[2 * n:].reshape(2, n)
    rev = clip_embedding(word[::-1].copy(), spec)[2 * n:].reshape(2, n)
    np.testing.assert_allclose(fwd, rev[::-1], atol=0.1 * np.abs(fwd).max())
    assert np.abs(fwd[0] - fwd[1]).max() > 1.0


def test_batches_equal_single_clips_and_short_clips_pad():
    clips = [_word(i)[: 500 + 700 * i] for i in range(5)] + [np.ones(10, np.float32)]
    batch = embed_clips(clips, FSDD_SPEC)
    for i, c in enumerate(clips):
        np.testing.assert_array_equal(batch[i], clip_embedding(c, FSDD_SPEC))
    assert np.isfinite(batch).all()


@pytest.mark.parametrize("clip, message", [
    (np.array([0.1, np.nan] * 200, np.float32), "clip 1: the waveform holds NaN"),
    (np.zeros(0, np.float32), "clip 1: expected a non-empty mono waveform"),
    (np.zeros((100, 2), np.float32), "clip 1: expected a non-empty mono waveform"),
])
def test_bad_clips_are_named(clip, message):
    with pytest.raises(ValueError, match=message):
        embed_clips([_word(), clip], FSDD_SPEC)


@pytest.fixture(scope="module")
def fsdd():
    folder = shared_dataset("fsdd") / "recordings"
    files = sorted(folder.glob("*.wav"))
    clips, digits, speakers = [], [], []
    for f in files:
        digit, speaker, _ = f.stem.split("_")
        x, rate = read_wav(str(f))
        assert rate == RATE
        clips.append(x)
        digits.append(int(digit))
        speakers.append(speaker)
    return embed_clips(clips, FSDD_SPEC), np.array(digits), np.array(speakers)


def test_fsdd_propagation_to_unseen_speakers(fsdd):
    """Speaker-disjoint protocol: for each of the 6 speakers S, 300 labels (10% of the
    3,000 clips; 30 per digit, seeded) are drawn from the OTHER 5 speakers' clips; labels
    spread over all 3,000 clips; accuracy is scored on S's 500 clips (speaker never
    labeled). Mean of the 6 folds; logistic regression on the same 300 labels measured in
    the same run; the unlabeled clips of the labeled speakers are scored too."""
    x, digits, speakers = fsdd
    unseen, seen, logreg = [], [], []
    for fold, s in enumerate(sorted(set(speakers))):
        rng = np.random.default_rng(fold)
        pool = np.flatnonzero(speakers != s)
        idx = np.concatenate([rng.choice(pool[digits[pool] == d], 30, replace=False) for d in range(10)])
        labels = np.full(len(digits), -1)
        labels[idx] = digits[idx]
        p = propagate_labels(x, labels, 10, knn_spec=KnnSpec(k=7, method="exact"))
        test = speakers == s
        unseen.append((p.label[test] == digits[test]).mean())
        rest = ~test & (labels < 0)
        seen.append((p.label[rest] == digits[rest]).mean())
        lr = LogisticRegression(max_iter=3000).fit(x[idx], digits[idx])
        logreg.append((lr.predict(x[test]) == digits[test]).mean())
    print(f"FSDD unseen speaker: propagation {np.mean(unseen):.3f} (per speaker {np.round(unseen, 2)}), "
          f"logistic regression {np.mean(logreg):.3f}; seen speakers' unlabeled clips {np.mean(seen):.3f}")
    assert np.mean(unseen) >= 0.65
    assert np.mean(seen) >= 0.88
