"""The LabelUnifier component in real pipelines: the detection demo checked against the
scenes the demo data was drawn from, and bad sources quarantined with counts (or
failing the run with the file named)."""
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from datalife.labeling.boxes import boxes_to_mask
from datalife.pipeline.examples_io import read_examples
from datalife.pipeline.run import PipelineFailed
from pipeline_helpers import run_config

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "pipeline" / "configs" / "detection.yaml"
BOX = [f"image/object/bbox/{k}" for k in ("xmin", "ymin", "xmax", "ymax")]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return run_config(DEMO, tmp_path_factory.mktemp("detection"))


def _examples(result):
    uri = result.output_uri("LabelUnifier", "examples")
    return {split: read_examples(uri, split) for split in ("train", "eval")}


def _report(result):
    return json.loads(Path(result.output_uri("LabelUnifier", "report"), "report.json").read_text())


def test_demo_boxes_equal_the_drawn_objects(demo):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_detection", REPO / "data" / "make_detection.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    truth = {file: (w, h, objects) for file, w, h, _, objects in gen.make_scenes()}
    _, result = demo
    examples = _examples(result)
    rows = [(split, r) for split, rs in examples.items() for r in rs]
    assert len(rows) == 15  # 15 scenes: street_05, annotated by two sources, merged into one example
    by_source = {}
    for split, r in rows:
        file = r["image/filename"][0].decode()
        w, h, objects = truth[file]
        assert (r["image/width"][0], r["image/height"][0]) == (w, h)
        got = np.stack([np.array(r[k]) for k in BOX], axis=1) * [w, h, w, h]
        want = np.array([[x1, y1, min(x2, w), y2] for _, x1, y1, x2, y2 in objects], float)
        np.testing.assert_allclose(got, want, atol=1e-4)  # float32 storage
        assert list(r["image/object/class/label"]) == [c for c, *_ in objects]
        assert [t.decode() for t in r["image/object/class/text"]] == [("car", "person", "sign")[c] for c, *_ in objects]
        mask = cv2.imdecode(np.frombuffer(r["image/segmentation/class/encoded"][0], np.uint8), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(mask, boxes_to_mask(got, np.array(r["image/object/class/label"]) + 1, h, w))
        by_source.setdefault(file, []).append((r["image/source"][0].decode(), split))
    # the image two sources annotate is one example with both as its source, their boxes agreeing
    assert [s for s, _ in by_source["street_05.jpg"]] == ["fleet_coco+street_voc"]
    [both] = [r for _, r in rows if r["image/filename"][0] == b"street_05.jpg"]
    assert both["agreement/min_f1"] == [1.0] and set(both["image/object/raters"]) == {b"fleet_coco+street_voc"}


def test_demo_report_counts_every_box(demo):
    _, result = demo
    report = _report(result)
    coco = json.loads((REPO / "data/detection/coco/annotations.json").read_text())
    voc_boxes = sum(p.read_text().count("<object>") for p in (REPO / "data/detection/voc").glob("*.xml"))
    yolo_boxes = sum(len(p.read_text().split("\n")) - 1 for p in (REPO / "data/detection/yolo/labels").glob("street_*"))
    counts = report["counts"]
    assert counts["fleet_coco"]["boxes_in"] == len(coco["annotations"]) == counts["fleet_coco"]["boxes_out"]
    assert counts["street_voc"]["boxes_in"] == voc_boxes and counts["drone_yolo"]["boxes_in"] == yolo_boxes
    assert (counts["drone_yolo"]["boxes_clipped"], counts["drone_yolo"]["boxes_rounded"]) == (1, 1)
    checked = report["accounting"]["checked"]["all"]
    assert checked["images_in"] == 16 == checked["images_out"] and report["quarantined"] == 0
    assert report["classes"]["fleet_coco"] == {
        n: sum(1 for a in coco["annotations"] if a["category_id"] == k + 1) for k, n in enumerate(["car", "person", "sign"])
        if any(a["category_id"] == k + 1 for a in coco["annotations"])}
    folder = Path(result.output_uri("LabelUnifier", "report"))
    html = (folder / "report.html").read_text()
    for part in ("Counts per source", "Classes per source", "samples.png", "classes.png", "fleet_coco"):
        assert part in html
    assert (folder / "samples.png").stat().st_size > 10_000 and (folder / "classes.png").exists()
    # the standard components ran on the unified examples
    stats = result.output_uri("StatisticsGen", "statistics")
    assert Path(stats, "Split-train").is_dir() and not result.anomalies


def _bad_sources(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data" / "detection", data)
    (data / "voc" / "street_06.xml").write_text("<annotation><object>")  # malformed
    voc7 = data / "voc" / "street_07.xml"
    voc7.write_text(voc7.read_text().replace("street_07.jpg", "missing.jpg"))  # no such image
    coco = json.loads((data / "coco" / "annotations.json").read_text())
    coco["categories"].append({"id": 9, "name": "bicycle"})
    coco["annotations"][0]["category_id"] = 9  # a class outside the mapping
    (data / "coco" / "annotations.json").write_text(json.dumps(coco))
    text = DEMO.read_text().replace("../../data/detection", str(data))
    text = text.replace("on_invalid: error", "on_invalid: quarantine").replace("root: ../../runs/demo-detection", "")
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    return config


def test_bad_sources_are_quarantined_with_counts(tmp_path):
    config = _bad_sources(tmp_path)
    _, result = run_config(config, tmp_path / "run")
    report = _report(result)
    voc, coco = report["counts"]["street_voc"], report["counts"]["fleet_coco"]
    assert (voc["files_in"], voc["files_quarantined"], voc["quarantined_malformed"]) == (5, 1, 1)
    assert (voc["images_in"], voc["images_quarantined"], voc["quarantined_missing_image"]) == (4, 1, 1)
    assert (coco["images_quarantined"], coco["quarantined_unknown_class"]) == (1, 1)
    totals = report["accounting"]["checked"]["all"]
    assert totals["images_in"] == totals["images_out"] + totals["images_quarantined"]
    rows = sum(len(v) for v in _examples(result).values())
    assert totals["images_out"] == 16 - 3  # unified views; street_05's two become one example when merged
    assert rows == report["merge"]["examples_out"] == 16 - 3 - 1
    lines = Path(result.output_uri("LabelUnifier", "report"), "quarantine.jsonl").read_text().splitlines()
    records = sorted((q["reason"], q["source"], q["file"]) for q in map(json.loads, lines))
    assert [r[:2] for r in records] == [("malformed", "street_voc"), ("missing_image", "street_voc"),
                                        ("unknown_class", "fleet_coco")]
    assert records[0][2] == "street_06.xml" and report["quarantined"] == 3


def test_bad_sources_fail_the_run_naming_the_file_in_error_mode(tmp_path):
    config = _bad_sources(tmp_path)
    config.write_text(config.read_text().replace("on_invalid: quarantine", "on_invalid: error"))
    with pytest.raises(PipelineFailed) as err:
        run_config(config, tmp_path / "run")
    # files are parsed (a Beam stage) before any image is unified: the malformed file stops the run
    message = str(err.value)
    assert "AnnotationError" in message and "street_06.xml" in message
    assert "bicycle" not in message and "missing.jpg" not in message


def test_demo_augments_train_only_and_accounts_for_every_image(demo):
    _, result = demo
    unified = _examples(result)
    uri = result.output_uri("ImageAugmenter", "augmented_examples")
    augmented = {split: read_examples(uri, split) for split in ("train", "eval")}
    report = json.loads(Path(result.output_uri("ImageAugmenter", "report"), "report.json").read_text())
    train = report["counts"]["train"]
    assert train["images_in"] == len(unified["train"]) == train["images_augmented"]
    assert len(augmented["train"]) == 3 * len(unified["train"])  # the original and 2 copies
    assert len(augmented["eval"]) == len(unified["eval"]) == report["counts"]["eval"]["passed_through"]
    assert all("augment/copy" not in r for r in augmented["eval"])
    copies = [r for r in augmented["train"] if r["augment/copy"][0] > 0]
    for r in copies:
        boxes = np.stack([np.array(r[k]) for k in BOX], axis=1).reshape(-1, 4)
        assert ((boxes >= 0) & (boxes <= 1)).all() and (boxes[:, 2:] > boxes[:, :2]).all()
        assert len(r["image/object/class/label"]) == len(boxes) == len(r["image/object/class/text"])
    assert sum(len(r["image/object/class/label"]) for r in copies) == train["copy_boxes_out"]
    assert Path(result.output_uri("ImageAugmenter", "report"), "samples.png").stat().st_size > 10_000
