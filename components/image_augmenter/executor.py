"""The image augmenter's Beam graph and its report (counts, originals beside copies)."""
from __future__ import annotations

import hashlib
import json

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.examples_beam import (gather, read_gathered, read_split_batches, same_splits,
                                               split_records, write_split)
from datalife.components.image_augmenter.beam_glue import COUNTS, QUARANTINE, Augment
from datalife.components.image_augmenter.spec import AugmenterConfig
from datalife.components.report import Picture, draw_pictures, write_report

__all__ = ["run"]

SCAN_LIMIT = 20_000  # output records searched for the sample originals' copies


def _tile(raw: bytes, cfg: AugmenterConfig):
    """One example drawn with its boxes (RGB tile), from its serialized bytes."""
    import numpy as np

    from datalife.common.codec import Columns
    from datalife.transforms.draw import decode_image, draw_boxes, tile

    cols = Columns([raw])
    image = decode_image(cols.values(cfg.image_feature)[0][0])
    h, w = image.shape[:2]
    boxes = np.stack([np.asarray(cols.values(k)[0] or [], float) for k in cfg.box_features], axis=1).reshape(-1, 4)
    labels = cols.values("image/object/class/label")[0] or [0] * len(boxes)
    return tile(draw_boxes(image, boxes * [w, h, w, h], labels), 160)


def _samples(examples, augmented, cfg: AugmenterConfig) -> bytes:
    """The first decodable originals of the first augmented split beside the copies the
    component wrote (a copy is its original's bytes with features appended, so its
    bytes start with the original's)."""
    from datalife.common.codec import Columns
    from datalife.components.image_augmenter.beam_glue import rows_of
    from datalife.transforms.augment_image_example import decode_image_example
    from datalife.transforms.draw import encode_png, grid

    split, shown = cfg.splits[0], min(cfg.copies, 3)
    originals = []
    for raw in split_records(examples.uri, split, limit=SCAN_LIMIT):
        try:
            decode_image_example(rows_of(Columns([raw]), cfg)[0], cfg)
        except ValueError:
            continue
        originals.append(raw)
        if len(originals) == cfg.sample_images:
            break
    by_prefix = {(len(o), hashlib.sha256(o).digest()): i for i, o in enumerate(originals)}
    lengths = sorted({len(o) for o in originals})
    copies: dict[int, dict[int, bytes]] = {i: {} for i in range(len(originals))}
    for raw in split_records(augmented.uri, split, limit=SCAN_LIMIT):
        for n in lengths:
            i = by_prefix.get((n, hashlib.sha256(raw[:n]).digest())) if len(raw) > n else None
            if i is not None:
                copy = Columns([raw]).values("augment/copy")[0][0]
                if 0 < copy <= shown:
                    copies[i][copy] = raw
        if all(len(c) == shown for c in copies.values()):
            break
    tiles = []
    for i, original in enumerate(originals):
        if len(copies[i]) == shown:
            tiles += [_tile(original, cfg)] + [_tile(copies[i][k], cfg) for k in sorted(copies[i])]
    return encode_png(grid(tiles, cols=1 + shown))


def run(examples, augmented, report, config_json: str, pipeline) -> None:
    cfg = AugmenterConfig.model_validate_json(config_json)
    splits = same_splits(examples, augmented, cfg.splits, "image_augmenter")
    with pipeline as p:
        out = (read_split_batches(p, examples, splits, batch_size=cfg.batch_size)
               | beam.ParDo(Augment(config_json)).with_outputs(COUNTS, QUARANTINE, *splits))
        for s in splits:
            write_split(out[s], augmented, s)
        gather(out[COUNTS] | beam.CombinePerKey(sum_counts), report.uri, "counts")
        gather(out[QUARANTINE], report.uri, "quarantine")
    counts = dict(sorted((split, c) for split, c in read_gathered(report.uri, "counts")))
    quarantine = read_gathered(report.uri, "quarantine")
    rules = cfg.rules()
    checked = {s: check_accounting(c, rules, component=f"image_augmenter [{s}]") for s, c in counts.items()}
    pictures = draw_pictures({"samples.png": lambda: _samples(examples, augmented, cfg)} if cfg.sample_images else {})
    write_report(report.uri, "Image augmentation",
                 {"counts": counts, "config": json.loads(cfg.model_dump_json())},
                 sections=[("Counts per split", counts),
                           ("Policy", {"policy": cfg.policy, "copies per image": cfg.copies}),
                           ("Originals (left) beside their augmented copies",
                            Picture("samples.png", "originals beside augmented copies"))],
                 pictures=pictures, quarantine=quarantine, accounting=(rules, checked))
