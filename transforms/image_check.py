"""Is an encoded image whole? (pure: no Beam, no TFX, no TensorFlow)

OpenCV decodes a JPEG cut in the middle of its body, or with corrupt entropy-coded
data, into an image (the missing part grey, the rest garbled) and only prints libjpeg's
warning ("Premature end of JPEG file", "Corrupt JPEG data: ...") to the process's
standard error; Pillow reads only headers until asked to decode. Both would let a
damaged image pass as valid. :func:`check_image` treats those signals as errors:

- PNG: every chunk's CRC-32 is checked (``zlib.crc32``, as libpng does) and the file
  must end with its ``IEND`` chunk (a cut file has none);
- JPEG: the file must start with SOI, its header segments must be well formed up to
  the first scan, an EOI marker must follow the scan (a cut file has none), and the
  image is decoded by OpenCV with libjpeg's warnings captured: any warning is an error;
- any format: OpenCV must decode it (``cv2.error`` for a format its lookup table
  cannot take is an error too, never a crash).

:class:`ImageDataError` carries ``reason`` (``truncated_image``, ``corrupt_image``,
``undecodable_image``), so callers classify it by type and reason.
"""
from __future__ import annotations

import os
import struct
import tempfile
import threading
import zlib

import cv2
import numpy as np

__all__ = ["ImageDataError", "check_image", "decode_checked", "image_kind"]

_PNG = b"\x89PNG\r\n\x1a\n"
_STDERR_LOCK = threading.Lock()
# libjpeg's warning texts as OpenCV prints them (jerror.h): which captured lines are libjpeg's
_LIBJPEG = (b"Corrupt JPEG data", b"Premature end of JPEG file", b"Invalid SOS parameters",
            b"Warning: unknown JFIF revision", b"Inconsistent progression sequence",
            b"Huffman code", b"JPEG datastream contains no image", b"libpng")


class ImageDataError(ValueError):
    """An encoded image that is cut short, corrupt or undecodable; ``reason`` says which."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


def image_kind(data: bytes) -> str:
    """``png``, ``jpeg`` or ``other`` from the magic bytes."""
    if data[:8] == _PNG:
        return "png"
    if data[:2] == b"\xff\xd8":
        return "jpeg"
    return "other"


def _check_png(data: bytes) -> None:
    pos = 8
    while pos < len(data):
        if pos + 8 > len(data):
            raise ImageDataError("truncated_image", f"PNG cut inside a chunk header at byte {pos}")
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + n
        if end > len(data):
            raise ImageDataError("truncated_image", f"PNG cut inside its {kind.decode('latin-1')!r} chunk "
                                                    f"({end - len(data)} byte(s) missing)")
        (crc,) = struct.unpack(">I", data[end - 4:end])
        if zlib.crc32(data[pos + 4:end - 4]) & 0xFFFFFFFF != crc:
            raise ImageDataError("corrupt_image", f"PNG chunk {kind.decode('latin-1')!r} at byte {pos} fails its "
                                                   f"CRC check (corrupt data)")
        if kind == b"IEND":
            return
        pos = end
    raise ImageDataError("truncated_image", "PNG has no IEND chunk (cut short)")


def _check_jpeg_structure(data: bytes) -> None:
    pos = 2
    while True:
        if pos + 4 > len(data):
            raise ImageDataError("truncated_image", f"JPEG cut inside its header at byte {pos}")
        if data[pos] != 0xFF:
            raise ImageDataError("corrupt_image", f"JPEG header: no marker at byte {pos}")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            raise ImageDataError("corrupt_image", "JPEG ends before its first scan")
        (n,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if n < 2:
            raise ImageDataError("corrupt_image", f"JPEG segment 0xff{marker:02x} at byte {pos} has length {n}")
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            scan = pos + 2 + n
            break
        pos += 2 + n
    if data.rfind(b"\xff\xd9", scan) < 0:
        raise ImageDataError("truncated_image", "JPEG has no end-of-image marker after its scan (cut short)")


def _decode_capturing(data: bytes) -> tuple[np.ndarray | None, bytes]:
    """OpenCV's decode with what libjpeg / libpng print on file descriptor 2 captured
    (other text written meanwhile is passed on)."""
    with _STDERR_LOCK, tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        text = sink.read()
    ours = [line for line in text.splitlines() if any(s in line for s in _LIBJPEG)]
    others = [line for line in text.splitlines() if line and line not in ours]
    if others:
        os.write(2, b"\n".join(others) + b"\n")
    return image, b"; ".join(ours)


def decode_checked(data: bytes) -> np.ndarray:
    """The decoded image (as ``cv2.imdecode`` with ``IMREAD_UNCHANGED``), or
    :class:`ImageDataError` when the bytes are cut short, corrupt or undecodable."""
    kind = image_kind(data)
    if kind == "png":
        _check_png(data)
    elif kind == "jpeg":
        _check_jpeg_structure(data)
    try:
        image, warned = _decode_capturing(data) if kind == "jpeg" else (
            cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), b"")
    except cv2.error as exc:
        raise ImageDataError("undecodable_image", f"OpenCV cannot decode the image: {exc.err or exc}") from None
    if warned:
        raise ImageDataError("corrupt_image", f"the JPEG decoder reports corrupt data: "
                                              f"{warned.decode('utf-8', 'replace')}")
    if image is None or image.size == 0:
        raise ImageDataError("undecodable_image", "the image cannot be decoded (corrupt, truncated or not an image)")
    return image


def check_image(data: bytes) -> tuple[int, int]:
    """(width, height) of an image that decodes whole; :class:`ImageDataError` otherwise."""
    image = decode_checked(data)
    return int(image.shape[1]), int(image.shape[0])
