"""Convert annotations from any supported format to any other (``datalife labels
convert``): read into the interchange form with the same checks the label unifier
makes (``formats.validate``), write in the target's conventions.

Bad input is never copied: with ``on_invalid="error"`` (the default) the first bad
file or record raises its error naming file, record and field; with ``"quarantine"``
bad records are left out and returned with their reasons, counted so that
``images_in = images + images_quarantined`` and ``boxes_in = boxes + boxes_quarantined``.
A source that yields no image to write is an error either way."""
from __future__ import annotations

from collections import Counter
from typing import Optional, Sequence

from datalife.labeling.formats import get_format, scan, write
from datalife.labeling.formats.base import REFUSED, AnnotationError, Quarantined

__all__ = ["convert"]


def convert(src_format: str, src: str, dst_format: str, out: str, classes: Optional[Sequence[str]] = None,
            read_options: Optional[dict] = None, write_options: Optional[dict] = None,
            box_format: Optional[str] = None, origin: Optional[int] = None, on_invalid: str = "error") -> dict:
    """Returns {"images", "boxes", "classes", "written" (count), "files" (paths),
    "images_in", "boxes_in", "files_in", "images_quarantined", "boxes_quarantined",
    "files_quarantined", "quarantined" ([{file, record, field, reason, message, image}]),
    "reasons" ({reason: records}), "notes" (deliberate readings, e.g. boxes_from_polygons)}.
    ``classes`` fixes the class ids of the output (default: names in order of first
    appearance); a record with a label outside it is bad (``unknown_class``)."""
    if on_invalid not in ("error", "quarantine"):
        raise ValueError(f"on_invalid is 'error' or 'quarantine', not {on_invalid!r}")
    get_format(dst_format)  # an unknown target fails before reading
    done = scan(src_format, src, box_format=box_format, origin=origin, **(read_options or {}))
    records, quarantined = [], list(done.quarantined)
    names = list(classes) if classes else list(dict.fromkeys(n for r in done.records for n in r.labels))
    known = set(names)
    for r in done.records:
        missing = sorted(set(r.labels) - known)
        if missing:
            k = next(k for k, n in enumerate(r.labels) if n in missing)
            quarantined.append(Quarantined(r.fail(f"box {k} class", f"classes {missing} are not in --classes "
                                                  f"{names}", "unknown_class"), images=1, boxes=len(r.boxes),
                                           file=r.file))
        else:
            records.append(r)
    for q in quarantined:  # security refusals (unsafe XML) are never skipped quietly
        if on_invalid == "error" or q.reason in REFUSED:
            raise q.error
    if not records:
        found = (f"{done.files} file(s), every record quarantined ({_reasons(quarantined)})" if quarantined
                 else f"{done.files} file(s) holding no image")
        raise AnnotationError(src, None, None, f"nothing to convert from {src_format}: {found}",
                              reason="empty_output")
    files = write(dst_format, records, out, names, **(write_options or {}))
    notes = Counter()
    for r in records:
        notes.update(r.notes)
    n_boxes = sum(len(r.boxes) for r in records)
    q_images, q_boxes = sum(q.images for q in quarantined), sum(q.boxes for q in quarantined)
    return {"images": len(records), "boxes": n_boxes, "classes": names, "written": len(files), "files": files,
            "images_in": len(records) + q_images, "boxes_in": n_boxes + q_boxes, "files_in": done.files,
            "images_quarantined": q_images, "boxes_quarantined": q_boxes,
            "files_quarantined": sum(q.files for q in quarantined),
            "quarantined": [q.as_record() for q in quarantined],
            "reasons": dict(Counter(q.reason for q in quarantined)),
            "notes": dict(notes)}


def _reasons(quarantined) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in Counter(q.reason for q in quarantined).most_common())
