"""Spectrogram, log-mel filter banks and MFCCs, in NumPy (the core) and in TensorFlow
(for a Transform ``preprocessing_fn``, so training and serving compute the same
thing). Both follow the same definition and agree to float32 precision.

Defaults are the Multilingual Spoken Words Corpus' keyword features: 16 kHz, 30 ms
Hann window (480 samples), 20 ms stride (320), 40 mel channels, so a 1 s clip gives
49 x 40. Frames are not padded (``1 + (n - 480) // 320`` frames); the FFT length is the
window length; the mel filters are TensorFlow's ``linear_to_mel_weight_matrix``
(HTK mel scale, triangles in mel space, DC bin zeroed); log uses ``log(x + 1e-6)``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import Field

from datalife.common.strict import FrozenModel

__all__ = ["FeatureSpec", "FEATURE_KINDS", "SAMPLE_RATE", "MSWC", "spectrogram", "mel_matrix", "log_mel", "mfcc",
           "tf_spectrogram", "tf_log_mel", "tf_mfcc"]

LOG_OFFSET = 1e-6


FEATURE_KINDS = ("spectrogram", "log_mel", "mfcc")
SAMPLE_RATE = 16000  # MSWC's; the one default of every audio setting that has a sample rate


class FeatureSpec(FrozenModel):
    """The audio settings, declared once: the Transform config's ``audio`` section is this
    model (plus its input names), the Transform ``preprocessing_fn`` and the augmenter's
    SpecAugment read it, and the shape of every feature is derived from it."""

    sample_rate: int = Field(SAMPLE_RATE, ge=1000)
    window_ms: float = Field(30.0, gt=0)
    stride_ms: float = Field(20.0, gt=0)
    mel_channels: int = Field(40, ge=1)
    fmin: float = Field(20.0, ge=0)
    fmax: float = Field(8000.0, gt=0)
    power: float = Field(2.0, gt=0)  # 1: magnitude, 2: power
    mfcc_count: int = Field(13, ge=1)

    @property
    def window(self) -> int:
        return int(round(self.sample_rate * self.window_ms / 1000))

    @property
    def stride(self) -> int:
        return int(round(self.sample_rate * self.stride_ms / 1000))

    @property
    def bins(self) -> int:
        return self.window // 2 + 1

    def frames(self, samples: int) -> int:
        return max(0, 1 + (samples - self.window) // self.stride)

    def channels(self, kind: str) -> int:
        """Values per frame of a feature kind (``spectrogram``, ``log_mel`` or ``mfcc``)."""
        if kind not in FEATURE_KINDS:
            raise ValueError(f"unknown audio feature {kind!r}; allowed: {', '.join(FEATURE_KINDS)}")
        return {"spectrogram": self.bins, "log_mel": self.mel_channels, "mfcc": self.mfcc_count}[kind]

    def shape(self, kind: str, samples: int) -> tuple[int, int]:
        """(frames, channels) of a feature kind for clips of ``samples`` samples."""
        return self.frames(samples), self.channels(kind)

    def spec(self) -> "FeatureSpec":
        """Only the feature settings (a config that extends this model has more keys)."""
        return FeatureSpec(**{k: getattr(self, k) for k in FeatureSpec.model_fields})


MSWC = FeatureSpec()


def _hann(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)  # periodic


def spectrogram(waveform: np.ndarray, spec: FeatureSpec = MSWC) -> np.ndarray:
    """[..., samples] -> [..., frames, bins] magnitude (power 1) or power (power 2)."""
    x = np.asarray(waveform, dtype=np.float32)
    if x.shape[-1] < spec.window:
        raise ValueError(f"waveform has {x.shape[-1]} samples, fewer than one window ({spec.window})")
    from scipy.fft import rfft  # float32 in, complex64 out (numpy's rfft works in float64)

    frames = sliding_window_view(x, spec.window, axis=-1)[..., :: spec.stride, :] * _hann(spec.window)
    z = rfft(frames, axis=-1)
    power = z.real * z.real + z.imag * z.imag
    if spec.power == 2:
        return power
    return np.sqrt(power) if spec.power == 1 else power ** (spec.power / 2)


def _hz_to_mel(f):
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


def mel_matrix(spec: FeatureSpec = MSWC) -> np.ndarray:
    """[bins, mel_channels] weights, as tf.signal.linear_to_mel_weight_matrix."""
    freqs = np.linspace(0.0, spec.sample_rate / 2, spec.bins)[1:]
    mel = _hz_to_mel(freqs)[:, None]
    edges = np.linspace(_hz_to_mel(spec.fmin), _hz_to_mel(spec.fmax), spec.mel_channels + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((mel - lower) / (center - lower), (upper - mel) / (upper - center)))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(np.float32)


def log_mel(waveform: np.ndarray, spec: FeatureSpec = MSWC) -> np.ndarray:
    """[..., samples] -> [..., frames, mel_channels]."""
    return np.log(spectrogram(waveform, spec) @ mel_matrix(spec) + LOG_OFFSET)


def _dct_tf(x: np.ndarray) -> np.ndarray:
    """Unnormalised DCT-II scaled by 1 / sqrt(2 N), as tf.signal.mfccs_from_log_mel_spectrograms
    (unlike the orthonormal DCT, the first coefficient is not divided by sqrt(2))."""
    from scipy.fft import dct

    return dct(x, type=2, norm=None, axis=-1) / np.sqrt(2.0 * x.shape[-1])


def mfcc(waveform: np.ndarray, spec: FeatureSpec = MSWC) -> np.ndarray:
    """[..., samples] -> [..., frames, mfcc_count], as tf.signal.mfccs_from_log_mel_spectrograms."""
    return _dct_tf(log_mel(waveform, spec))[..., : spec.mfcc_count].astype(np.float32)


# ----------------------------------------------------------------------------- TensorFlow
def tf_spectrogram(waveform, spec: FeatureSpec = MSWC):
    import tensorflow as tf

    stft = tf.signal.stft(tf.cast(waveform, tf.float32), frame_length=spec.window, frame_step=spec.stride,
                          fft_length=spec.window, window_fn=tf.signal.hann_window, pad_end=False)
    mag = tf.abs(stft)
    return mag if spec.power == 1 else mag ** spec.power


def tf_log_mel(waveform, spec: FeatureSpec = MSWC):
    import tensorflow as tf

    weights = tf.signal.linear_to_mel_weight_matrix(spec.mel_channels, spec.bins, spec.sample_rate,
                                                    spec.fmin, spec.fmax)
    return tf.math.log(tf.tensordot(tf_spectrogram(waveform, spec), weights, 1) + LOG_OFFSET)


def tf_mfcc(waveform, spec: FeatureSpec = MSWC):
    import tensorflow as tf

    return tf.signal.mfccs_from_log_mel_spectrograms(tf_log_mel(waveform, spec))[..., : spec.mfcc_count]
