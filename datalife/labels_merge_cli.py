"""``datalife labels merge CONFIG -o OUT``: the label unifier's merge across sources on a
config's ``label_unifier`` section (sources, classes, ``merge``, ``review_below``:
declared once, as the pipeline reads them), run on this machine without TFX or Beam.
Writes ``merged_boxes.csv`` (one row per merged box with its support and raters),
``images.csv`` (per image: raters, agreement), ``agreement.csv`` (per pair of raters
and class), ``ledger.csv`` (every input box's fate), ``near_duplicates.csv`` (images
whose bytes differ but whose perceptual hashes are within 6 bits: reported, never
merged) and, for images below
``review_below``, ``review_tasks.json`` with ``review_label_config.xml`` for Label Studio.

Python API: :func:`merge_sources` returns the same as pandas DataFrames."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["add_parser", "run", "merge_sources"]


def add_parser(lsub) -> None:
    m = lsub.add_parser("merge", help="merge the label_unifier sources of a config per image, with agreement "
                                      "and review tasks (no TFX run)")
    m.add_argument("config", help="a pipeline config with a label_unifier section (its merge: policy, IoU)")
    m.add_argument("-o", "--output", default="merged", help="folder to write the CSVs and review tasks to")


def merge_sources(spec) -> dict:
    """A ``LabelUnifierConfig`` (paths absolute) -> {"boxes", "images", "agreement",
    "ledger": DataFrames, "counts": dict, "review_tasks": list}. Sources are read and
    unified as the component does, then merged by image bytes (``merge`` or union)."""
    import pandas as pd

    from datalife.labeling.formats import get_format
    from datalife.labeling.formats.base import Quarantined
    from datalife.labeling.quality.merge import MergeConfig, merge_examples
    from datalife.labeling.quality.review import box_review_tasks
    from datalife.labeling.unify import unify_record

    canon, cfg = spec.canonical(), spec.merge or MergeConfig(policy="union")
    views, quarantined = [], 0
    for i, s in enumerate(spec.sources):
        fmt, source = get_format(s.format), spec.source(i)
        for path in fmt.list_files(s.path):
            for rec in fmt.scan_file(path, **s.options):
                if isinstance(rec, Quarantined):
                    quarantined += 1
                    continue
                outcome = unify_record(rec, source, canon, fmt.NATIVE, fmt.ORIGIN)
                quarantined += len(outcome.quarantined)
                if outcome.example is not None:
                    views.append(outcome.example)
    res = merge_examples(views, canon, cfg, sources=[s.name for s in spec.sources])
    rows = [{"key": ex["sha256"], "file": ex["file"], "class": name, "xmin": b[0], "ymin": b[1], "xmax": b[2],
             "ymax": b[3], "support": int(n), "raters": r}
            for ex in res.examples
            for b, name, n, r in zip(ex["boxes"], ex["class_names"], ex["box_support"], ex["box_raters"])]
    groups = {}
    for v in views:
        groups.setdefault(v["sha256"], []).append(v)
    from datalife.labeling.quality.near_duplicates import near_duplicate_pairs, phash

    hashes = {key: phash(vs[0]["image"]) for key, vs in groups.items() if vs[0].get("image")}
    near = near_duplicate_pairs(hashes)  # different bytes, (almost) the same picture: reported, never merged
    files = {key: vs[0]["file"] for key, vs in groups.items()}
    near.insert(2, "file_a", [files[k] for k in near.key_a])
    near.insert(3, "file_b", [files[k] for k in near.key_b])
    scores = dict(zip(res.images.key, res.images.min_f1)) if len(res.images) else {}
    tasks = box_review_tasks(list(groups.values()), canon, scores, spec.review_below)
    return {"boxes": pd.DataFrame(rows, columns=["key", "file", "class", "xmin", "ymin", "xmax", "ymax", "support",
                                                 "raters"]),
            "images": res.images, "agreement": res.agreement, "ledger": res.ledger, "near_duplicates": near,
            "counts": {**dict(res.counts), "records_quarantined": quarantined}, "review_tasks": tasks}


def run(args) -> int:
    from datalife.labeling.quality.review import labeling_config, tasks_json
    from datalife.pipeline.config import load_config

    cfg = load_config(args.config)
    if cfg.components.label_unifier is None:
        raise ValueError(f"{args.config}: no components.label_unifier section (its sources are what is merged)")
    spec = cfg.components.label_unifier.with_base(cfg.resolve)
    out = merge_sources(spec)
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("boxes", "images", "agreement", "ledger", "near_duplicates"):
        out[name].to_csv(folder / ("merged_boxes.csv" if name == "boxes" else f"{name}.csv"), index=False)
    written = 5
    if out["review_tasks"]:
        (folder / "review_tasks.json").write_text(tasks_json(out["review_tasks"]))
        (folder / "review_label_config.xml").write_text(labeling_config(list(spec.classes), "boxes"))
        written += 2
    c = out["counts"]
    print(json.dumps({k: c[k] for k in sorted(c)}))
    print(f"{len(out['images'])} images from {c.get('views_in', 0)} records of {len(spec.sources)} sources, "
          f"{len(out['boxes'])} boxes, {len(out['near_duplicates'])} near-duplicate pairs, "
          f"{len(out['review_tasks'])} to review: wrote {written} files to {folder}")
    return 0
