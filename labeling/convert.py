"""Convert annotations from any supported format to any other (``datalife labels
convert``): read into the interchange form, write in the target's conventions."""
from __future__ import annotations

from typing import Optional, Sequence

from datalife.labeling.formats import get_format, read, write

__all__ = ["convert"]


def convert(src_format: str, src: str, dst_format: str, out: str, classes: Optional[Sequence[str]] = None,
            read_options: Optional[dict] = None, write_options: Optional[dict] = None,
            box_format: Optional[str] = None, origin: Optional[int] = None) -> dict:
    """Returns {"images", "boxes", "classes", "written"}. ``classes`` fixes the class
    ids of the output (default: names in order of first appearance); a label missing
    from it is an error naming the image."""
    get_format(dst_format)  # an unknown target fails before reading
    records = read(src_format, src, box_format=box_format, origin=origin, **(read_options or {}))
    names = list(classes) if classes else list(dict.fromkeys(n for r in records for n in r.labels))
    known = set(names)
    for r in records:
        missing = sorted(set(r.labels) - known)
        if missing:
            raise ValueError(f"{r.where}: {r.file}: classes {missing} are not in --classes {names}")
    written = write(dst_format, records, out, names, **(write_options or {}))
    return {"images": len(records), "boxes": sum(len(r.boxes) for r in records), "classes": names,
            "written": len(written)}
