"""CSV, one row per box, with configurable columns. The default layout is the
raccoon dataset's: ``filename,width,height,class,xmin,ymin,xmax,ymax``; ``columns``
renames any of them and ``box_columns`` names the four box columns in the source's
box format (declared by the source, e.g. ``xywh:pixel``). Rows are grouped by
filename in order of first appearance; a row whose class and box cells are all empty
stands for an image without boxes.

Every image is a record: a bad row (a cell that is not a finite number, an empty
class, sizes that disagree with the image's other rows) quarantines its image with all
its rows. A row that cannot be split into cells (a field beyond the CSV module's
limit, 128 KiB) belongs to no known image and is quarantined on its own. A file that
is not UTF-8 or lacks a column fails as a whole."""
from __future__ import annotations

import csv
import io

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, Quarantined, from_pixels, listing, strict
from datalife.labeling.formats.fields import image_size, number, read_text, show, text
from datalife.labeling.formats.output import Staged, num

__all__ = ["NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write"]

NATIVE = BoxFormat("xyxy", "pixel")
ORIGIN = 0
DEFAULT_COLUMNS = {"filename": "filename", "width": "width", "height": "height", "class": "class"}
DEFAULT_BOX_COLUMNS = ("xmin", "ymin", "xmax", "ymax")


def list_files(path: str) -> list[str]:
    return listing(path, (".csv",))


class _Image:
    def __init__(self, size):
        self.size, self.boxes, self.labels, self.rows, self.error = size, [], [], 0, None


def _rows(path: str):
    """(line number, cells or the csv.Error of a row that cannot be split)."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, exc
            continue
        yield reader.line_num, row


def scan_file(path: str, columns=None, box_columns=None, **_) -> list:
    cols = {**DEFAULT_COLUMNS, **(columns or {})}
    box_cols = list(box_columns or DEFAULT_BOX_COLUMNS)
    rows = _rows(path)
    header = next(rows, (0, []))[1]
    if isinstance(header, csv.Error):
        raise AnnotationError(path, "header", None, f"unreadable header: {header}", reason="malformed")
    missing = [c for c in [cols["filename"], cols["class"], *box_cols] if c not in header]
    if missing:
        raise AnnotationError(path, "header", ",".join(missing), f"missing column(s); header is {show(header, 200)}",
                              reason="malformed")
    at = {name: header.index(name) for name in header[::-1]}  # the first column of a name
    images: dict[str, _Image] = {}
    out = []
    for line, row in rows:
        record = f"row {line}"
        if isinstance(row, csv.Error):
            out.append(Quarantined(AnnotationError(path, record, None, f"cannot split into cells: {row}",
                                                   reason="malformed"), images=0, boxes=1))
            continue
        if not row:
            continue
        cell = {name: (row[j] if j < len(row) else None) for name, j in at.items()}
        name = cell[cols["filename"]]
        try:
            name = text(name, path, record, cols["filename"])
        except AnnotationError as exc:  # no image to quarantine with it: the row alone
            out.append(Quarantined(exc, images=0, boxes=1))
            continue
        empty = all(not (cell[c] or "").strip() for c in [cols["class"], *box_cols])
        img = images.get(name)
        if img is None:
            img = images[name] = _Image(None)
        img.rows += 0 if empty else 1
        if img.error is not None:
            continue
        try:
            size = tuple(image_size(cell.get(cols[k]), path, record, cols[k], parse_text=True)
                         for k in ("width", "height"))
            if img.size is None:
                img.size = size
            elif size != img.size:
                raise AnnotationError(path, record, f"{cols['width']}/{cols['height']}", f"{size[0]}x{size[1]} but "
                                      f"an earlier row of {name!r} says {img.size[0]}x{img.size[1]}",
                                      reason="bad_size")
            if not empty:
                img.boxes.append([number(cell[c], path, record, c, parse_text=True) for c in box_cols])
                img.labels.append(text(cell[cols["class"]], path, record, cols["class"]))
        except AnnotationError as exc:
            img.error = exc
    for name, img in images.items():
        if img.error is not None:
            out.append(Quarantined(img.error, images=1, boxes=img.rows, file=name[:200]))
        else:
            width, height = img.size or (None, None)
            out.append(ImageLabels(file=name, width=width, height=height, boxes=img.boxes, labels=img.labels,
                                   where=path))
    return out


def read_file(path: str, **options) -> list[ImageLabels]:
    return strict(scan_file(path, **options))


def write(records: list[ImageLabels], out: str, classes: list[str], box_format="xyxy:pixel", columns=None,
          box_columns=None, **_) -> list[str]:
    cols = {**DEFAULT_COLUMNS, **(columns or {})}
    box_cols = list(box_columns or DEFAULT_BOX_COLUMNS)
    size = lambda v: "" if v is None else v  # noqa: E731
    normalized = BoxFormat.parse(box_format).normalized
    with Staged() as staged:
        with open(staged.path(out), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow([cols["filename"], cols["width"], cols["height"], cols["class"], *box_cols])
            for rec in records:
                if not rec.labels:
                    w.writerow([rec.file, size(rec.width), size(rec.height), "", "", "", "", ""])
                for box, label in zip(from_pixels(rec, box_format), rec.labels):
                    w.writerow([rec.file, size(rec.width), size(rec.height), label, *(num(v, normalized) for v in box)])
    return staged.files
