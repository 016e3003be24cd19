"""Audio augmentation core (NumPy / SciPy): time shift, gain, background noise at an
SNR, time stretch and pitch shift (a vectorised phase vocoder), and SpecAugment-style
frequency / time masks on (frames, channels) features. Each op has pure ``apply``
functions taking concrete parameters; drawing them is in ``audio_policy``."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["time_shift", "gain", "add_noise", "snr_db", "stft", "istft", "phase_vocoder", "time_stretch",
           "pitch_shift", "spec_mask", "make_noise"]

N_FFT, HOP = 512, 128


def time_shift(x: np.ndarray, samples: int) -> np.ndarray:
    """Move the clip by ``samples`` (positive: later), filling with silence (no wrap)."""
    out = np.zeros_like(x)
    if abs(samples) >= len(x):
        return out
    if samples >= 0:
        out[samples:] = x[:len(x) - samples]
    else:
        out[:samples] = x[-samples:]
    return out


def gain(x: np.ndarray, db: float, out: np.ndarray = None) -> np.ndarray:
    """``x`` scaled by ``db`` decibels (into ``out``, which may be ``x`` itself)."""
    return np.multiply(x, 10.0 ** (db / 20.0), out=out, dtype=x.dtype)


def snr_db(signal: np.ndarray, noise: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(signal.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2)))


def add_noise(x: np.ndarray, noise: np.ndarray, snr: float) -> np.ndarray:
    """``x`` plus ``noise`` scaled so that 10 log10(P_x / P_noise) = ``snr`` dB (a
    silent clip gets no noise)."""
    n = np.resize(noise, x.shape).astype(np.float64)
    px, pn = np.mean(x.astype(np.float64) ** 2), np.mean(n ** 2)
    if px == 0 or pn == 0:
        return x.copy()
    return (x + n * np.sqrt(px / (pn * 10.0 ** (snr / 10.0)))).astype(x.dtype)


def make_noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """White or pink (1/f power) noise of unit variance."""
    white = rng.standard_normal(n)
    if kind == "white":
        return white.astype(np.float32)
    spec = np.fft.rfft(white)
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    pink = np.fft.irfft(spec / np.sqrt(f), n)
    return (pink / pink.std()).astype(np.float32)


_WINDOW = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann


def stft(x: np.ndarray) -> np.ndarray:
    """(frames, N_FFT // 2 + 1) complex64, centered frames (reflect padding)."""
    from scipy import fft

    xp = np.pad(x.astype(np.float32, copy=False), N_FFT // 2, mode="reflect")
    frames = sliding_window_view(xp, N_FFT)[::HOP] * _WINDOW
    return fft.rfft(frames, axis=1)


def istft(spec: np.ndarray, length: int) -> np.ndarray:
    """Overlap-add inverse of :func:`stft` (window-square normalised), ``length`` samples."""
    from scipy import fft

    frames = fft.irfft(spec, n=N_FFT, axis=1).astype(np.float32, copy=False) * _WINDOW
    t, k = len(frames), N_FFT // HOP
    blocks = np.zeros((t + k - 1, HOP), np.float32)
    norm = np.zeros((t + k - 1, HOP), np.float32)
    w2 = (_WINDOW ** 2).reshape(k, HOP)
    for j in range(k):
        blocks[j:j + t] += frames[:, j * HOP:(j + 1) * HOP]
        norm[j:j + t] += w2[j]
    y = (blocks / np.maximum(norm, 1e-8)).ravel()[N_FFT // 2:]
    return np.pad(y, (0, max(0, length - len(y))))[:length]


def phase_vocoder(spec: np.ndarray, rate: float) -> np.ndarray:
    """Frames at ``rate`` x speed: magnitudes interpolated, phases advanced by each
    bin's measured instantaneous frequency (all steps at once, no Python loop)."""
    t, bins = spec.shape
    steps = np.arange(0, t, rate)
    idx = steps.astype(np.int64)
    alpha = (steps - idx).astype(np.float32)[:, None]
    mag = np.abs(spec)
    ang = np.angle(spec)
    mag = np.concatenate([mag, np.zeros((1, bins), mag.dtype)])
    ang = np.concatenate([ang, ang[-1:]])
    out_mag = (1 - alpha) * mag[idx] + alpha * mag[idx + 1]
    advance = np.linspace(0, np.pi * HOP, bins, dtype=np.float32)
    dphase = ang[idx + 1] - ang[idx] - advance
    dphase -= np.float32(2 * np.pi) * np.round(dphase / np.float32(2 * np.pi))
    phase = np.empty_like(dphase)
    phase[0] = ang[0]
    np.cumsum(advance + dphase[:-1], axis=0, out=phase[1:])
    phase[1:] += ang[0]
    out = np.empty(out_mag.shape, np.complex64)
    out.real = out_mag * np.cos(phase)
    out.imag = out_mag * np.sin(phase)
    return out


def time_stretch(x: np.ndarray, rate: float, keep_length: bool = True) -> np.ndarray:
    """Faster (rate > 1) or slower without changing pitch; by default cut or
    zero-padded back to the input's length (as audiomentations does)."""
    n = int(round(len(x) / rate))
    y = istft(phase_vocoder(stft(x), rate), n)
    return (np.pad(y, (0, max(0, len(x) - n)))[:len(x)] if keep_length else y).astype(x.dtype)


def pitch_shift(x: np.ndarray, semitones: float) -> np.ndarray:
    """Pitch up / down by ``semitones`` with the duration kept: stretch by the
    frequency ratio, then resample back to the input's length (FFT resampling)."""
    from scipy.signal import resample

    ratio = 2.0 ** (semitones / 12.0)
    stretched = time_stretch(x, 1.0 / ratio, keep_length=False)
    return resample(stretched, len(x)).astype(x.dtype)


def spec_mask(features: np.ndarray, freq: list[tuple[int, int]], time: list[tuple[int, int]],
              value: float = 0.0) -> np.ndarray:
    """(frames, channels) with channels ``[f0, f0 + width)`` and frames
    ``[t0, t0 + width)`` set to ``value`` for each drawn band."""
    out = features.copy()
    for f0, width in freq:
        out[:, f0:f0 + width] = value
    for t0, width in time:
        out[t0:t0 + width, :] = value
    return out
