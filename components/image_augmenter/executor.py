"""The image augmenter's Beam graph and its report (counts, originals beside copies)."""
from __future__ import annotations

import html
import json
from collections import Counter

import apache_beam as beam
import tensorflow as tf

from datalife.components.examples_beam import mark_examples, read_split_batches, write_split
from datalife.components.image_augmenter.beam_glue import COUNTS, PROBLEMS, Augment, rows_of
from datalife.components.image_augmenter.spec import AugmenterConfig

__all__ = ["run", "check_accounting"]


def check_accounting(split_counts: dict, cfg: AugmenterConfig) -> None:
    c = Counter(split_counts)
    if c["passed_through"]:
        ok = c["images_in"] == c["passed_through"]
    else:
        ok = (c["images_in"] == c["images_augmented"] + c["images_quarantined"]
              and c["copies_out"] == cfg.copies * c["images_augmented"]
              and c["originals_out"] == (c["images_augmented"] if cfg.keep_originals else 0)
              and c["copy_boxes_in"] == c["copy_boxes_out"] + c["copy_boxes_dropped"])
    if not ok:
        raise AssertionError(f"augmenter accounting broken: {dict(c)}")


def _report(counts_list, problems, cfg: AugmenterConfig, uri: str) -> None:
    counts = {}
    for split, c in counts_list:
        counts.setdefault(split, Counter()).update(c)
    for c in counts.values():
        check_accounting(c, cfg)
    summary = {"counts": {s: dict(c) for s, c in sorted(counts.items())},
               "problems": [{**p, "filename": p["filename"].decode("utf-8", "replace")
                             if isinstance(p["filename"], bytes) else p["filename"]} for p in problems],
               "config": json.loads(cfg.model_dump_json())}
    tf.io.gfile.makedirs(uri)
    with tf.io.gfile.GFile(f"{uri}/report.json", "w") as f:
        f.write(json.dumps(summary, indent=2, sort_keys=True))
    keys = sorted({k for c in counts.values() for k in c})
    rows = "".join(f"<tr><th>{html.escape(s)}</th>" + "".join(f"<td>{c.get(k, 0)}</td>" for k in keys) + "</tr>"
                   for s, c in sorted(counts.items()))
    issues = "".join(f"<li>[{html.escape(p['split'])}] {html.escape(str(p['filename']))}: "
                     f"{html.escape(p['message'])}</li>" for p in summary["problems"][:100])
    with tf.io.gfile.GFile(f"{uri}/report.html", "w") as f:
        f.write("<!doctype html><html><head><meta charset='utf-8'><title>Image augmentation</title></head><body>"
                "<h1>Image augmentation</h1><table border='1' cellpadding='3'><tr><th></th>"
                + "".join(f"<th>{html.escape(k)}</th>" for k in keys) + f"</tr>{rows}</table>"
                f"<p>policy: <code>{html.escape(json.dumps(cfg.policy))}</code>, {cfg.copies} cop(ies) per image</p>"
                "<h2>Originals (left) beside their augmented copies</h2>"
                f"<img src='samples.png' alt='originals beside augmented copies'><h2>Quarantined</h2><ul>{issues}</ul>"
                "</body></html>")


def _samples(examples, split: str, cfg: AugmenterConfig, uri: str) -> None:
    """Recompute the first examples' copies (the draws are deterministic) and draw them."""
    from tfx.types import artifact_utils

    from datalife.components.image_augmenter.core import decode
    from datalife.tfrecords import iter_tfrecords
    from datalife.transforms.augment_policy import apply, draw
    from datalife.transforms.augment_random import ExampleRandom
    from datalife.transforms.draw import draw_boxes, encode_png, grid, tile

    import hashlib

    import cv2

    files = sorted(tf.io.gfile.glob(f"{artifact_utils.get_split_uri([examples], split)}/*"))
    raws = []
    for path in files:
        for raw in iter_tfrecords(path):
            raws.append(raw)
            if len(raws) == cfg.sample_images:
                break
        if len(raws) == cfg.sample_images:
            break
    policy, tiles = cfg.parsed_policy(), []
    for raw, (row, _) in zip(raws, rows_of(raws, cfg)):
        try:
            dec = decode(row, cfg)
        except ValueError:
            continue
        ids = list(row.get("image/object/class/label") or [0] * len(dec.boxes))
        rgb = lambda im: cv2.cvtColor(im, cv2.COLOR_BGR2RGB) if im.ndim == 3 else im  # noqa: E731
        tiles.append(tile(draw_boxes(rgb(dec.image), dec.boxes, ids), 160))
        key = hashlib.sha256(raw).hexdigest()
        for copy in range(1, min(cfg.copies, 3) + 1):
            res = apply(policy, draw(policy, ExampleRandom(cfg.seed, key, copy), *dec.image.shape[:2]),
                        dec.image, dec.boxes, None, cfg.min_visibility)
            tiles.append(tile(draw_boxes(rgb(res.image), res.boxes, [ids[k] for k in res.keep]), 160))
    with tf.io.gfile.GFile(f"{uri}/samples.png", "wb") as f:
        f.write(encode_png(grid(tiles, cols=1 + min(cfg.copies, 3))))


def run(examples, augmented, report, config_json: str, pipeline) -> None:
    from tfx.types import artifact_utils

    cfg = AugmenterConfig.model_validate_json(config_json)
    splits = artifact_utils.decode_split_names(examples.split_names)
    missing = sorted(set(cfg.splits) - set(splits))
    if missing:
        raise ValueError(f"image_augmenter: splits {missing} are not in the input (it has {splits})")
    mark_examples(augmented, splits)
    with pipeline as p:
        out = (read_split_batches(p, examples, splits, batch_size=cfg.batch_size)
               | beam.ParDo(Augment(config_json)).with_outputs(COUNTS, PROBLEMS, *splits))
        for s in splits:
            write_split(out[s], augmented, s)
        counts = out[COUNTS] | "CountsList" >> beam.combiners.ToList()
        problems = out[PROBLEMS] | "ProblemsList" >> beam.combiners.ToList()
        _ = counts | beam.Map(_report, beam.pvalue.AsSingleton(problems), cfg, report.uri)
    if cfg.sample_images:
        try:
            _samples(examples, cfg.splits[0], cfg, report.uri)
        except Exception as exc:  # a report picture must never fail the run; say why it is missing
            import logging

            logging.warning("image_augmenter report: no samples.png: %s", exc)
