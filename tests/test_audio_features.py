"""Audio features: the NumPy core, the TensorFlow version (for Transform) and librosa
(the independent oracle) on the same clip and parameters."""
import numpy as np
import pytest

from datalife.transforms.audio_features import (MSWC, FeatureSpec, log_mel, mel_matrix, mfcc, spectrogram,
                                                tf_log_mel, tf_mfcc, tf_spectrogram)

librosa = pytest.importorskip("librosa")
tf = pytest.importorskip("tensorflow")


def clip(seconds=1.0, sr=16000, seed=0):
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    return (0.5 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 3000 * t)
            + 0.05 * rng.normal(size=t.size)).astype(np.float32)


def test_mswc_shape_is_49_by_40():
    assert log_mel(clip()).shape == (49, 40)
    assert log_mel(np.stack([clip(), clip(seed=1)])).shape == (2, 49, 40)
    assert MSWC.window == 480 and MSWC.stride == 320


def test_spectrogram_equals_librosa_stft():
    x = clip()
    ours = spectrogram(x, FeatureSpec(power=1))
    ref = np.abs(librosa.stft(x, n_fft=480, hop_length=320, win_length=480, window="hann", center=False)).T
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4)


def test_mel_matrix_equals_tensorflow():
    ours = mel_matrix()
    ref = tf.signal.linear_to_mel_weight_matrix(40, 241, 16000, 20.0, 8000.0).numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-5)  # TF builds it in float32


def test_numpy_and_tensorflow_agree():
    x = np.stack([clip(), clip(seed=3)])
    np.testing.assert_allclose(spectrogram(x), tf_spectrogram(x).numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(log_mel(x), tf_log_mel(x).numpy(), atol=2e-3)
    np.testing.assert_allclose(mfcc(x), tf_mfcc(x).numpy(), atol=2e-3)


def test_log_mel_agrees_with_librosa_within_tolerance():
    """librosa's HTK filters are triangles in Hz, TensorFlow's (ours) triangles in mel:
    on this clip the log-mel energies differ by less than 0.25 nats on average and the
    band holding the 440 Hz tone is the same in every frame."""
    x = clip()
    ours = log_mel(x)
    ref = np.log(librosa.feature.melspectrogram(
        y=x, sr=16000, n_fft=480, hop_length=320, win_length=480, window="hann", center=False, power=2.0,
        n_mels=40, fmin=20.0, fmax=8000.0, htk=True, norm=None).T + 1e-6)
    assert ours.shape == ref.shape == (49, 40)
    assert np.abs(ours - ref).mean() < 0.25
    low = slice(0, 20)
    assert (ours[:, low].argmax(axis=1) == ref[:, low].argmax(axis=1)).all()


def test_short_clip_is_a_clear_error():
    with pytest.raises(ValueError, match="fewer than one window \\(480\\)"):
        spectrogram(np.zeros(100))
