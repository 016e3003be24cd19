"""Reading the values of annotation files strictly, one way for every format: numbers
that must be finite numbers (a JSON string or boolean is not a coordinate), image
sizes that must be positive integers, names that must be short text, and the JSON and
text loaders. Every failure is an :class:`AnnotationError` naming file, record and
field with its reason, never a raw ``ValueError`` / ``OverflowError`` /
``UnicodeDecodeError``.

Reasons: ``not_a_number``, ``not_finite``, ``bad_size``, ``missing_label``,
``too_long``, ``malformed``, ``bad_encoding``, ``unreadable``."""
from __future__ import annotations

import json
import math
from typing import Optional

from datalife.labeling.formats.base import AnnotationError

__all__ = ["number", "image_size", "text", "load_json", "read_text", "show", "ident", "MAX_TEXT", "MAX_SIDE"]

MAX_TEXT = 4096  # longest file name or class name accepted (a path is at most 4096 bytes on Linux)
MAX_SIDE = 2**31 - 1  # largest image side (int32)


def show(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (a 2 MB field is not echoed whole)."""
    r = repr(value)
    return r if len(r) <= limit else f"{r[:limit]}... ({len(r)} characters)"


def ident(value) -> str:
    """An id as it names a record in messages: ``7``, ``abc``, or a cut ``repr``."""
    if (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and len(value) <= 64):
        return str(value)
    return show(value, 40)


def number(value, file: str, record: Optional[str], field: str, parse_text: bool = False) -> float:
    """A finite float. JSON numbers only, unless ``parse_text`` (XML, CSV, txt cells)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            v = float(value)
        except OverflowError:  # a JSON integer beyond float range
            raise AnnotationError(file, record, field, f"too large: {show(value)}", reason="not_finite") from None
    elif parse_text and isinstance(value, str):
        try:
            v = float(value.strip())
        except ValueError:
            raise AnnotationError(file, record, field, f"not a number: {show(value)}", reason="not_a_number") from None
    else:
        raise AnnotationError(file, record, field, f"not a number: {show(value)} ({type(value).__name__})",
                              reason="not_a_number")
    if not math.isfinite(v):
        raise AnnotationError(file, record, field, f"not finite: {show(value)}", reason="not_finite")
    return v


def image_size(value, file: str, record: Optional[str], field: str, parse_text: bool = False) -> Optional[int]:
    """An image side: a positive integer (``650`` or ``650.0``), or None when absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        v = number(value, file, record, field, parse_text)
    except AnnotationError as exc:
        raise AnnotationError(file, record, field, f"image size: {exc.detail}", reason="bad_size") from None
    if not v.is_integer() or not 0 < v <= MAX_SIDE:
        raise AnnotationError(file, record, field, f"image size must be a positive integer, got {show(value)}",
                              reason="bad_size")
    return int(v)


def text(value, file: str, record: Optional[str], field: str, allow_empty: bool = False) -> str:
    """A name (class, image file): a string (or an integer, as some tools write class
    names), at most ``MAX_TEXT`` characters, without NUL."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise AnnotationError(file, record, field, f"needs text, got {show(value)} ({type(value).__name__})",
                              reason="malformed" if value is not None else "missing_label")
    if len(value) > MAX_TEXT:
        raise AnnotationError(file, record, field, f"{len(value)} characters; at most {MAX_TEXT}", reason="too_long")
    if "\x00" in value:
        raise AnnotationError(file, record, field, f"NUL character in {show(value)}", reason="malformed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON, undecodable bytes in a file name)
        raise AnnotationError(file, record, field, f"not valid Unicode: {show(value)}", reason="bad_encoding") from None
    if not value.strip() and not allow_empty:
        raise AnnotationError(file, record, field, "empty", reason="missing_label")
    return value


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise AnnotationError(path, None, None, f"cannot read: {exc.strerror or exc}", reason="unreadable") from None


def load_json(path: str):
    """A JSON document, parsed by orjson (2-3x faster than json on large COCO files)
    or, for what orjson refuses, by json: the NaN and Infinity literals that Python
    writes are read as numbers, so the record holding one is quarantined as
    ``not_finite`` rather than the whole file."""
    data = _read_bytes(path)
    try:
        import orjson

        return orjson.loads(data)
    except ImportError:  # pragma: no cover - orjson is in the lock
        pass
    except ValueError:  # orjson.JSONDecodeError
        pass
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError are ValueErrors
        raise AnnotationError(path, None, None, f"malformed JSON: {exc}", reason="malformed") from None


def read_text(path: str) -> str:
    """A UTF-8 text file (a BOM is dropped); a byte that is not UTF-8 is an error
    naming its line."""
    data = _read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise AnnotationError(path, f"line {line}", None, f"not UTF-8: byte {data[exc.start]:#04x} at offset "
                              f"{exc.start}", reason="bad_encoding") from None
