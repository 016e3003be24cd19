"""Annotation writers: nothing partial on failure, exact counts of written files,
pixel numbers as the annotator wrote them (checked against the raccoon set's own
VOC files), readable XML, and two images that would share one output file refused."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from defusedxml import ElementTree

from datalife.cli import main
from datalife.labeling.convert import convert
from datalife.labeling.formats import read, write
from datalife.labeling.formats.base import AnnotationError, ImageLabels
from conftest import shared_dataset

TWINS = "filename,width,height,class,xmin,ymin,xmax,ymax\na/x.jpg,60,40,car,1,2,30,20\nb/x.jpg,60,40,car,5,5,9,9\n"


def _boxes_of(xml: Path) -> list:
    root = ElementTree.parse(xml).getroot()
    return [[o.findtext("name"), *(o.find("bndbox").findtext(t) for t in ("xmin", "ymin", "xmax", "ymax"))]
            for o in root.findall("object")]


def test_voc_to_yolo_to_voc_gives_back_the_raccoon_numbers_exactly(tmp_path, capsys):
    """YOLO's normalized floats turned 88 into 87.99999999999999; the written numbers
    must be the annotator's integers again, in indented XML, with exact file counts."""
    raccoon = shared_dataset("raccoon")
    assert main(["labels", "convert", str(raccoon / "annotations"), str(tmp_path / "y"), "--from", "voc",
                 "--to", "yolo"]) == 0
    out = capsys.readouterr().out
    files = sorted(os.listdir(tmp_path / "y"))
    assert len(files) == 201 and "classes.txt" in files  # 200 label files and the classes file
    assert "wrote 201 file(s)" in out
    assert main(["labels", "convert", str(tmp_path / "y"), str(tmp_path / "v"), "--from", "yolo", "--to", "voc",
                 "--images", str(raccoon / "images")]) == 0
    assert "wrote 200 file(s)" in capsys.readouterr().out and len(os.listdir(tmp_path / "v")) == 200
    for original in sorted((raccoon / "annotations").glob("*.xml")):
        again = tmp_path / "v" / original.name
        assert _boxes_of(again) == _boxes_of(original), original.name  # the same text, e.g. "88", not "87.99..."
    text = (tmp_path / "v" / "raccoon-1.xml").read_text()
    assert "\n  <size>\n    <width>650</width>" in text and not re.search(r"\d\.\d{7,}", text)


def test_coco_and_labelme_write_integer_pixels_as_integers(tmp_path):
    rec = ImageLabels("p.png", 100, 50, [[9.999999999999998, 20, 30.5, 40.00000000000001]], ["car"])
    write("coco", [rec], str(tmp_path / "c.json"), ["car"])
    ann = json.loads((tmp_path / "c.json").read_text())["annotations"][0]
    assert ann["bbox"] == [10, 20, 20.5, 20] and isinstance(ann["bbox"][0], int) and ann["area"] == 410
    write("labelme", [rec], str(tmp_path / "lm"), ["car"])
    assert json.loads((tmp_path / "lm" / "p.json").read_text())["shapes"][0]["points"] == [[10, 20], [30.5, 40]]
    write("cvat", [rec], str(tmp_path / "c.xml"), ["car"])
    cvat = (tmp_path / "c.xml").read_text()
    assert 'xtl="10" ytl="20" xbr="30.5" ybr="40"' in cvat and "\n    <box " in cvat  # indented


def test_a_failing_tfod_writer_leaves_no_file(tmp_path):
    """The issue's case: --to tfod without the images left a 0-byte record behind."""
    raccoon = shared_dataset("raccoon")
    out = tmp_path / "out.record"
    with pytest.raises(AnnotationError) as err:
        convert("csv", str(raccoon / "data" / "raccoon_labels.csv"), "tfod", str(out),
                write_options={"image_root": str(tmp_path / "nowhere")})
    assert err.value.reason == "missing_image" and "raccoon-1.jpg" in str(err.value)
    assert os.listdir(tmp_path) == []  # neither the record nor a temporary file
    done = convert("csv", str(raccoon / "data" / "raccoon_labels.csv"), "tfod", str(out),
                   write_options={"image_root": str(raccoon / "images")})
    assert done["written"] == 1 and os.listdir(tmp_path) == ["out.record"]
    assert len(read("tfod", str(out))) == done["images"] == 200


@pytest.mark.parametrize("fmt", ["voc", "yolo", "labelme"])
def test_two_images_with_one_name_are_refused_before_anything_is_written(fmt, tmp_path):
    (tmp_path / "twins.csv").write_text(TWINS)
    out = tmp_path / "out"
    with pytest.raises(AnnotationError) as err:
        convert("csv", str(tmp_path / "twins.csv"), fmt, str(out))
    assert err.value.reason == "name_collision"
    assert "'b/x.jpg' and 'a/x.jpg' would both be written as 'x." in str(err.value)
    assert not out.exists()  # not even the folder
    done = convert("csv", str(tmp_path / "twins.csv"), "coco", str(tmp_path / "ok.json"))  # one file: no collision
    assert [im["file_name"] for im in json.loads((tmp_path / "ok.json").read_text())["images"]] == ["a/x.jpg",
                                                                                                   "b/x.jpg"]
    assert done["written"] == 1


def test_yolo_label_named_like_the_classes_file_is_refused(tmp_path):
    (tmp_path / "c.csv").write_text("filename,width,height,class,xmin,ymin,xmax,ymax\nclasses.png,9,9,car,1,1,5,5\n")
    with pytest.raises(AnnotationError, match="would both be written as 'classes.txt'"):
        convert("csv", str(tmp_path / "c.csv"), "yolo", str(tmp_path / "y"))


def test_writers_needing_the_image_size_say_so(tmp_path):
    (tmp_path / "n.csv").write_text("filename,width,height,class,xmin,ymin,xmax,ymax\nq.jpg,,,car,1,2,3,4\n")
    for fmt, out in (("yolo", "y"), ("label_studio", "l.json")):
        with pytest.raises(AnnotationError) as err:
            convert("csv", str(tmp_path / "n.csv"), fmt, str(tmp_path / out))
        assert err.value.reason == "missing_size" and "q.jpg" in str(err.value)
        assert not (tmp_path / out).exists()
    write("voc", read("csv", str(tmp_path / "n.csv")), str(tmp_path / "v"), ["car"])  # VOC can leave it empty
    [back] = read("voc", str(tmp_path / "v"))
    assert (back.width, back.height) == (None, None)
    np.testing.assert_array_equal(back.boxes, [[1, 2, 3, 4]])


def test_cli_says_what_was_quarantined_and_what_was_read_deliberately(tmp_path, capsys):
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels" / "classes.txt").write_text("car\n")
    import cv2

    for name in ("p", "q"):
        cv2.imwrite(str(tmp_path / "labels" / f"{name}.png"), np.zeros((40, 80, 3), np.uint8))
    (tmp_path / "labels" / "p.txt").write_text("0 0.1 0.1 0.5 0.1 0.5 0.5 0.1 0.5\n0 0.5 0.5 0.2 0.2\n")
    (tmp_path / "labels" / "q.txt").write_text("0 0.5 0.5 0.2 0.2 0.93\n")  # a detector's confidence column
    args = ["labels", "convert", str(tmp_path / "labels"), str(tmp_path / "o.csv"), "--from", "yolo", "--to", "csv"]
    assert main(args) == 2
    assert "q.txt: line 1: fields: 6 fields" in capsys.readouterr().err
    assert main([*args, "--on-invalid", "quarantine"]) == 0
    cap = capsys.readouterr()
    assert "quarantined image q (wrong_field_count)" in cap.err
    assert ("converted 1 images, 2 boxes (yolo -> csv), classes car; 1 boxes from polygons; quarantined 1 images, "
            "1 boxes, 0 files (wrong_field_count 1): wrote 1 file(s)") in cap.out
    rows = (tmp_path / "o.csv").read_text().splitlines()
    assert rows[1] == "p.png,80,40,car,8,4,40,20"  # the polygon's enclosing box, in pixels
