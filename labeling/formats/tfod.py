"""TensorFlow Object Detection API TFRecords: one tf.train.Example per image with
``image/encoded``, ``image/filename``, ``image/width``, ``image/height`` and
``image/object/bbox/{xmin,ymin,xmax,ymax}`` (normalized), ``image/object/class/text``
and ``image/object/class/label`` (1-based ids of the label map; 0 is background).
Read and written without TensorFlow (tfx_bsl decodes, ``datalife.common.tfrecords`` frames).

Every Example is a record: one that does not decode, or holds a bad value (lengths
that differ, a class text that is not UTF-8, a size that is not a positive integer),
is quarantined with its reason. A file whose framing is broken (bad checksum,
truncated) fails as a whole: the records after the break cannot be found."""
from __future__ import annotations

import os
import zlib

import numpy as np

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, Quarantined, from_pixels, listing, strict
from datalife.labeling.formats.fields import image_size, number, show, text
from datalife.labeling.formats.output import Staged, need_size
from datalife.common.codec import encode_typed as encode_example
from datalife.common.tfrecords import CorruptRecord, iter_tfrecords, write_tfrecords

__all__ = ["NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write", "image_format"]

NATIVE = BoxFormat("xyxy", "normalized")
ORIGIN = 0
BOX_KEYS = tuple(f"image/object/bbox/{k}" for k in ("xmin", "ymin", "xmax", "ymax"))
KEYS = (*BOX_KEYS, "image/filename", "image/width", "image/height", "image/encoded", "image/object/class/text",
        "image/object/class/label")


def list_files(path: str) -> list[str]:
    return listing(path, (".record", ".tfrecord", ".tfrecords", ".record.gz", ".tfrecord.gz"))


def _decode(raws: list[bytes]):
    """Columns {key: [values per record]} of a batch of serialized Examples."""
    from tfx_bsl.coders import example_coder

    batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(raws)
    return {k: (batch.column(k).to_pylist() if k in batch.schema.names else [None] * batch.num_rows) for k in KEYS}


def _utf8(v, path, record, field) -> str:
    if isinstance(v, bytes):
        try:
            v = v.decode("utf-8")
        except UnicodeDecodeError:
            raise AnnotationError(path, record, field, f"not UTF-8: {show(v)}", reason="bad_encoding") from None
    return text(v, path, record, field, allow_empty=field == "image/filename")


def _record(row: dict, i: int, path: str, label_map) -> ImageLabels:
    """Record ``i`` from ``row`` ({key: its values, or None})."""
    record = f"record {i}"
    coords = [row[k] or [] for k in BOX_KEYS]
    n = len(coords[0])
    if any(len(c) != n for c in coords):
        raise AnnotationError(path, record, "image/object/bbox", "xmin/ymin/xmax/ymax lengths differ "
                              f"({', '.join(str(len(c)) for c in coords)})", reason="malformed")
    texts, ids = row["image/object/class/text"] or [], row["image/object/class/label"] or []
    if len(texts) == n:
        labels = [_utf8(t, path, record, "image/object/class/text") for t in texts]
    elif len(ids) == n:
        keys = [int(number(k, path, record, "image/object/class/label")) for k in ids]
        labels = [text(label_map.get(k, str(k)) if label_map else str(k), path, record, "image/object/class/label")
                  for k in keys]
    else:
        raise AnnotationError(path, record, "image/object/class", f"{n} boxes but {len(texts)} class texts "
                              f"and {len(ids)} labels", reason="malformed")
    name = _utf8((row["image/filename"] or [b""])[0], path, record, "image/filename")
    width, height = (image_size((row[k] or [None])[0], path, record, k) for k in ("image/width", "image/height"))
    boxes = [[number(c[j], path, record, key) for c, key in zip(coords, BOX_KEYS)] for j in range(n)]
    data = (row["image/encoded"] or [None])[0]
    if data is not None and not isinstance(data, bytes):
        raise AnnotationError(path, record, "image/encoded", f"needs bytes, got {type(data).__name__}",
                              reason="malformed")
    return ImageLabels(file=name, width=width, height=height, boxes=np.asarray(boxes, dtype=np.float64), labels=labels,
                       where=path, record=record, image_bytes=data)


def scan_file(path: str, label_map=None, **_) -> list:
    """``label_map`` ({id: name}) names boxes that carry only ``class/label``."""
    try:
        raws = list(iter_tfrecords(path))
    except (CorruptRecord, EOFError, zlib.error) as exc:  # framing, or a broken .gz
        message = str(exc).removeprefix(f"{path}: ")
        raise AnnotationError(path, None, None, message, reason="malformed") from None
    except OSError as exc:  # gzip.BadGzipFile, unreadable files
        raise AnnotationError(path, None, None, f"cannot read: {exc}", reason="unreadable") from None
    if not raws:
        return []
    try:
        batches = [(range(len(raws)), _decode(raws))]
    except RuntimeError:  # tfx_bsl's status errors (DATA_LOSS, ...): decode one by one to find the bad one
        batches = []
        for i, raw in enumerate(raws):
            try:
                batches.append(([i], _decode([raw])))
            except RuntimeError as exc:
                batches.append(([i], AnnotationError(path, f"record {i}", None, f"not a tf.train.Example: "
                                                     f"{str(exc)[:200]}", reason="malformed")))
    out = []
    for indices, cols in batches:
        for j, i in enumerate(indices):
            if isinstance(cols, AnnotationError):
                out.append(Quarantined(cols, images=1, boxes=0))
                continue
            row = {k: v[j] for k, v in cols.items()}
            try:
                out.append(_record(row, i, path, label_map))
            except AnnotationError as exc:
                out.append(Quarantined(exc, images=1, boxes=len(row[BOX_KEYS[0]] or [])))
    return out


def read_file(path: str, **options) -> list[ImageLabels]:
    return strict(scan_file(path, **options))


def image_format(data: bytes) -> bytes:
    return b"png" if data[:8] == b"\x89PNG\r\n\x1a\n" else b"jpeg"


def write(records: list[ImageLabels], out: str, classes: list[str], image_root: str = "", **_) -> list[str]:
    """One TFRecord file, written under a temporary name and renamed when complete;
    images are embedded (from the record, or read from ``image_root``); class labels
    are 1-based."""
    from datalife.labeling.formats.base import safe_image_path

    ids = {n: i + 1 for i, n in enumerate(classes)}

    def examples():
        for rec in records:
            data = rec.image_bytes
            if data is None:
                path = safe_image_path(image_root or os.getcwd(), rec.file, rec.where)
                try:
                    with open(path, "rb") as f:
                        data = f.read()
                except OSError as exc:
                    raise rec.fail("image", f"cannot embed the image: {exc.strerror or exc} under "
                                   f"{image_root or os.getcwd()!r} (give --images)", "missing_image") from None
            if len(rec.boxes):
                need_size(rec, "normalized TF Object Detection boxes")
            b = from_pixels(rec, NATIVE)
            feats = {"image/encoded": ("bytes", [data]), "image/format": ("bytes", [image_format(data)]),
                     "image/filename": ("bytes", [rec.file.encode()]),
                     "image/source_id": ("bytes", [rec.file.encode()]),
                     "image/object/class/text": ("bytes", [n.encode() for n in rec.labels]),
                     "image/object/class/label": ("int", [ids[n] for n in rec.labels])}
            feats.update({k: ("int", [v]) for k, v in (("image/width", rec.width), ("image/height", rec.height))
                          if v is not None})
            for j, key in enumerate(BOX_KEYS):
                feats[key] = ("float", b[:, j].tolist())
            yield encode_example(feats)

    with Staged() as staged:
        write_tfrecords(staged.path(out), examples())
    return staged.files
