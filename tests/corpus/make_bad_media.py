"""A corpus of small malformed audio, image and time-series inputs, generated (no binary
files in the repository): ``python tests/corpus/make_bad_media.py OUT``.

Each case breaks one thing in an otherwise valid input and says what the component must
give: the quarantine ``reason`` (``None``: a valid input, kept).

- ``WAV_CASES``: WAV files for the audio ExampleGen (``<label>_<name>.wav``);
- ``IMAGE_CASES``: encoded images for the image augmenter and the label unifier;
- ``SERIES_CASES``: rows for the windower (hourly, ``station`` series, time parts),
  each a list of rows plus the quarantine reason of its broken row or series.
"""
from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import numpy as np

RATE = 8000


def _wav(samples: np.ndarray, rate: int = RATE) -> bytes:
    from scipy.io import wavfile

    buf = io.BytesIO()
    wavfile.write(buf, rate, samples)
    return buf.getvalue()


def _tone(n: int = RATE // 2, dtype=np.int16) -> np.ndarray:
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / RATE)
    return (x * 32767).astype(np.int16) if dtype == np.int16 else x.astype(dtype)


def _nan() -> bytes:
    x = _tone(dtype=np.float32)
    x[100] = np.nan
    return _wav(x)


def _inf() -> bytes:
    x = _tone(dtype=np.float32)
    x[7] = -np.inf
    return _wav(x)


def _loud() -> bytes:
    x = _tone(dtype=np.float32)
    x[50] = 40.0
    return _wav(x)


def _data_size_lie() -> bytes:
    """The data chunk claims twice the bytes the file holds (a file cut by a writer)."""
    data = bytearray(_wav(_tone()))
    pos = data.index(b"data")
    (n,) = struct.unpack("<I", data[pos + 4:pos + 8])
    data[pos + 4:pos + 8] = struct.pack("<I", 2 * n)
    return bytes(data)


# name -> (bytes, reason)
WAV_CASES = {
    "ok_int16": (lambda: _wav(_tone()), None),
    "ok_float": (lambda: _wav(_tone(dtype=np.float32)), None),
    "cut_in_data": (lambda: _wav(_tone())[:2000], "truncated"),
    "size_lie": (_data_size_lie, "truncated"),
    "cut_in_header": (lambda: _wav(_tone())[:30], "unreadable"),
    "cut_in_riff": (lambda: _wav(_tone())[:10], "unreadable"),
    "not_wav": (lambda: b"ID3\x03\x00" + bytes(200), "unreadable"),
    "no_samples": (lambda: _wav(np.zeros(0, np.int16)), "empty"),
    "nan": (_nan, "non_finite"),
    "inf": (_inf, "non_finite"),
    "out_of_range": (_loud, "out_of_range"),
}


def _image(ext: str, seed: int = 0) -> bytes:
    import cv2

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:48, 0:64]
    img = np.stack([xx * 4, yy * 5, (xx + yy) * 2], axis=-1).astype(np.uint8)
    img = np.clip(img + rng.integers(0, 20, img.shape), 0, 255).astype(np.uint8)
    return cv2.imencode(ext, img)[1].tobytes()


def _flip(data: bytes, at: float, xor: int = 0x5A, count: int = 8) -> bytes:
    d = bytearray(data)
    start = int(len(d) * at)
    for i in range(start, start + count):
        d[i] ^= xor
    return bytes(d)


IMAGE_CASES = {
    "ok.png": (lambda: _image(".png"), None),
    "ok.jpg": (lambda: _image(".jpg"), None),
    "cut_body.jpg": (lambda: _image(".jpg")[: len(_image(".jpg")) * 2 // 3], "truncated_image"),
    "cut_body.png": (lambda: _image(".png")[: len(_image(".png")) * 2 // 3], "truncated_image"),
    "flipped_body.png": (lambda: _flip(_image(".png"), 0.5), "corrupt_image"),
    "flipped_body.jpg": (lambda: _flip(_image(".jpg"), 0.6, count=40), "corrupt_image"),
    "junk.jpg": (lambda: b"\xff\xd8\xff\xe0" + bytes(64), "corrupt_image"),
    "not_image.png": (lambda: b"hello, not an image", "undecodable_image"),
}


def _rows(station: str, hours: int, start_day: int = 1) -> list[dict]:
    rows = []
    for h in range(hours):
        day, hour = start_day + h // 24, h % 24
        rows.append({"station": station, "year": 2020, "month": 1, "day": day, "hour": hour,
                     "temp": float(np.sin(h / 5.0))})
    return rows


def _series(edit) -> list[dict]:
    rows = _rows("a", 30)
    edit(rows)
    return rows


def _set(i: int, **values):
    def edit(rows):
        rows[i].update(values)
    return edit


# name -> (rows, reason, record or series named); every case has station "a" (30 hours)
SERIES_CASES = {
    "empty_hour": (lambda: _series(_set(5, hour=None)), "no_timestamp"),
    "empty_day": (lambda: _series(_set(6, day=None)), "no_timestamp"),
    "nan_hour": (lambda: _series(_set(7, hour="nan")), "bad_timestamp"),
    "text_day": (lambda: _series(_set(8, day="tomorrow")), "bad_timestamp"),
    "month_13": (lambda: _series(_set(9, month=13)), "bad_timestamp"),
    "short_series": (lambda: _rows("a", 30) + _rows("b", 3), "series_too_short"),
}


def write_media(out: Path) -> dict[str, Path]:
    """Every case written under ``out`` (``audio/``, ``images/``): {case: path}."""
    paths = {}
    (out / "audio").mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(parents=True, exist_ok=True)
    for name, (make, _) in WAV_CASES.items():
        p = out / "audio" / f"{'good' if name.startswith('ok') else 'bad'}_{name}.wav"
        p.write_bytes(make())
        paths[name] = p
    for name, (make, _) in IMAGE_CASES.items():
        p = out / "images" / name
        p.write_bytes(make())
        paths[name] = p
    return paths


if __name__ == "__main__":
    for case, path in write_media(Path(sys.argv[1])).items():
        print(case, path)
