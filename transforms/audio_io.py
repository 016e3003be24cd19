"""Reading clips: WAV -> mono float32 in [-1, 1], resampled with SciPy's polyphase
resampler, padded with zeros or trimmed to a fixed length."""
from __future__ import annotations

import warnings
from math import gcd

import numpy as np

__all__ = ["AudioFileError", "read_wav", "to_mono_float", "resample", "fix_length", "load_clip"]

_INT_SCALE = {np.dtype("int16"): 32768.0, np.dtype("int32"): 2147483648.0}


class AudioFileError(ValueError):
    """An audio file that cannot be used; ``reason`` says why (``unreadable``, ``empty``),
    so callers classify it by type and reason, never by the message's words."""

    def __init__(self, file: str, reason: str, message: str):
        self.file, self.reason, self.record, self.field = str(file), reason, None, None
        super().__init__(f"{file}: {message}")


def to_mono_float(data: np.ndarray) -> np.ndarray:
    """Integer or float PCM (samples[, channels]) -> mono float32 in [-1, 1]."""
    if data.dtype == np.uint8:
        x = (data.astype(np.float32) - 128.0) / 128.0
    elif data.dtype in _INT_SCALE:
        x = data.astype(np.float32) / _INT_SCALE[data.dtype]
    else:
        x = data.astype(np.float32)
    return x.mean(axis=1) if x.ndim == 2 else x


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sample rate); :class:`AudioFileError` naming the file when
    it cannot be read or holds no samples."""
    from scipy.io import wavfile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path)
    except (ValueError, OSError, EOFError) as exc:
        raise AudioFileError(path, "unreadable", f"not a readable WAV file ({exc})") from None
    if data.size == 0:
        raise AudioFileError(path, "empty", "the WAV file holds no samples")
    return to_mono_float(data), int(rate)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling (``scipy.signal.resample_poly``: anti-aliasing FIR, exact
    rational factor)."""
    if rate_in == rate_out:
        return x.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = gcd(int(rate_in), int(rate_out))
    return resample_poly(x, rate_out // g, rate_in // g).astype(np.float32)


def fix_length(x: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` samples, zero-padded at the end when shorter."""
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - len(x), dtype=x.dtype)])


def load_clip(path: str, rate: int = 16000, seconds: float = 1.0) -> tuple[np.ndarray, int, int]:
    """(fixed-length clip at ``rate``, original rate, original sample count)."""
    x, sr = read_wav(path)
    return fix_length(resample(x, sr, rate), int(round(rate * seconds))), sr, len(x)
