"""CSV, one row per box, with configurable columns. The default layout is the
raccoon dataset's: ``filename,width,height,class,xmin,ymin,xmax,ymax``; ``columns``
renames any of them and ``box_columns`` names the four box columns in the source's
box format (declared by the source, e.g. ``xywh:pixel``). Rows are grouped by
filename in order of first appearance; a row whose class and box cells are all empty
stands for an image without boxes."""
from __future__ import annotations

import csv
from collections import OrderedDict

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, from_pixels, listing, num

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 0
DEFAULT_COLUMNS = {"filename": "filename", "width": "width", "height": "height", "class": "class"}
DEFAULT_BOX_COLUMNS = ("xmin", "ymin", "xmax", "ymax")


def list_files(path: str) -> list[str]:
    return listing(path, (".csv",))


def read_file(path: str, columns=None, box_columns=None, **_) -> list[ImageLabels]:
    cols = {**DEFAULT_COLUMNS, **(columns or {})}
    box_cols = list(box_columns or DEFAULT_BOX_COLUMNS)
    images: "OrderedDict[str, dict]" = OrderedDict()
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in [cols["filename"], cols["class"], *box_cols] if c not in (reader.fieldnames or [])]
        if missing:
            raise AnnotationError(path, "header", ",".join(missing), f"missing column(s); header is {reader.fieldnames}",
                                  reason="malformed")
        for row in reader:
            record = f"row {reader.line_num}"
            name = row[cols["filename"]]
            if all(not (row[c] or "").strip() for c in [cols["class"], *box_cols]):
                images.setdefault(name, {"boxes": [], "labels": [], "size": _size(row, cols, path, record)})
                continue
            try:
                box = [float(row[c]) for c in box_cols]
            except (TypeError, ValueError):
                bad = next(c for c in box_cols if not _is_float(row[c]))
                raise AnnotationError(path, record, bad, f"not a number: {row[bad]!r}", reason="malformed") from None
            img = images.setdefault(name, {"boxes": [], "labels": [], "size": _size(row, cols, path, record)})
            img["boxes"].append(box)
            img["labels"].append(row[cols["class"]])
    return [ImageLabels(file=name, width=v["size"][0], height=v["size"][1], boxes=v["boxes"], labels=v["labels"],
                        where=path) for name, v in images.items()]


def _is_float(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _size(row, cols, path, record):
    out = []
    for key in ("width", "height"):
        v = row.get(cols[key]) if cols[key] in row else None
        if v in (None, ""):
            out.append(None)
        elif _is_float(v):
            out.append(int(float(v)))
        else:
            raise AnnotationError(path, record, cols[key], f"not a number: {v!r}", reason="malformed")
    return out


def write(records: list[ImageLabels], out: str, classes: list[str], box_format="xyxy:pixel", columns=None,
          box_columns=None, **_) -> list[str]:
    cols = {**DEFAULT_COLUMNS, **(columns or {})}
    box_cols = list(box_columns or DEFAULT_BOX_COLUMNS)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([cols["filename"], cols["width"], cols["height"], cols["class"], *box_cols])
        for rec in records:
            if not rec.labels:
                w.writerow([rec.file, rec.width, rec.height, "", "", "", "", ""])
            for box, label in zip(from_pixels(rec, box_format), rec.labels):
                w.writerow([rec.file, rec.width, rec.height, label, *(num(v) for v in box)])
    return [out]
