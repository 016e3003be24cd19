"""One image's labels from any source -> the canonical, validated form.

Per image: the image is read from the source's images root (paths may not leave it)
or taken from the record (TF Object Detection embeds it); its real size is read from
the header; boxes are converted from the source's box format (and pixel origin) to
normalized corners using the annotation's own size (the size the boxes were drawn
on; a disagreement with the real size is reported), checked, clipped, mapped to the
canonical classes, and written in the canonical box format.

Counts (per source) make every box and image accountable (:data:`RULES`, checked by
``common.accounting.check_accounting``)::

    images_in = images_out + images_quarantined
    boxes_in  = boxes_out + boxes_dropped_empty + boxes_dropped_duplicate + boxes_quarantined

Records a reader set aside (:class:`~datalife.labeling.formats.base.Quarantined`) are
counted the same way (:func:`quarantine_outcome`); a source that has input but puts
out no image is an error (:func:`check_output`). Every quarantined record is one
record in ``common.quarantine``'s standard form (file, record, field, reason, message)
plus ``source`` and ``image`` (the image, when known); ``file`` is the annotation file.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from datalife.common.accounting import Rule
from datalife.common.quarantine import quarantine_record
from datalife.labeling.boxes import BoxFormat, box_areas, boxes_to_mask, clip_boxes, convert_boxes
from datalife.labeling.formats.base import (REFUSED, AnnotationError, ImageLabels, Quarantined, image_size_of,
                                            safe_image_path)
from datalife.labeling.formats.validate import interchange
from datalife.transforms.image_check import ImageDataError, check_image

__all__ = ["Source", "Canonical", "Outcome", "unify_record", "quarantine_outcome", "problem", "check_output", "RULES",
           "REFUSED", "EmptyOutput", "encode_unified", "BOX_FEATURES"]

RULES = [
    Rule("images_in", ("images_out", "images_quarantined")),
    Rule("boxes_in", ("boxes_out", "boxes_dropped_empty", "boxes_dropped_duplicate", "boxes_quarantined")),
]
BOX_FEATURES = {"xyxy": ("xmin", "ymin", "xmax", "ymax"), "xywh": ("x", "y", "width", "height"),
                "cxcywh": ("cx", "cy", "width", "height")}


@dataclass(frozen=True)
class Source:
    """One annotation source: its format, where its images are, how its boxes are
    written (``box_format`` / ``origin``; default: the format's own) and how its class
    names map to the canonical ones (unmapped names are kept as they are)."""

    name: str
    format: str
    images: str
    box_format: Optional[str] = None
    origin: Optional[int] = None
    class_map: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Canonical:
    classes: tuple
    box_format: BoxFormat = BoxFormat("xyxy", "normalized")
    on_invalid: str = "error"  # or "quarantine": bad images are set aside and counted
    drop_duplicates: bool = False
    rounding_tolerance: float = 1e-3  # normalized overshoot treated as rounding, not clipping
    masks: bool = False


class EmptyOutput(ValueError):
    """A source with input that put out no image (every record quarantined, or none found)."""


@dataclass
class Outcome:
    example: Optional[dict]
    counts: Counter
    quarantined: list = field(default_factory=list)  # standard quarantine records (see :func:`problem`)
    notes: list = field(default_factory=list)  # what the report should say about a kept image (size mismatch)


def problem(error: AnnotationError, source: str, image: Optional[str] = None) -> dict:
    """The quarantine record of ``error`` in ``common.quarantine``'s form, plus the
    source and the image (when known)."""
    rec = error.as_record()
    return quarantine_record(rec["file"], rec["reason"], rec["message"], record=rec["record"], field=rec["field"],
                             source=source, image=image or None)


def _read_image(rec: ImageLabels, source: Source) -> bytes:
    if rec.image_bytes is not None:
        return rec.image_bytes
    path = safe_image_path(source.images, rec.file, rec.where)
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise rec.fail("image", f"image file not found under {source.images!r}", "missing_image") from None
    except OSError as exc:
        raise rec.fail("image", f"cannot read the image: {exc.strerror or exc}", "unreadable_image") from None


def _class_ids(labels, source: Source, canon: Canonical, rec: ImageLabels) -> list[int]:
    ids = []
    index = {n: i for i, n in enumerate(canon.classes)}
    for k, name in enumerate(labels):
        mapped = source.class_map.get(name, name)
        if mapped not in index:
            raise rec.fail(f"box {k} class", f"class {name!r} of source {source.name!r} is not in the mapping "
                           f"(canonical classes: {', '.join(canon.classes)})", "unknown_class")
        ids.append(index[mapped])
    return ids


def unify_record(rec: ImageLabels, source: Source, canon: Canonical, native_format, native_origin: int) -> Outcome:
    """``rec`` as its reader returned it -> the canonical example (or a quarantine)."""
    n = len(rec.boxes)
    counts = Counter(images_in=1, boxes_in=n)
    try:
        return _unify(rec, source, canon, native_format, native_origin, counts)
    except AnnotationError as exc:
        return quarantine_outcome(Quarantined(exc, images=1, boxes=n, file=rec.file), source, canon,
                                  counted=counts)


def quarantine_outcome(q: Quarantined, source: Source, canon: Canonical, counted: Optional[Counter] = None) -> Outcome:
    """A record set aside (by its reader, or by :func:`unify_record`) -> its counts and
    quarantine record; raises its error unless ``canon.on_invalid`` is "quarantine"
    (security refusals always raise). ``counted``: what is already counted as in."""
    if canon.on_invalid != "quarantine" or q.reason in REFUSED:
        raise q.error
    counts = counted if counted is not None else Counter(images_in=q.images, boxes_in=q.boxes)
    counts.update(images_quarantined=q.images, boxes_quarantined=q.boxes, **{f"quarantined_{q.reason}": 1})
    return Outcome(None, +counts, quarantined=[problem(q.error, source.name, q.file)])


def _unify(rec, source, canon, native_format, native_origin, counts) -> Outcome:
    notes = []
    data = _read_image(rec, source)
    try:
        real_w, real_h = image_size_of(data)
    except ValueError as exc:
        raise rec.fail("image", str(exc), "bad_image") from None
    try:
        check_image(data)  # decodes whole: a cut or corrupt body is quarantined, not unified as valid
    except ImageDataError as exc:
        raise rec.fail("image", str(exc), exc.reason) from None
    ann_w, ann_h = rec.width or real_w, rec.height or real_h
    if (ann_w, ann_h) != (real_w, real_h):
        counts["size_mismatch"] += 1
        notes.append({"source": source.name, "file": rec.file, "annotation": rec.location, "kind": "size_mismatch",
                      "message": f"annotation says {ann_w}x{ann_h}, the image is {real_w}x{real_h}"})
    sized = ImageLabels(rec.file, ann_w, ann_h, rec.boxes, rec.labels, rec.where, record=rec.record)
    fmt = BoxFormat.parse(source.box_format or native_format)
    origin = native_origin if source.origin is None else source.origin
    px = interchange(sized, fmt, origin).boxes  # the converter's check, on the annotated size
    ids = _class_ids(rec.labels, source, canon, rec)
    norm = convert_boxes(px, "xyxy:pixel", "xyxy:normalized", (ann_w, ann_h))
    tol = canon.rounding_tolerance
    outside = (norm < 0) | (norm > 1)
    beyond = ((norm < -tol) | (norm > 1 + tol)).any(axis=1)
    counts["boxes_clipped"] += int(beyond.sum())
    counts["boxes_rounded"] += int((outside.any(axis=1) & ~beyond).sum())
    norm = clip_boxes(norm)
    keep = box_areas(norm) > 0
    counts["boxes_dropped_empty"] += int((~keep).sum())
    seen, dup = set(), np.zeros(len(norm), dtype=bool)
    for k in np.flatnonzero(keep):
        key = (ids[k], *norm[k].tolist())
        dup[k] = key in seen
        seen.add(key)
    counts["boxes_duplicate"] += int(dup.sum())
    if canon.drop_duplicates:
        counts["boxes_dropped_duplicate"] += int(dup.sum())
        keep &= ~dup
    norm, ids = norm[keep], [i for i, k in zip(ids, keep) if k]
    counts.update(images_out=1, boxes_out=len(ids))
    counts.update(rec.notes)  # deliberate readings (polygons, rotated boxes read as enclosing boxes)
    counts.update(f"class:{canon.classes[i]}" for i in ids)
    out_boxes = convert_boxes(norm, "xyxy:normalized", canon.box_format, (real_w, real_h))
    example = {"image": data, "width": real_w, "height": real_h, "file": rec.file, "source": source.name,
               "annotation": rec.location, "boxes": out_boxes, "class_ids": ids,
               "class_names": [canon.classes[i] for i in ids], "sha256": hashlib.sha256(data).hexdigest()}
    if rec.annotator is not None:
        example["annotator"] = rec.annotator
    if canon.masks:
        example["mask"] = boxes_to_mask(norm * [real_w, real_h, real_w, real_h], np.asarray(ids) + 1, real_h, real_w)
    return Outcome(example, counts, notes=notes)


def check_output(counts_by_source: dict) -> None:
    """Raises :class:`EmptyOutput` naming every source that had input (files or images)
    but puts out no image: all of it quarantined, or a folder read as the wrong format."""
    empty = {name: c for name, c in counts_by_source.items()
             if not c.get("images_out") and (c.get("images_in") or c.get("files_in"))}
    if empty:
        def why(c):
            return ", ".join(f"{k[12:]} {v}" for k, v in sorted(c.items()) if k.startswith("quarantined_")) or "none found"

        raise EmptyOutput("; ".join(f"source {name!r}: {c.get('files_in', 0)} file(s), {c.get('images_in', 0)} "
                                    f"image(s) in, none out ({why(c)})" for name, c in sorted(empty.items())))


def encode_unified(example: dict, box_format: BoxFormat) -> bytes:
    """A serialized tf.train.Example in the TF Object Detection layout (plus the source)."""
    import cv2

    from datalife.labeling.formats.tfod import image_format
    from datalife.common.codec import encode_typed as encode_example

    data = example["image"]
    feats = {
        "image/encoded": ("bytes", [data]),
        "image/format": ("bytes", [image_format(data)]),
        "image/width": ("int", [example["width"]]),
        "image/height": ("int", [example["height"]]),
        "image/filename": ("bytes", [example["file"].encode()]),
        "image/key/sha256": ("bytes", [example["sha256"].encode()]),
        "image/source": ("bytes", [example["source"].encode()]),
        "image/source_file": ("bytes", [example["annotation"].encode()]),
        "image/object/class/label": ("int", example["class_ids"]),
        "image/object/class/text": ("bytes", [n.encode() for n in example["class_names"]]),
    }
    for j, name in enumerate(BOX_FEATURES[box_format.convention]):
        feats[f"image/object/bbox/{name}"] = ("float", example["boxes"][:, j].tolist())
    if "mask" in example:
        ok, png = cv2.imencode(".png", example["mask"])
        feats["image/segmentation/class/encoded"] = ("bytes", [png.tobytes()])
    return encode_example(feats)
