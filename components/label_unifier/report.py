"""The label unifier's report: report.json, quarantine.jsonl, report.html, classes.png
(class histogram per source) and samples.png (output images with their boxes)."""
from __future__ import annotations

import html
import json
from collections import Counter

from datalife.labeling.unify import check_accounting

__all__ = ["summarize", "write_report", "write_pictures"]


def summarize(counts_by_source: list, problems: list, cfg) -> dict:
    per_source = {name: dict(c) for name, c in sorted(counts_by_source)}
    for s in cfg.sources:
        per_source.setdefault(s.name, {})
    total = Counter()
    for c in per_source.values():
        total.update(c)
    accounting = {name: check_accounting(c) for name, c in {**per_source, "all": total}.items()}
    classes = {name: {k[6:]: v for k, v in c.items() if k.startswith("class:")} for name, c in per_source.items()}
    return {"sources": {s.name: {"format": s.format, "box_format": s.box_format, "origin": s.origin,
                                 "class_map": s.class_map} for s in cfg.sources},
            "counts": {name: {k: v for k, v in c.items() if not k.startswith("class:")}
                       for name, c in per_source.items()},
            "totals": {k: v for k, v in sorted(total.items()) if not k.startswith("class:")},
            "accounting": accounting, "classes": classes, "canonical": {"classes": cfg.classes,
                                                                         "box_format": cfg.box_format},
            "problems": sorted(problems, key=lambda p: (p["source"], str(p.get("file")), p["kind"]))}


def _table(rows: dict, columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ["", *columns])
    body = "".join("<tr><th>" + html.escape(name) + "</th>" + "".join(f"<td>{r.get(c, 0)}</td>" for c in columns)
                   + "</tr>" for name, r in rows.items())
    return f"<table border='1' cellpadding='3'><tr>{head}</tr>{body}</table>"


def write_report(summary: dict, uri: str) -> None:
    import tensorflow as tf

    tf.io.gfile.makedirs(uri)
    with tf.io.gfile.GFile(f"{uri}/report.json", "w") as f:
        f.write(json.dumps(summary, indent=2, sort_keys=True, default=str))
    with tf.io.gfile.GFile(f"{uri}/quarantine.jsonl", "w") as f:
        f.write("".join(json.dumps(p, sort_keys=True) + "\n" for p in summary["problems"]
                        if p["kind"] != "size_mismatch"))
    count_cols = sorted({k for c in summary["counts"].values() for k in c})
    class_rows = {s: summary["classes"][s] for s in summary["classes"]}
    problems = "".join(f"<li>[{html.escape(p['source'])}] {html.escape(p['kind'])}: {html.escape(p['message'])}</li>"
                       for p in summary["problems"][:200])
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Label unification</title></head><body>"
            "<h1>Label unification</h1>"
            f"<p>canonical box format <code>{html.escape(summary['canonical']['box_format'])}</code>, classes "
            f"{html.escape(', '.join(summary['canonical']['classes']))}</p>"
            "<h2>Sources</h2>" + _table({n: {k: html.escape(str(v)) for k, v in s.items()}
                                         for n, s in summary["sources"].items()},
                                        ["format", "box_format", "origin", "class_map"])
            + "<h2>Counts per source</h2><p>images_in = images_out + images_quarantined; boxes_in = boxes_out + "
            "boxes_dropped_empty + boxes_dropped_duplicate + boxes_quarantined</p>"
            + _table({**summary["counts"], "all": summary["totals"]}, count_cols)
            + "<h2>Classes per source</h2>" + _table(class_rows, summary["canonical"]["classes"])
            + "<img src='classes.png' alt='class histogram per source'>"
            + "<h2>Samples</h2><img src='samples.png' alt='output images with their boxes'>"
            + f"<h2>Problems ({len(summary['problems'])})</h2><ul>{problems}</ul></body></html>")
    with tf.io.gfile.GFile(f"{uri}/report.html", "w") as f:
        f.write(page)


def _class_histogram(summary: dict) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    classes, sources = summary["canonical"]["classes"], list(summary["classes"])
    x = np.arange(len(classes))
    width = 0.8 / max(1, len(sources))
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(classes) * max(1, len(sources)) / 2, 3))
    for j, s in enumerate(sources):
        ax.bar(x + j * width, [summary["classes"][s].get(c, 0) for c in classes], width, label=s)
    ax.set_xticks(x + width * (len(sources) - 1) / 2, classes)
    ax.set_ylabel("boxes")
    ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()


def _samples(examples_uri: str, split: str, n: int, box_format: str) -> bytes:
    import numpy as np
    import tensorflow as tf

    from datalife.labeling.boxes import convert_boxes
    from datalife.labeling.unify import BOX_FEATURES
    from datalife.transforms.draw import decode_image, draw_boxes, encode_png, grid, tile

    names = [f"image/object/bbox/{k}" for k in BOX_FEATURES[box_format.split(":")[0]]]
    files = sorted(tf.io.gfile.glob(f"{examples_uri}/Split-{split}/*"))
    tiles = []
    for raw in tf.data.TFRecordDataset(files, compression_type="GZIP").take(n):
        f = tf.train.Example.FromString(raw.numpy()).features.feature
        image = decode_image(f["image/encoded"].bytes_list.value[0])
        w, h = f["image/width"].int64_list.value[0], f["image/height"].int64_list.value[0]
        boxes = np.stack([np.array(f[k].float_list.value) for k in names], axis=1) if names else np.zeros((0, 4))
        px = convert_boxes(boxes, box_format, "xyxy:pixel", (w, h))
        tiles.append(tile(draw_boxes(image, px, list(f["image/object/class/label"].int64_list.value),
                                     [v.decode() for v in f["image/object/class/text"].bytes_list.value]), 192))
    return encode_png(grid(tiles, cols=4))


def write_pictures(summary: dict, examples_uri: str, split: str, n: int, uri: str) -> None:
    """classes.png and samples.png; a picture that cannot be drawn is logged, not fatal."""
    import logging

    import tensorflow as tf

    for name, make in (("classes.png", lambda: _class_histogram(summary)),
                       ("samples.png", lambda: _samples(examples_uri, split, n, summary["canonical"]["box_format"]))):
        try:
            data = make()
        except Exception as exc:  # a report picture must never fail the run; say why it is missing
            logging.warning("label_unifier report: no %s: %s", name, exc)
            continue
        with tf.io.gfile.GFile(f"{uri}/{name}", "wb") as f:
            f.write(data)
