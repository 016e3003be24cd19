"""The label unifier's report: the summary (counts, accounting and classes per source),
and its pictures: ``classes.png`` (class histogram per source) and ``samples.png``
(written output images with their boxes, read back through ``common.codec``). The
files are written by the one report writer, ``components.report.write_report``."""
from __future__ import annotations

import json
from collections import Counter

from datalife.common.accounting import check_accounting
from datalife.labeling.quality.merge import MERGE_RULES
from datalife.labeling.unify import RULES

__all__ = ["merge_summary", "merge_sections", "MERGE_RULES", "summarize", "sections", "class_histogram", "samples"]


NOTES_SHOWN = 200  # notes in the report (all are counted)


def summarize(counts_by_source: list, notes: dict, cfg) -> tuple[dict, dict]:
    """(summary, accounting checked per source and in total); raises ``AccountingError``.
    ``notes``: ``{"total": n, "first": [...]}`` (``examples_beam.gather_first``)."""
    per_source = {name: dict(c) for name, c in sorted(counts_by_source)}
    for s in cfg.sources:
        per_source.setdefault(s.name, {})
    total = Counter()
    for c in per_source.values():
        total.update(c)
    checked = {name: check_accounting(c, RULES, component=f"label_unifier [{name}]")
               for name, c in {**per_source, "all": total}.items()}
    classes = {name: {k[6:]: v for k, v in c.items() if k.startswith("class:")} for name, c in per_source.items()}
    summary = {"sources": {s.name: {"format": s.format, "box_format": s.box_format, "origin": s.origin,
                                    "class_map": s.class_map} for s in cfg.sources},
               "counts": {name: {k: v for k, v in c.items() if not k.startswith("class:")}
                          for name, c in per_source.items()},
               "totals": {k: v for k, v in sorted(total.items()) if not k.startswith("class:")},
               "classes": classes, "canonical": {"classes": cfg.classes, "box_format": cfg.box_format},
               "notes": sorted(notes["first"], key=lambda p: (p["source"], str(p.get("file")), p["kind"])),
               "notes_total": notes["total"]}
    return summary, checked


def sections(summary: dict) -> list:
    from datalife.components.report import Picture

    classes = summary["canonical"]["classes"]
    return [("Canonical form", {"box format": summary["canonical"]["box_format"], "classes": ", ".join(classes)}),
            ("Sources", summary["sources"]),
            ("Counts per source", {**summary["counts"], "all": summary["totals"]}),
            ("Classes per source", {s: {c: n.get(c, 0) for c in classes} for s, n in summary["classes"].items()}),
            ("", Picture("classes.png", "class histogram per source")),
            ("Samples", Picture("samples.png", "output images with their boxes")),
            (f"Notes ({summary['notes_total']}; the first {len(summary['notes'])} shown)", summary["notes"])]


def class_histogram(summary: dict) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from datalife.transforms.draw import figure_png

    classes, sources = summary["canonical"]["classes"], list(summary["classes"])
    x = np.arange(len(classes))
    width = 0.8 / max(1, len(sources))
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(classes) * max(1, len(sources)) / 2, 3))
    for j, s in enumerate(sources):
        ax.bar(x + j * width, [summary["classes"][s].get(c, 0) for c in classes], width, label=s)
    ax.set_xticks(x + width * (len(sources) - 1) / 2, classes)
    ax.set_ylabel("boxes")
    ax.legend(fontsize=7)
    return figure_png(fig)


def samples(records, box_format: str) -> bytes:
    """The written examples (serialized) drawn with their boxes, four per row."""
    import numpy as np

    from datalife.common.codec import Columns
    from datalife.labeling.boxes import convert_boxes
    from datalife.labeling.unify import BOX_FEATURES
    from datalife.transforms.draw import decode_image, draw_boxes, encode_png, grid, tile

    names = [f"image/object/bbox/{k}" for k in BOX_FEATURES[box_format.split(":")[0]]]
    cols = Columns(list(records))
    tiles = []
    for i in range(cols.num_rows):
        image = decode_image(cols.values("image/encoded")[i][0])
        w, h = cols.values("image/width")[i][0], cols.values("image/height")[i][0]
        boxes = np.stack([np.array(cols.values(k)[i] or [], float) for k in names], axis=1).reshape(-1, 4)
        px = convert_boxes(boxes, box_format, "xyxy:pixel", (w, h))
        texts = [v.decode() for v in cols.values("image/object/class/text")[i] or []]
        tiles.append(tile(draw_boxes(image, px, cols.values("image/object/class/label")[i] or [], texts), 192))
    return encode_png(grid(tiles, cols=4))


def merge_summary(counts: list, pairs: list, images: list, cfg) -> dict:
    """The merge across sources: its checked counts, the agreement table per pair of
    raters and class (``labeling.quality.agreement.agreement_table``), and the review
    queue (merged images whose agreement, the lowest pair F1, is below ``review_below``)."""
    from datalife.labeling.quality.agreement import agreement_table
    from datalife.labeling.quality.merge import check_merge_accounting

    total = dict(counts[0][1]) if counts else {}
    terms = check_merge_accounting(total, component="label_unifier merge")
    table = agreement_table(pairs)
    review = sorted((r for r in images if r.get("min_f1") is not None and r["min_f1"] < cfg.review_below),
                    key=lambda r: (r["min_f1"], r["key"]))
    return {"counts": terms, "examples_out": total.get("examples_out", 0), "policy": cfg.merge.policy,
            "agreement": json.loads(table.to_json(orient="records")), "review": review,
            "images_with_several_raters": sum(1 for r in images if (r.get("raters") or 0) > 1)}


def merge_sections(merged: dict) -> list:
    return [("Merge across sources", {"policy": merged["policy"], "examples out": merged["examples_out"],
                                      "images with several raters": merged["images_with_several_raters"],
                                      **merged["counts"]}),
            ("Agreement per pair of raters and class (IoU match)", merged["agreement"]),
            (f"Review queue: {len(merged['review'])} images whose raters disagree", merged["review"][:50])]


def tiles_grid(tiles_b64: list) -> bytes:
    """The review queue's lowest-agreement images (base64 PNG tiles, each with its raters'
    boxes in their colours and its legend) side by side, padded to one size."""
    import base64

    import numpy as np

    from datalife.transforms.draw import decode_image, encode_png, grid

    tiles = [decode_image(base64.b64decode(t)) for t in tiles_b64]
    h, w = max(t.shape[0] for t in tiles), max(t.shape[1] for t in tiles)
    padded = []
    for t in tiles:
        canvas = np.full((h, w, 3), 255, np.uint8)
        canvas[:t.shape[0], :t.shape[1]] = t
        padded.append(canvas)
    return encode_png(grid(padded, cols=min(3, len(padded))))

