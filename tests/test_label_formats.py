"""Annotation formats: every format in the registry round-trips, and each agrees with an
independent reader (globox, TensorFlow's proto parser, a hand computation)."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from datalife.components.label_unifier.spec import FORMAT_NAMES
from datalife.labeling.formats import FORMATS, get_format, read, write
from datalife.labeling.formats.base import ImageLabels

CLASSES = ["car", "person", "sign"]
# one image with fractional boxes of every class, one non-square image, one without boxes
SIZES = {"a.png": (64, 48), "b.png": (40, 90), "c.png": (32, 32)}
RECORDS = [
    ImageLabels("a.png", 64, 48, [[1.25, 2.5, 30.75, 40.0], [10, 11, 12, 13], [0.5, 0.0, 64.0, 48.0]],
                ["car", "person", "sign"]),
    ImageLabels("b.png", 40, 90, [[5, 60.5, 39.5, 89]], ["person"]),
    ImageLabels("c.png", 32, 32, np.zeros((0, 4)), []),
]
FOLDER_OUTPUT = {"voc", "yolo", "labelme"}  # one file per image


@pytest.fixture()
def images(tmp_path):
    root = tmp_path / "images"
    root.mkdir()
    for name, (w, h) in SIZES.items():
        cv2.imwrite(str(root / name), np.full((h, w, 3), 128, np.uint8))
    return root


SUFFIX = {"coco": ".json", "csv": ".csv", "cvat": ".xml", "label_studio": ".json", "tfod": ".record"}


def _out(tmp_path, fmt):
    return str(tmp_path / ("out" if fmt in FOLDER_OUTPUT else f"out{SUFFIX[fmt]}"))


def _read_options(fmt, images):
    return {"images": str(images)} if fmt == "yolo" else {}


def test_registry_matches_the_config_and_every_format_has_the_interface():
    assert tuple(FORMATS) == FORMAT_NAMES
    for name in FORMATS:
        module = get_format(name)
        for attr in ("NATIVE", "ORIGIN", "list_files", "scan_file", "read_file", "write"):
            assert hasattr(module, attr), f"{name} lacks {attr}"


@pytest.mark.parametrize("fmt", FORMAT_NAMES)
def test_round_trip_gives_identical_boxes(fmt, tmp_path, images):
    out = _out(tmp_path, fmt)
    write(fmt, RECORDS, out, CLASSES, image_root=str(images))
    back = {r.file: r for r in read(fmt, out, **_read_options(fmt, images))}
    # folder formats cannot hold an image without boxes except as an empty file: all do here
    assert set(back) == {r.file for r in RECORDS}
    tol = 2e-5 if fmt == "tfod" else 1e-9  # TF records hold float32
    for rec in RECORDS:
        got = back[rec.file]
        if fmt == "label_studio" and not rec.labels:  # sizes live on results: a task without any has none
            assert (got.width, got.height) == (None, None)
        else:
            assert (got.width, got.height) == (rec.width, rec.height)
        assert got.labels == rec.labels
        np.testing.assert_allclose(got.boxes, rec.boxes, atol=tol * max(rec.width, rec.height), rtol=0)
    # write again from what was read: the same boxes once more (a fixed point)
    out2 = out + "2"
    write(fmt, list(back.values()), out2, CLASSES, image_root=str(images))
    again = {r.file: r for r in read(fmt, out2, **_read_options(fmt, images))}
    for name, rec in back.items():
        np.testing.assert_allclose(again[name].boxes, rec.boxes, atol=1e-9 * 100, rtol=0)


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo", "labelme", "cvat"])
def test_agrees_with_globox(fmt, tmp_path, images):
    import globox

    out = _out(tmp_path, fmt)
    write(fmt, RECORDS, out, CLASSES, image_root=str(images))
    if fmt == "coco":
        theirs = globox.AnnotationSet.from_coco(out)
    elif fmt == "voc":
        theirs = globox.AnnotationSet.from_pascal_voc(out)
    elif fmt == "yolo":
        import os

        os.rename(os.path.join(out, "classes.txt"), tmp_path / "classes.txt")  # globox reads every .txt
        theirs = globox.AnnotationSet.from_yolo_v5(out, image_folder=images, image_extension=".png")
    elif fmt == "labelme":
        theirs = globox.AnnotationSet.from_labelme(out)
    else:
        theirs = globox.AnnotationSet.from_cvat(out)
    # globox reads VOC's numbers as they are written (no 1-based shift): compare raw numbers
    options = {"classes": CLASSES, **_read_options(fmt, images)} if fmt == "yolo" else {}
    ours = {r.file: r for r in read(fmt, out, origin=0, **options)}
    seen = 0
    for ann in theirs:
        name = ann.image_id if "." in ann.image_id else ann.image_id + ".png"
        rec = ours[name]
        if fmt == "yolo":  # globox maps ids to names only with a separate mapping
            labels = [CLASSES[int(b.label)] for b in ann.boxes]
        else:
            labels = [b.label for b in ann.boxes]
        assert labels == rec.labels
        if rec.boxes.size:
            np.testing.assert_allclose(np.array([b.ltrb for b in ann.boxes]), rec.boxes, atol=1e-6, rtol=0)
        seen += 1
    assert seen >= 2


def test_tfod_records_agree_with_tensorflows_parser(tmp_path, images):
    import tensorflow as tf

    out = str(tmp_path / "x.record")
    write("tfod", RECORDS, out, CLASSES, image_root=str(images))
    parsed = [tf.train.Example.FromString(r.numpy()).features.feature for r in tf.data.TFRecordDataset(out)]
    assert len(parsed) == 3
    f = parsed[0]
    xmin = np.array(f["image/object/bbox/xmin"].float_list.value)
    np.testing.assert_allclose(xmin, np.float32([1.25 / 64, 10 / 64, 0.5 / 64]))
    assert list(f["image/object/class/label"].int64_list.value) == [1, 2, 3]  # 1-based: 0 is background
    assert f["image/encoded"].bytes_list.value[0] == (images / "a.png").read_bytes()


def test_voc_is_one_based_and_decimal(tmp_path):
    (tmp_path / "v.xml").write_text(
        "<annotation><filename>v.jpg</filename><size><width>100</width><height>50</height></size>"
        "<object><name>car</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>5.5</ymax>"
        "</bndbox></object></annotation>")
    [rec] = read("voc", str(tmp_path / "v.xml"))
    # pixels 1..10 inclusive (1-based) cover [0, 10) in continuous 0-based coordinates
    np.testing.assert_array_equal(rec.boxes, [[0, 0, 10, 5.5]])
    [raw] = read("voc", str(tmp_path / "v.xml"), origin=0)
    np.testing.assert_array_equal(raw.boxes, [[1, 1, 10, 5.5]])
    write("voc", [rec], str(tmp_path / "o"), ["car"])
    assert "<xmin>1</xmin>" in (tmp_path / "o" / "v.xml").read_text()  # the shift is undone on writing


def test_coco_ids_are_one_based_and_yolo_ids_zero_based(tmp_path, images):
    write("coco", RECORDS, str(tmp_path / "c.json"), CLASSES)
    doc = json.loads((tmp_path / "c.json").read_text())
    assert [c["id"] for c in doc["categories"]] == [1, 2, 3]
    assert [a["category_id"] for a in doc["annotations"][:3]] == [1, 2, 3]
    assert doc["annotations"][0]["bbox"] == [1.25, 2.5, 29.5, 37.5]  # x, y, w, h
    write("yolo", read("coco", str(tmp_path / "c.json")), str(tmp_path / "y"), CLASSES)
    lines = (tmp_path / "y" / "a.txt").read_text().split("\n")
    assert [line.split()[0] for line in lines[:3]] == ["0", "1", "2"]
    cx, cy, w, h = (float(v) for v in lines[0].split()[1:])
    assert (cx, cy, w, h) == pytest.approx(((1.25 + 30.75) / 2 / 64, (2.5 + 40) / 2 / 48, 29.5 / 64, 37.5 / 48))


def test_label_studio_percent_units_and_rotation(tmp_path):
    task = {"id": 7, "data": {"image": "/data/upload/3/p.jpg"}, "annotations": [{"result": [
        {"type": "rectanglelabels", "original_width": 200, "original_height": 100,
         "value": {"x": 10, "y": 20, "width": 25, "height": 30, "rotation": 0, "rectanglelabels": ["car"]}},
        {"type": "rectanglelabels", "original_width": 200, "original_height": 100,
         "value": {"x": 50, "y": 50, "width": 10, "height": 20, "rotation": 90, "rectanglelabels": ["sign"]}}]}]}
    (tmp_path / "ls.json").write_text(json.dumps([task]))
    [rec] = read("label_studio", str(tmp_path / "ls.json"), strip_prefix="/data/upload/3/")
    assert rec.file == "p.jpg" and (rec.width, rec.height) == (200, 100)
    # percent of 200 x 100: x 20 px, y 20 px, w 50 px, h 30 px
    np.testing.assert_allclose(rec.boxes[0], [20, 20, 70, 50])
    # a 20 x 20 px box at (100, 50) turned 90 degrees clockwise about its top-left corner
    # sweeps to the left: x from 80 to 100, y from 50 to 70
    np.testing.assert_allclose(rec.boxes[1], [80, 50, 100, 70], atol=1e-9)


def test_cvat_rotation_is_about_the_center(tmp_path):
    (tmp_path / "c.xml").write_text(
        '<annotations><version>1.1</version><image id="0" name="i.jpg" width="100" height="100">'
        '<box label="car" xtl="40" ytl="45" xbr="60" ybr="55" rotation="90"/></image></annotations>')
    [rec] = read("cvat", str(tmp_path / "c.xml"))
    np.testing.assert_allclose(rec.boxes, [[45, 40, 55, 60]], atol=1e-9)


def test_csv_with_configured_columns_and_box_format(tmp_path):
    (tmp_path / "b.csv").write_text("img,label,left,top,w,h\nx.jpg,car,10,20,30,40\nx.jpg,sign,0,0,5,5\n")
    [rec] = read("csv", str(tmp_path / "b.csv"), box_format="xywh:pixel",
                 columns={"filename": "img", "class": "label"}, box_columns=["left", "top", "w", "h"])
    assert rec.labels == ["car", "sign"] and rec.width is None
    np.testing.assert_array_equal(rec.boxes, [[10, 20, 40, 60], [0, 0, 5, 5]])
