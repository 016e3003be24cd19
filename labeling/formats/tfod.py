"""TensorFlow Object Detection API TFRecords: one tf.train.Example per image with
``image/encoded``, ``image/filename``, ``image/width``, ``image/height`` and
``image/object/bbox/{xmin,ymin,xmax,ymax}`` (normalized), ``image/object/class/text``
and ``image/object/class/label`` (1-based ids of the label map; 0 is background).
Read and written without TensorFlow (tfx_bsl decodes, ``datalife.tfrecords`` frames)."""
from __future__ import annotations

import os

import numpy as np

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats.base import AnnotationError, ImageLabels, from_pixels, listing
from datalife.tfrecords import CorruptRecord, encode_example, iter_tfrecords, write_tfrecords

NATIVE = BoxFormat("xyxy", "normalized")
ORIGIN = 0
BOX_KEYS = tuple(f"image/object/bbox/{k}" for k in ("xmin", "ymin", "xmax", "ymax"))


def list_files(path: str) -> list[str]:
    return listing(path, (".record", ".tfrecord", ".tfrecords", ".record.gz", ".tfrecord.gz"))


def _column(batch, name):
    if name not in batch.schema.names:
        return [None] * batch.num_rows
    return batch.column(name).to_pylist()


def read_file(path: str, label_map=None, **_) -> list[ImageLabels]:
    """``label_map`` ({id: name}) names boxes that carry only ``class/label``."""
    from tfx_bsl.coders import example_coder

    try:
        raws = list(iter_tfrecords(path))
    except CorruptRecord as exc:
        raise AnnotationError(path, None, None, str(exc).removeprefix(f"{path}: "), reason="malformed") from exc
    if not raws:
        return []
    try:
        batch = example_coder.ExamplesToRecordBatchDecoder().DecodeBatch(raws)
    except Exception as exc:  # tfx_bsl raises its own status errors
        raise AnnotationError(path, None, None, f"not tf.train.Examples: {exc}", reason="malformed") from exc
    cols = {k: _column(batch, k) for k in (*BOX_KEYS, "image/filename", "image/width", "image/height",
                                           "image/encoded", "image/object/class/text", "image/object/class/label")}
    out = []
    for i in range(batch.num_rows):
        record = f"record {i}"
        coords = [cols[k][i] or [] for k in BOX_KEYS]
        n = len(coords[0])
        if any(len(c) != n for c in coords):
            raise AnnotationError(path, record, "image/object/bbox", "xmin/ymin/xmax/ymax lengths differ",
                                  reason="malformed")
        texts, ids = cols["image/object/class/text"][i] or [], cols["image/object/class/label"][i] or []
        if len(texts) == n:
            labels = [t.decode("utf-8", "replace") for t in texts]
        elif len(ids) == n and label_map:
            labels = [label_map.get(int(k), str(k)) for k in ids]
        elif len(ids) == n:
            labels = [str(int(k)) for k in ids]
        else:
            raise AnnotationError(path, record, "image/object/class", f"{n} boxes but {len(texts)} class texts "
                                  f"and {len(ids)} labels", reason="malformed")
        name = (cols["image/filename"][i] or [b""])[0].decode("utf-8", "replace")
        width, height = ((cols[k][i] or [None])[0] for k in ("image/width", "image/height"))
        out.append(ImageLabels(file=name, width=width, height=height,
                               boxes=np.asarray(coords, dtype=np.float64).T.reshape(-1, 4), labels=labels,
                               where=f"{path}: {record}", image_bytes=(cols["image/encoded"][i] or [None])[0]))
    return out


def image_format(data: bytes) -> bytes:
    return b"png" if data[:8] == b"\x89PNG\r\n\x1a\n" else b"jpeg"


def write(records: list[ImageLabels], out: str, classes: list[str], image_root: str = "", **_) -> list[str]:
    """One TFRecord file; images are embedded (from the record, or read from
    ``image_root``); class labels are 1-based."""
    from datalife.labeling.formats.base import safe_image_path

    ids = {n: i + 1 for i, n in enumerate(classes)}

    def examples():
        for rec in records:
            data = rec.image_bytes
            if data is None:
                with open(safe_image_path(image_root or os.getcwd(), rec.file, rec.where), "rb") as f:
                    data = f.read()
            b = from_pixels(rec, NATIVE)
            feats = {"image/encoded": ("bytes", [data]), "image/format": ("bytes", [image_format(data)]),
                     "image/filename": ("bytes", [rec.file.encode()]), "image/source_id": ("bytes", [rec.file.encode()]),
                     "image/width": ("int", [rec.width]), "image/height": ("int", [rec.height]),
                     "image/object/class/text": ("bytes", [n.encode() for n in rec.labels]),
                     "image/object/class/label": ("int", [ids[n] for n in rec.labels])}
            for j, key in enumerate(BOX_KEYS):
                feats[key] = ("float", b[:, j].tolist())
            yield encode_example(feats)

    write_tfrecords(out, examples())
    return [out]
