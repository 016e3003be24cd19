"""Reading clips: WAV -> mono float32 in [-1, 1], resampled with SciPy's polyphase
resampler, padded with zeros or trimmed to a fixed length."""
from __future__ import annotations

import struct
import warnings
from math import gcd

import numpy as np

__all__ = ["AudioFileError", "read_wav", "check_samples", "wav_data_shortfall", "FLOAT_LIMIT", "to_mono_float", "resample", "fix_length", "load_clip"]

FLOAT_LIMIT = 1.0 + 1e-4  # float samples beyond this (|x|) are not PCM in [-1, 1]: the file is quarantined
_INT_SCALE = {np.dtype("int16"): 32768.0, np.dtype("int32"): 2147483648.0}


class AudioFileError(ValueError):
    """An audio file that cannot be used; ``reason`` says why (``unreadable``, ``empty``,
    ``truncated``, ``non_finite``, ``out_of_range``),
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


def wav_data_shortfall(path: str) -> int:
    """Bytes the WAV file's ``data`` chunk declares but the file does not hold (0 when
    complete): a file cut inside its data, which SciPy reads as the samples that are
    there, only warning. Walks the RIFF chunks; ``struct.error`` / ``ValueError`` on a
    header it cannot walk (the caller names the file)."""
    import os

    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            raise ValueError("no RIFF/WAVE header")
        order = "<" if head[:4] == b"RIFF" else ">"
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            cid, n = struct.unpack(order + "4sI", f.read(8))
            if cid == b"data":
                return max(0, pos + 8 + n - size) if n not in (0, 0xFFFFFFFF) else 0  # 0 / -1: streamed, unknown
            pos += 8 + n + (n & 1)
    raise ValueError("no data chunk")


def check_samples(x: np.ndarray, file: str, float_pcm: bool = True) -> None:
    """:class:`AudioFileError` naming ``file`` and the first bad sample when ``x`` holds
    NaN or infinity (``non_finite``) or, for float PCM, values beyond [-1, 1]
    (``out_of_range``, above :data:`FLOAT_LIMIT`)."""
    x = np.asarray(x)
    bad = ~np.isfinite(x)
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise AudioFileError(file, "non_finite", f"{int(bad.sum())} sample(s) are NaN or infinite (first at "
                                                 f"sample {i}: {x.ravel()[i]})")
    if float_pcm and x.size:
        peak = float(np.max(np.abs(x)))
        if peak > FLOAT_LIMIT:
            i = int(np.argmax(np.abs(x.ravel())))
            raise AudioFileError(file, "out_of_range", f"float samples must lie in [-1, 1]; sample {i} is "
                                                       f"{x.ravel()[i]:.6g}")


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sample rate); :class:`AudioFileError` naming the file when
    it cannot be read (``unreadable``: not a WAV, or cut inside its header), is cut
    inside its data (``truncated``), holds no samples (``empty``), or holds NaN /
    infinite samples or float samples beyond [-1, 1] (``non_finite``, ``out_of_range``)."""
    from scipy.io import wavfile

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path)
        missing = wav_data_shortfall(path)
    except (ValueError, OSError, EOFError, struct.error, IndexError) as exc:  # what a malformed header raises
        raise AudioFileError(path, "unreadable", f"not a readable WAV file ({type(exc).__name__}: {exc})") from None
    if missing:
        raise AudioFileError(path, "truncated", f"the WAV file is cut inside its data: {missing} byte(s) of the "
                                                f"declared data chunk are missing ({data.shape[0]} sample(s) present)")
    if data.size == 0:
        raise AudioFileError(path, "empty", "the WAV file holds no samples")
    check_samples(data, path, float_pcm=data.dtype.kind == "f")
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
