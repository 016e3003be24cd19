"""The label unifier's executor run directly (DirectRunner, no TFX orchestration) with
``merge`` on the raccoon set's VOC folder, its CSV and the 40-image TF record: one
example per image bytes, as the merge core gives (196 examples, 213 boxes), full
agreement, an empty review queue, every box accounted for (the TF record's normalized
boxes were made from the 1-based pixel boxes: origin 1, as in test_label_merge.py)."""
import glob
import json

import apache_beam as beam
import pytest

from datalife.common.codec import Columns
from datalife.common.tfrecords import iter_tfrecords
from datalife.components.label_unifier.spec import LabelUnifierConfig
from conftest import shared_dataset

pytest.importorskip("tfx")


def test_raccoon_three_sources_merged_in_the_component(tmp_path):
    from tfx.types import standard_artifacts

    from datalife.components.label_unifier.executor import run

    root = shared_dataset("raccoon")
    cfg = LabelUnifierConfig(
        sources=[{"name": "voc", "format": "voc", "path": str(root / "annotations"), "images": str(root / "images"),
                  "origin": 1},
                 {"name": "csv", "format": "csv", "path": str(root / "data" / "raccoon_labels.csv"),
                  "images": str(root / "images"), "origin": 1},
                 {"name": "tfod", "format": "tfod", "path": str(root / "data" / "test_tfod.record"),
                  "images": str(root / "images"), "origin": 1}],
        classes=["raccoon"], merge={"policy": "union"}, sample_images=0)
    ex, rep = standard_artifacts.Examples(), standard_artifacts.Examples()
    ex.uri, rep.uri = str(tmp_path / "examples"), str(tmp_path / "report")
    run(ex, rep, cfg.model_dump_json(), beam.Pipeline())
    raws = [r for p in sorted(glob.glob(f"{ex.uri}/Split-*/*")) for r in iter_tfrecords(p)]
    cols = Columns(raws)
    assert len(raws) == 196 and len(set(cols["image/key/sha256"])) == 196
    # why 196 and not 200: the folder's 200 files hold 4 byte-identical pairs (hashlib, independently)
    import collections
    import hashlib

    copies = collections.Counter(hashlib.sha256(f.read_bytes()).hexdigest() for f in (root / "images").iterdir())
    assert (sum(copies.values()), len(copies), sorted(copies.values())[-4:]) == (200, 196, [2, 2, 2, 2])
    assert sum(len(v or []) for v in cols.values("image/object/class/label")) == 213
    assert min(v[0] for v in cols.values("agreement/min_f1")) == 1.0
    assert sum("csv" in s and "voc" in s for s in cols["image/source"]) == 196
    summary = json.load(open(f"{rep.uri}/report.json"))
    merged = summary["merge"]
    c = merged["counts"]
    assert (c["views_in"], c["views_merged"], c["boxes_in"], c["boxes_out"]) == (440, 440, 478, 213)
    assert c["boxes_in"] == c["boxes_out"] + c["boxes_fused"] + c["boxes_dropped_duplicate"]
    assert merged["review"] == []
    rows = {(r["rater_a"], r["rater_b"], r["class"]): r for r in merged["agreement"]}
    for a, b, n in [("csv", "tfod", 44), ("csv", "voc", 217), ("tfod", "voc", 44)]:
        r = rows.get((a, b, "all")) or rows[(b, a, "all")]
        assert (r["tp"], r["f1"]) == (n, 1.0) and r["mean_iou"] == pytest.approx(1.0, abs=1e-6)


def test_disagreeing_raters_go_to_label_studio_review_tasks_and_a_picture(tmp_path):
    """Two raters on the same 12 raccoon images: the CSV, and a copy with the boxes of 3
    images moved far off. Those 3 (and only they) are below review_below: review_tasks.json
    holds one Label Studio task each, lowest agreement first, with both raters' boxes as
    predictions (converted back, equal to the CSV's); the report draws them."""
    import pandas as pd
    from tfx.types import standard_artifacts

    from datalife.components.label_unifier.executor import run

    root = shared_dataset("raccoon")
    csv = pd.read_csv(root / "data" / "raccoon_labels.csv")
    files = sorted(csv.filename.unique())[:12]
    first = csv[csv.filename.isin(files)]
    moved = first.copy()
    off = moved.filename.isin(files[:3])
    moved.loc[off, ["xmin", "xmax"]] = moved.loc[off, ["xmin", "xmax"]].to_numpy() // 4  # IoU with the original < 0.5
    moved.loc[off, ["ymin", "ymax"]] = moved.loc[off, ["ymin", "ymax"]].to_numpy() // 4
    first.to_csv(tmp_path / "a.csv", index=False)
    moved.to_csv(tmp_path / "b.csv", index=False)
    cfg = LabelUnifierConfig(
        sources=[{"name": "a", "format": "csv", "path": str(tmp_path / "a.csv"), "images": str(root / "images")},
                 {"name": "b", "format": "csv", "path": str(tmp_path / "b.csv"), "images": str(root / "images")}],
        classes=["raccoon"], merge={"policy": "union"}, sample_images=0, review_below=1.0)
    ex, rep = standard_artifacts.Examples(), standard_artifacts.Examples()
    ex.uri, rep.uri = str(tmp_path / "examples"), str(tmp_path / "report")
    run(ex, rep, cfg.model_dump_json(), beam.Pipeline())
    tasks = json.load(open(f"{rep.uri}/review_tasks.json"))
    assert sorted(f for t in tasks for f in set(t["data"]["files"])) == files[:3]
    assert [t["data"]["agreement"] for t in tasks] == sorted(t["data"]["agreement"] for t in tasks)
    for t in tasks:
        by_rater = {p["model_version"]: p["result"] for p in t["predictions"]}
        assert set(by_rater) == {"a", "b"}
        want = first[first.filename == t["data"]["files"][0]]
        got = sorted((round(r["value"]["x"] * r["original_width"] / 100), round(r["value"]["y"] * r["original_height"] / 100))
                     for r in by_rater["a"])
        assert got == sorted(zip(want.xmin, want.ymin))
    assert "<RectangleLabels" in open(f"{rep.uri}/review_label_config.xml").read()
    summary = json.load(open(f"{rep.uri}/report.json"))
    assert summary["merge"]["review_tasks"] == 3 and len(summary["merge"]["review"]) == 3
    png = open(f"{rep.uri}/disagreements.png", "rb").read()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
