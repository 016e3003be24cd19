"""Unifying sources: canonical boxes and classes, clipping, quarantine with counts, safe
XML and paths, and the raccoon dataset's three descriptions agreeing box for box."""
from __future__ import annotations

import json
from collections import Counter

import cv2
import numpy as np
import pytest

from datalife.labeling.boxes import BoxFormat
from datalife.labeling.formats import get_format
from datalife.labeling.formats.base import AnnotationError, ImageLabels
from datalife.common.accounting import AccountingError, check_accounting
from datalife.common.splits import split_of
from datalife.labeling.unify import RULES, Canonical, Source, unify_record
from conftest import shared_dataset

CANON = Canonical(classes=("car", "person"))


@pytest.fixture()
def root(tmp_path):
    cv2.imwrite(str(tmp_path / "img.png"), np.zeros((50, 100, 3), np.uint8))
    return tmp_path


def _unify(root, rec, fmt="coco", canon=CANON, **source):
    f = get_format(fmt)
    return unify_record(rec, Source(name="s", format=fmt, images=str(root), **source), canon, f.NATIVE, f.ORIGIN)


def test_conversion_clipping_rounding_and_class_mapping(root):
    rec = ImageLabels("img.png", 100, 50, [[10, 5, 20, 10], [90, 40, 30, 20], [0, 0, 100.00004, 50], [-10, 60, 5, 5]],
                      ["automobile", "person", "person", "car"])
    out = _unify(root, rec, class_map={"automobile": "car"})
    ex = out.example
    np.testing.assert_allclose(ex["boxes"], [[0.1, 0.1, 0.3, 0.3], [0.9, 0.8, 1.0, 1.0], [0, 0, 1, 1]])
    assert ex["class_ids"] == [0, 1, 1] and ex["class_names"] == ["car", "person", "person"]
    c = out.counts
    # box 2 runs past the image (clipped), box 3 overshoots by 4e-7 (rounding), box 4 is
    # entirely below the image: nothing left after clipping (dropped)
    assert (c["boxes_clipped"], c["boxes_rounded"], c["boxes_dropped_empty"], c["boxes_out"]) == (2, 1, 1, 3)
    assert check_accounting(c, RULES)["boxes_in"] == 4
    assert (ex["width"], ex["height"]) == (100, 50)


def test_canonical_format_is_configurable(root):
    rec = ImageLabels("img.png", 100, 50, [[10, 5, 20, 10]], ["car"])
    ex = _unify(root, rec, canon=Canonical(("car",), BoxFormat("cxcywh", "pixel"))).example
    np.testing.assert_allclose(ex["boxes"], [[20, 10, 20, 10]])


def test_unknown_class_is_an_error_naming_source_file_and_class_or_quarantined(root):
    rec = ImageLabels("img.png", 100, 50, [[1, 1, 5, 5], [2, 2, 4, 4]], ["car", "truck"], where="a.json: image id 3")
    with pytest.raises(AnnotationError) as err:
        _unify(root, rec)
    assert str(err.value) == ("a.json: image id 3: img.png: box 1 class: class 'truck' of source 's' is not in "
                              "the mapping (canonical classes: car, person)")
    out = _unify(root, rec, canon=Canonical(("car", "person"), on_invalid="quarantine"))
    assert out.example is None
    assert out.counts == Counter(images_in=1, boxes_in=2, images_quarantined=1, boxes_quarantined=2,
                                 quarantined_unknown_class=1)
    assert out.quarantined == [{"file": "a.json: image id 3", "record": "img.png", "field": "box 1 class",
                                "reason": "unknown_class", "message": str(err.value), "source": "s",
                                "image": "img.png"}]


def test_negative_width_and_missing_image(root):
    bad = ImageLabels("img.png", 100, 50, [[10, 5, -3, 4]], ["car"], where="c.json")
    with pytest.raises(AnnotationError, match=r"c.json: img.png: box 0: negative width -3"):
        _unify(root, bad)
    gone = ImageLabels("nope.png", 100, 50, [], [], where="c.json")
    with pytest.raises(AnnotationError, match="c.json: nope.png: image: image file not found"):
        _unify(root, gone)
    q = Canonical(("car",), on_invalid="quarantine")
    assert _unify(root, gone, canon=q).counts["quarantined_missing_image"] == 1


def test_image_paths_may_not_leave_the_dataset_root(root):
    rec = ImageLabels("../../etc/passwd", 100, 50, [], [], where="evil.json")
    with pytest.raises(AnnotationError, match="evil.json: ../../etc/passwd: image: image path escapes the dataset root"):
        _unify(root, rec, canon=Canonical(("car",), on_invalid="quarantine"))  # refused even in quarantine mode
    with pytest.raises(AnnotationError, match="escapes the dataset root"):
        _unify(root, ImageLabels("/etc/passwd", 100, 50, [], []))


def test_size_mismatch_is_reported_and_boxes_use_the_annotated_size(root):
    rec = ImageLabels("img.png", 200, 100, [[20, 10, 20, 10]], ["car"])  # COCO x, y, w, h on a 2x larger copy
    out = _unify(root, rec)
    assert out.counts["size_mismatch"] == 1
    assert out.notes[0]["message"] == "annotation says 200x100, the image is 100x50" and out.quarantined == []
    np.testing.assert_allclose(out.example["boxes"], [[0.1, 0.1, 0.2, 0.2]])


def test_duplicates_are_reported_and_optionally_dropped(root):
    rec = ImageLabels("img.png", 100, 50, [[1, 1, 5, 5], [1, 1, 5, 5], [1, 1, 5, 5]], ["car", "car", "person"])
    assert _unify(root, rec).counts["boxes_duplicate"] == 1
    out = _unify(root, rec, canon=Canonical(("car", "person"), drop_duplicates=True))
    assert (out.counts["boxes_dropped_duplicate"], out.counts["boxes_out"]) == (1, 2)
    check_accounting(out.counts, RULES)
    with pytest.raises(AccountingError, match=r"boxes_in = boxes_out \+ boxes_dropped_empty \+ "
                                              r"boxes_dropped_duplicate \+ boxes_quarantined does not hold: 3 != "
                                              r"1 \+ 0 \+ 1 \+ 0 = 2"):
        check_accounting({**out.counts, "boxes_out": 1}, RULES, component="label_unifier")


def test_masks_from_boxes(root):
    rec = ImageLabels("img.png", 100, 50, [[0, 0, 10, 5], [50, 25, 100, 50]], ["person", "car"])
    mask = _unify(root, rec, canon=Canonical(("car", "person"), masks=True)).example["mask"]
    assert mask.shape == (50, 100)
    assert Counter(mask.ravel().tolist()) == {0: 5000 - 50 - 1250, 2: 50, 1: 1250}  # id + 1; 0 = background


def test_split_follows_the_image_content():
    splits = {"train": 4, "eval": 1}
    import hashlib

    names = [split_of(hashlib.sha256(str(i).encode()).hexdigest(), splits) for i in range(1000)]
    assert 0.7 < names.count("train") / 1000 < 0.9
    assert split_of("ab" * 32, splits) == split_of("ab" * 32, splits)


XXE = """<?xml version="1.0"?>
<!DOCTYPE annotation [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<annotation><filename>&xxe;</filename></annotation>"""
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<annotation><filename>&lol3;</filename></annotation>"""


@pytest.mark.parametrize("fmt", ["voc", "cvat"])
@pytest.mark.parametrize("doc", [XXE, BOMB], ids=["external_entity", "entity_expansion"])
def test_xml_entities_are_refused(tmp_path, fmt, doc):
    (tmp_path / "x.xml").write_text(doc.replace("annotation>", "annotations>") if fmt == "cvat" else doc)
    with pytest.raises(AnnotationError) as err:
        get_format(fmt).read_file(str(tmp_path / "x.xml"))
    assert err.value.reason == "unsafe_xml" and "unsafe XML refused" in str(err.value)


@pytest.mark.parametrize("fmt,name,text,message", [
    ("voc", "a.xml", "<annotation><object>", "malformed XML"),
    ("cvat", "a.xml", "<annotations><image name='x'", "malformed XML"),
    ("coco", "a.json", '{"images": [', "malformed JSON"),
    ("labelme", "a.json", "{'shapes': 1}", "malformed JSON"),
    ("label_studio", "a.json", "[{]", "malformed JSON"),
    ("coco", "a.json", '{"images": [{"id": 1, "file_name": "x"}], "categories": [], '
                       '"annotations": [{"id": 9, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]}]}',
     "a.json: annotation id 9: category_id: 3 is not in 'categories'"),
    ("coco", "a.json", '{"images": [{"id": 1, "file_name": "x"}], "annotations": [{"id": 9, "image_id": 2}]}',
     "a.json: annotation id 9: image_id: refers to no image"),
    ("voc", "a.xml", "<annotation><object><name>car</name><bndbox><xmin>x</xmin></bndbox></object></annotation>",
     "a.xml: object 0: xmin: not a number: 'x'"),
    ("csv", "a.csv", "filename,width,height,class,xmin,ymin,xmax,ymax\nq.jpg,10,10,car,1,2,three,4\n",
     "a.csv: row 2: xmax: not a number: 'three'"),
    ("tfod", "a.record", "not a record file", "a.record: bad length checksum at record 0"),
])
def test_bad_files_name_file_record_and_field(tmp_path, fmt, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(AnnotationError) as err:
        get_format(fmt).read_file(str(tmp_path / name))
    assert message in str(err.value).replace(str(tmp_path) + "/", "")


def test_raccoon_voc_csv_and_tf_records_agree_box_for_box():
    """The VOC XML files, the CSV and the TF Object Detection record of the raccoon set
    describe the same boxes. The dataset's CSV and record were made from the XML by
    copying its numbers (the author's xml_to_csv / generate_tfrecord scripts), so they
    carry VOC's 1-based origin too: every source is declared with origin 1, and the
    unified boxes then agree to float32 precision; with origin 0 everywhere they agree
    as well, shifted by one pixel."""
    raccoon = shared_dataset("raccoon")
    canon = Canonical(("raccoon",))
    images = str(raccoon / "images")

    def unified(fmt, path, origin):
        f = get_format(fmt)
        src = Source(name=fmt, format=fmt, images=images, origin=origin)
        out = {}
        for file in f.list_files(str(path)):
            for rec in f.read_file(file):
                ex = unify_record(rec, src, canon, f.NATIVE, f.ORIGIN).example
                out.setdefault(ex["file"], []).append(ex)
        return {k: v[0] for k, v in out.items()}

    for origin in (1, 0):
        voc = unified("voc", raccoon / "annotations", origin)
        csv = unified("csv", raccoon / "data" / "raccoon_labels.csv", origin)
        tfod = unified("tfod", raccoon / "data" / "test_tfod.record", origin)
        assert len(voc) == len(csv) == 200 and len(tfod) == 40
        boxes = 0
        for other, tol in ((csv, 1e-12), (tfod, 1e-6)):
            for name, ex in other.items():
                np.testing.assert_allclose(ex["boxes"], voc[name]["boxes"], atol=tol, rtol=0, err_msg=name)
                assert ex["class_names"] == voc[name]["class_names"]
                assert ex["sha256"] == voc[name]["sha256"]  # the same image bytes (TFOD embeds them)
                boxes += len(ex["boxes"])
        assert boxes >= 217 + 40
    first = voc["raccoon-1.jpg"]["boxes"][0]  # <xmin>81</xmin> of a 650-wide image, origin 0 here
    assert first[0] == pytest.approx(81 / 650)
    json.dumps(check_accounting({"images_in": 1, "images_out": 1}, RULES))
