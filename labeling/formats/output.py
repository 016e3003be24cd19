"""How every writer puts files on disk: under temporary names renamed into place only
when all are complete (a failing writer leaves no partial or 0-byte file), one file per
image without two images mapping to one name, and numbers written short and exact."""
from __future__ import annotations

import os
from typing import Iterable

from datalife.labeling.formats.base import AnnotationError, ImageLabels

__all__ = ["Staged", "num", "jnum", "per_image_names", "need_size"]

PIXEL_DECIMALS = 6  # pixel coordinates are kept to a millionth of a pixel: float noise below is dropped


def _pixel(v) -> float:
    return round(float(v), PIXEL_DECIMALS) + 0.0  # + 0.0: no "-0"


def num(v, normalized: bool = False) -> str:
    """A coordinate as text: pixel coordinates to a millionth of a pixel, integers
    without '.0' (``87.99999999999999`` -> ``88``); normalized ones in full (``repr``)."""
    if normalized:
        return repr(float(v))
    r = _pixel(v)
    return str(int(r)) if r.is_integer() and abs(r) < 2**53 else repr(r)


def jnum(v):
    """A pixel coordinate for JSON: an int when it is one (to a millionth), else a float."""
    r = _pixel(v)
    return int(r) if r.is_integer() and abs(r) < 2**53 else r


class Staged:
    """Files written under temporary names in their target folder and renamed into
    place together on success; on an error every temporary file is removed."""

    def __init__(self, folder: str = ""):
        """``folder``: an output folder to create (removed again on an error if this
        created it and it is still empty)."""
        self._pending: list[tuple[str, str]] = []
        self._made = folder if folder and not os.path.isdir(folder) else ""
        if folder:
            os.makedirs(folder, exist_ok=True)

    def path(self, final: str) -> str:
        """The temporary path to write ``final`` to (same folder, same suffix)."""
        folder, base = os.path.split(final)
        tmp = os.path.join(folder, f".tmp-{os.getpid()}-{len(self._pending)}-{base}")
        self._pending.append((tmp, final))
        return tmp

    @property
    def files(self) -> list[str]:
        return [final for _, final in self._pending]

    def __enter__(self) -> "Staged":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            for tmp, final in self._pending:
                os.replace(tmp, final)
        else:
            for tmp, _ in self._pending:
                try:
                    os.remove(tmp)
                except FileNotFoundError:
                    pass
            if self._made and not os.listdir(self._made):
                os.rmdir(self._made)
        return False


def per_image_names(records: Iterable[ImageLabels], suffix: str, reserved: Iterable[str] = ()) -> list[str]:
    """One output file name per image (the image's base name with ``suffix``); two
    images that would share one (``a/x.jpg``, ``b/x.jpg``) are an error naming both,
    before anything is written."""
    seen = {name: "(reserved)" for name in reserved}
    names = []
    for rec in records:
        name = os.path.splitext(os.path.basename(rec.file))[0] + suffix
        if name in seen:
            raise AnnotationError(rec.where, rec.name, "image",
                                  f"{rec.file!r} and {seen[name]!r} would both be written as {name!r}: one "
                                  "file per image needs distinct image names (convert each folder separately, "
                                  "or choose a single-file format: coco, csv, cvat, label_studio, tfod)",
                                  reason="name_collision")
        seen[name] = rec.file
        names.append(name)
    return names


def need_size(rec: ImageLabels, what: str) -> tuple[int, int]:
    if not rec.width or not rec.height:
        raise rec.fail("size", f"the image size is unknown: {what} needs it", "missing_size")
    return rec.width, rec.height
