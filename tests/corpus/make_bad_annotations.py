"""A corpus of small malformed annotation inputs, one folder per case, generated (no
binary files in the repository): ``python tests/corpus/make_bad_annotations.py OUT``.

Every case starts from the same valid dataset (three PNG images, four boxes, in the
case's format) and breaks one thing. ``CASES`` says what each must give:

- ``level="record"``: the broken record is quarantined with ``reason``
  (``q_images`` images and ``q_boxes`` boxes set aside), the rest is read;
- ``level="file"``: the file as a whole is unusable (``q_files`` = 1);
- ``level="source"``: the source itself is refused (a folder of the wrong format);
- ``reason=None``: nothing is bad (a deliberate reading such as a YOLO polygon,
  counted in ``notes``).
"""
from __future__ import annotations

import json
import sys
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

CLASSES = ["car", "person"]
IMAGES = {"a.png": (64, 48), "b.png": (40, 30), "c.png": (32, 32)}
# pixel corners, origin 0; a.png holds two boxes (the one every case breaks)
BOXES = {"a.png": [("car", 4, 5, 30, 40), ("person", 10, 11, 20, 21)], "b.png": [("person", 2, 3, 12, 20)],
         "c.png": [("car", 1, 1, 31, 31)]}
N_IMAGES, N_BOXES = 3, 4
PER_IMAGE = ("voc", "yolo", "labelme")  # one annotation file per image


@dataclass
class Case:
    id: str
    format: str
    make: Callable[[Path], None]  # writes the case's files into its folder
    reason: Optional[str]
    level: str = "record"
    q_images: int = 1
    q_boxes: int = 2
    q_files: int = 0
    field: Optional[str] = None  # what the error names as the field (a substring)
    path: str = "ann"  # the source (file or folder) within the case folder
    options: dict = dataclasses.field(default_factory=dict)  # reader options (paths relative to the case folder)
    notes: dict = dataclasses.field(default_factory=dict)  # deliberate readings expected in the counts
    added: int = 0  # boxes the case adds (an extra bad annotation or row) or removes (a record replaced)

    @property
    def images_out(self) -> int:
        """Images still read: all but the quarantined ones; with a whole file lost, the
        other images' files (one file per image) or none (one file for all)."""
        if self.level == "record":
            return N_IMAGES - self.q_images
        return N_IMAGES - 1 if self.level == "file" and self.format in PER_IMAGE else 0

    @property
    def boxes_out(self) -> int:
        if self.level == "record":
            return N_BOXES + self.added - self.q_boxes
        return N_BOXES - len(BOXES["a.png"]) if self.level == "file" and self.format in PER_IMAGE else 0


def write_images(folder: Path) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    for k, (name, (w, h)) in enumerate(IMAGES.items()):
        cv2.imwrite(str(folder / name), np.full((h, w, 3), 60 + 50 * k, np.uint8))


# ---------------------------------------------------------------- valid documents
def coco_doc() -> dict:
    images = [{"id": i + 1, "file_name": n, "width": w, "height": h} for i, (n, (w, h)) in enumerate(IMAGES.items())]
    anns = []
    for i, name in enumerate(IMAGES):
        for label, x1, y1, x2, y2 in BOXES[name]:
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": CLASSES.index(label) + 1,
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0})
    return {"images": images, "annotations": anns,
            "categories": [{"id": k + 1, "name": n} for k, n in enumerate(CLASSES)]}


def voc_docs() -> dict:
    out = {}
    for name, (w, h) in IMAGES.items():
        objects = "".join(f"<object><name>{label}</name><bndbox><xmin>{x1 + 1}</xmin><ymin>{y1 + 1}</ymin>"
                          f"<xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>"
                          for label, x1, y1, x2, y2 in BOXES[name])
        out[name] = (f"<annotation><filename>{name}</filename><size><width>{w}</width><height>{h}</height>"
                     f"<depth>3</depth></size>{objects}</annotation>")
    return out


def yolo_lines() -> dict:
    out = {}
    for name, (w, h) in IMAGES.items():
        out[name] = [f"{CLASSES.index(label)} {(x1 + x2) / 2 / w!r} {(y1 + y2) / 2 / h!r} {(x2 - x1) / w!r} "
                     f"{(y2 - y1) / h!r}" for label, x1, y1, x2, y2 in BOXES[name]]
    return out


def csv_rows() -> list[str]:
    return [f"{name},{w},{h},{label},{x1},{y1},{x2},{y2}" for name, (w, h) in IMAGES.items()
            for label, x1, y1, x2, y2 in BOXES[name]]


def labelme_docs() -> dict:
    return {name: {"version": "5.0.1", "imagePath": name, "imageWidth": w, "imageHeight": h, "imageData": None,
                   "shapes": [{"label": label, "points": [[x1, y1], [x2, y2]], "shape_type": "rectangle"}
                              for label, x1, y1, x2, y2 in BOXES[name]]} for name, (w, h) in IMAGES.items()}


def label_studio_doc() -> list:
    tasks = []
    for i, (name, (w, h)) in enumerate(IMAGES.items(), start=1):
        results = [{"type": "rectanglelabels", "original_width": w, "original_height": h,
                    "value": {"x": 100 * x1 / w, "y": 100 * y1 / h, "width": 100 * (x2 - x1) / w,
                              "height": 100 * (y2 - y1) / h, "rotation": 0, "rectanglelabels": [label]}}
                   for label, x1, y1, x2, y2 in BOXES[name]]
        tasks.append({"id": i, "data": {"image": name}, "annotations": [{"id": i, "result": results}]})
    return tasks


def cvat_doc(box_a: Optional[str] = None, image_a: Optional[str] = None) -> str:
    """``box_a`` replaces a.png's first box element, ``image_a`` a.png's image attributes."""
    images = []
    for i, (name, (w, h)) in enumerate(IMAGES.items()):
        boxes = [f'<box label="{label}" xtl="{x1}" ytl="{y1}" xbr="{x2}" ybr="{y2}" occluded="0"/>'
                 for label, x1, y1, x2, y2 in BOXES[name]]
        attrs = f'id="{i}" name="{name}" width="{w}" height="{h}"'
        if name == "a.png":
            boxes[0] = box_a or boxes[0]
            attrs = image_a or attrs
        images.append(f"<image {attrs}>{''.join(boxes)}</image>")
    return f"<annotations><version>1.1</version>{''.join(images)}</annotations>"


def tfod_features(name: str, w: int, h: int, boxes, folder: Path) -> dict:
    data = (folder / "images" / name).read_bytes() if (folder / "images" / name).exists() else b""
    return {"image/encoded": ("bytes", [data]), "image/filename": ("bytes", [name.encode()]),
            "image/width": ("int", [w]), "image/height": ("int", [h]),
            "image/object/bbox/xmin": ("float", [b[1] / w for b in boxes]),
            "image/object/bbox/ymin": ("float", [b[2] / h for b in boxes]),
            "image/object/bbox/xmax": ("float", [b[3] / w for b in boxes]),
            "image/object/bbox/ymax": ("float", [b[4] / h for b in boxes]),
            "image/object/class/text": ("bytes", [b[0].encode() for b in boxes]),
            "image/object/class/label": ("int", [CLASSES.index(b[0]) + 1 for b in boxes])}


# ---------------------------------------------------------------- writers of broken variants
def _write(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def coco(mutate: Callable[[dict], object] = None, raw: Callable[[bytes], bytes] = None):
    def make(folder: Path):
        doc = coco_doc()
        if mutate:
            mutate(doc)  # in place
        data = json.dumps(doc).encode()  # NaN / Infinity literals as Python writes them
        _write(folder / "ann" / "instances.json", raw(data) if raw else data)
    return make


def voc(change: Callable[[str], str] = None, raw: bytes = None, target: str = "a.png"):
    def make(folder: Path):
        for name, text in voc_docs().items():
            body = change(text) if change and name == target else text
            _write(folder / "ann" / (name[:-4] + ".xml"), raw if raw is not None and name == target else body)
    return make


def yolo(change: Callable[[list], object] = None, raw: bytes = None, image: bytes = None, drop_image=False):
    def make(folder: Path):
        _write(folder / "labels" / "classes.txt", "\n".join(CLASSES) + "\n")
        for name, lines in yolo_lines().items():
            if name == "a.png" and change:
                change(lines)  # in place
            body = raw if raw is not None and name == "a.png" else "\n".join(lines) + "\n"
            _write(folder / "labels" / (name[:-4] + ".txt"), body)
        if image is not None:
            _write(folder / "images" / "a.png", image)
        if drop_image:
            (folder / "images" / "a.png").unlink()
    return make


def csv(change: Callable[[list], object] = None, raw: bytes = None,
        header="filename,width,height,class,xmin,ymin,xmax,ymax"):
    def make(folder: Path):
        rows = csv_rows()
        if change:
            change(rows)  # in place
        _write(folder / "ann" / "boxes.csv", raw if raw is not None else "\n".join([header, *rows]) + "\n")
    return make


def labelme(mutate: Callable[[dict], object] = None, raw: bytes = None):
    def make(folder: Path):
        for name, doc in labelme_docs().items():
            if name == "a.png" and mutate:
                mutate(doc)  # in place
            data = json.dumps(doc).encode()
            _write(folder / "ann" / (name[:-4] + ".json"), raw if raw is not None and name == "a.png" else data)
    return make


def label_studio(mutate: Callable[[list], object] = None, raw: Callable[[bytes], bytes] = None):
    def make(folder: Path):
        doc = label_studio_doc()
        if mutate:
            mutate(doc)  # in place
        data = json.dumps(doc).encode()
        _write(folder / "ann" / "export.json", raw(data) if raw else data)
    return make


def cvat(box_a: str = None, image_a: str = None, raw: bytes = None):
    def make(folder: Path):
        _write(folder / "ann" / "annotations.xml", raw if raw is not None else cvat_doc(box_a, image_a))
    return make


def tfod(change: Callable[[dict], object] = None, raw_a: bytes = None, cut: int = 0):
    def make(folder: Path):
        from datalife.common.codec import encode_typed as encode_example
        from datalife.common.tfrecords import write_tfrecords

        records = []
        for name, (w, h) in IMAGES.items():
            feats = tfod_features(name, w, h, BOXES[name], folder)
            if name == "a.png" and change:
                change(feats)
            records.append(raw_a if raw_a is not None and name == "a.png" else encode_example(feats))
        path = folder / "ann" / "data.record"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_tfrecords(str(path), records)
        if cut:
            path.write_bytes(path.read_bytes()[:-cut])
    return make


def _set(d: dict, keys: tuple, value):
    for k in keys[:-1]:
        d = d[k]
    d[keys[-1]] = value


def ann0(key, value):  # COCO: the first annotation (of a.png)
    return lambda d: _set(d, ("annotations", 0, key), value)


def bbox0(j, value):
    return lambda d: _set(d, ("annotations", 0, "bbox", j), value)


def img0(key, value):
    return lambda d: _set(d, ("images", 0, key), value)


def shape0(key, value):  # LabelMe: a.png's first shape
    return lambda d: _set(d, ("shapes", 0, key), value)


def ls0(key, value):  # Label Studio: a.png's first result value
    return lambda d: _set(d, (0, "annotations", 0, "result", 0, "value", key), value)


def _tf_set(key, values):
    return lambda f: f.__setitem__(key, (f[key][0], values))


BIG = "r" * 2_000_000  # a 2 MB text field

CASES = [
    # ---- COCO
    Case("coco_duplicate_image_id", "coco", coco(lambda d: (_set(d, ("images", 1, "id"), 1),
                                                            d["annotations"].__setitem__(2, {**d["annotations"][2],
                                                                                             "image_id": 1}))),
         "duplicate_id", q_images=2, q_boxes=3, field="id"),
    Case("coco_duplicate_annotation_id", "coco", coco(ann0("id", 2)), "duplicate_id", field="id"),
    Case("coco_negative_width", "coco", coco(bbox0(2, -40)), "negative_size", field="box 0"),
    Case("coco_far_outside", "coco", coco(bbox0(0, 5000)), "outside_image", field="box 0"),
    Case("coco_1e308", "coco", coco(bbox0(2, 1e308)), "outside_image", field="box 0"),
    Case("coco_overflow_to_inf", "coco", coco(lambda d: (bbox0(0, 1e308)(d), bbox0(2, 1e308)(d))), "not_finite",
         field="box 0"),
    Case("coco_huge_integer", "coco", coco(raw=lambda b: b.replace(b'"bbox": [4,', b'"bbox": [' + b"9" * 400 + b",",
                                                                   1)),
         "not_finite", field="bbox[0]"),
    Case("coco_string_coordinate", "coco", coco(bbox0(0, "4")), "not_a_number", field="bbox[0]"),
    Case("coco_boolean_coordinate", "coco", coco(bbox0(1, True)), "not_a_number", field="bbox[1]"),
    Case("coco_nan_coordinate", "coco", coco(bbox0(1, float("nan"))), "not_finite", field="bbox[1]"),
    Case("coco_bbox_three_numbers", "coco", coco(ann0("bbox", [1, 2, 3])), "malformed", field="bbox"),
    Case("coco_bbox_missing", "coco", coco(lambda d: d["annotations"][0].pop("bbox")), "missing_box", field="bbox"),
    Case("coco_unknown_category", "coco", coco(ann0("category_id", 7)), "unknown_class", field="category_id"),
    Case("coco_category_as_list", "coco", coco(ann0("category_id", [1])), "unknown_class", field="category_id"),
    Case("coco_annotation_of_no_image", "coco", coco(ann0("image_id", 99)), "unknown_image", q_images=0, q_boxes=1,
         field="image_id"),
    Case("coco_annotation_not_object", "coco", coco(lambda d: d["annotations"].append([1, 2])), "malformed",
         q_images=0, q_boxes=1, added=1),
    Case("coco_width_text", "coco", coco(img0("width", "wide")), "bad_size", field="width"),
    Case("coco_width_negative", "coco", coco(img0("width", -64)), "bad_size", field="width"),
    Case("coco_width_fraction", "coco", coco(img0("height", 47.5)), "bad_size", field="height"),
    Case("coco_file_name_2mb", "coco", coco(img0("file_name", BIG)), "too_long", field="file_name"),
    Case("coco_file_name_list", "coco", coco(img0("file_name", ["a.png"])), "malformed", field="file_name"),
    Case("coco_image_without_id", "coco", coco(lambda d: d["images"][0].pop("id")), "malformed", field="id"),
    Case("coco_all_images_bad", "coco", coco(lambda d: [im.__setitem__("width", -1) for im in d["images"]]),
         "bad_size", q_images=3, q_boxes=4, field="width"),
    Case("coco_truncated", "coco", coco(raw=lambda b: b[: len(b) // 2]), "malformed", level="file", q_images=0,
         q_boxes=0, q_files=1),
    Case("coco_binary", "coco", coco(raw=lambda b: b"\x89PNG\r\n\x1a\n\xff\xfe"), "malformed", level="file",
         q_images=0, q_boxes=0, q_files=1),
    Case("coco_images_not_list", "coco", coco(lambda d: d.__setitem__("images", {"1": "a.png"})), "malformed",
         level="file", q_images=0, q_boxes=0, q_files=1, field="images"),
    Case("coco_deep_nesting", "coco", coco(raw=lambda b: b"[" * 100_000 + b"]" * 100_000), "malformed",
         level="file", q_images=0, q_boxes=0, q_files=1),
    Case("coco_given_a_voc_folder", "coco", voc(), "no_annotations", level="source", q_images=0, q_boxes=0),
    # ---- Pascal VOC
    Case("voc_xmin_nan", "voc", voc(lambda t: t.replace("<xmin>5</xmin>", "<xmin>nan</xmin>")), "not_finite",
         field="xmin"),
    Case("voc_width_inf", "voc", voc(lambda t: t.replace("<width>64</width>", "<width>inf</width>")), "bad_size",
         field="width"),
    Case("voc_width_zero", "voc", voc(lambda t: t.replace("<width>64</width>", "<width>0</width>")), "bad_size",
         field="width"),
    Case("voc_xmax_text", "voc", voc(lambda t: t.replace("<xmax>30</xmax>", "<xmax>thirty</xmax>")), "not_a_number",
         field="xmax"),
    Case("voc_xmax_before_xmin", "voc", voc(lambda t: t.replace("<xmax>30</xmax>", "<xmax>1</xmax>")),
         "negative_size", field="box 0"),
    Case("voc_no_bndbox", "voc", voc(lambda t: t.replace("<bndbox><xmin>5", "<box><xmin>5", 1)
                                     .replace("</ymax></bndbox>", "</ymax></box>", 1)), "missing_box",
         field="bndbox"),
    Case("voc_empty_name", "voc", voc(lambda t: t.replace("<name>car</name>", "<name> </name>")), "missing_label",
         field="name"),
    Case("voc_name_2mb", "voc", voc(lambda t: t.replace("<name>car</name>", f"<name>{BIG}</name>")), "too_long",
         field="name"),
    Case("voc_far_outside", "voc", voc(lambda t: t.replace("<xmax>30</xmax>", "<xmax>3000</xmax>")),
         "outside_image", field="box 0"),
    Case("voc_truncated", "voc", voc(raw=voc_docs()["a.png"][:70].encode()), "malformed", level="file",
         q_images=0, q_boxes=0, q_files=1),
    Case("voc_not_utf8", "voc", voc(raw=voc_docs()["a.png"].replace("car", "c\xe4r").encode("latin-1")), "malformed",
         level="file", q_images=0, q_boxes=0, q_files=1),
    Case("voc_external_entity", "voc", voc(raw=b'<?xml version="1.0"?><!DOCTYPE annotation [<!ENTITY x SYSTEM '
                                              b'"file:///etc/passwd">]><annotation><filename>&x;</filename>'
                                              b'</annotation>'), "unsafe_xml", level="file", q_images=0, q_boxes=0,
         q_files=1),
    # ---- YOLO
    Case("yolo_six_fields", "yolo", yolo(lambda ls: ls.__setitem__(0, ls[0] + " 0.9")), "wrong_field_count",
         field="fields", path="labels", options={"images": "images"}),
    Case("yolo_four_fields", "yolo", yolo(lambda ls: ls.__setitem__(0, ls[0].rsplit(" ", 1)[0])),
         "wrong_field_count", field="fields", path="labels", options={"images": "images"}),
    Case("yolo_polygon_odd_coordinates", "yolo", yolo(lambda ls: ls.__setitem__(0, "0 0.1 0.1 0.5 0.1 0.5 0.5 0.1")),
         "wrong_field_count", field="fields", path="labels", options={"images": "images"}),
    Case("yolo_polygon_read_as_its_box", "yolo",
         yolo(lambda ls: ls.__setitem__(0, "0 0.0625 0.1042 0.46875 0.1042 0.46875 0.8333 0.0625 0.8333")), None,
         q_images=0, q_boxes=0, path="labels", options={"images": "images"}, notes={"boxes_from_polygons": 1}),
    Case("yolo_not_utf8", "yolo", yolo(raw=b"0 0.5 0.5 0.2\xff 0.2\n1 0.2 0.3 0.1 0.1\n"), "bad_encoding",
         path="labels", options={"images": "images"}),
    Case("yolo_class_out_of_range", "yolo", yolo(lambda ls: ls.__setitem__(0, "7" + ls[0][1:])), "unknown_class",
         field="class", path="labels", options={"images": "images"}),
    Case("yolo_class_not_integer", "yolo", yolo(lambda ls: ls.__setitem__(0, "car" + ls[0][1:])), "not_a_number",
         field="class", path="labels", options={"images": "images"}),
    Case("yolo_nan", "yolo", yolo(lambda ls: ls.__setitem__(0, "0 nan 0.5 0.2 0.2")), "not_finite",
         field="field 2", path="labels", options={"images": "images"}),
    Case("yolo_negative_width", "yolo", yolo(lambda ls: ls.__setitem__(0, "0 0.5 0.5 -0.2 0.2")), "negative_size",
         field="box 0", path="labels", options={"images": "images"}),
    Case("yolo_image_missing", "yolo", yolo(drop_image=True), "missing_image", field="image", path="labels",
         options={"images": "images"}),
    Case("yolo_image_not_an_image", "yolo", yolo(image=b"GIF89a\x00"), "bad_image", field="image", path="labels",
         options={"images": "images"}),
    # ---- CSV
    Case("csv_field_2mb", "csv", csv(lambda rows: rows.insert(1, f"a.png,64,48,car,{BIG},1,2,3")), "malformed",
         q_images=0, q_boxes=1, added=1, path="ann/boxes.csv"),
    Case("csv_nan", "csv", csv(lambda rows: rows.__setitem__(0, rows[0].replace(",4,5,", ",nan,5,"))), "not_finite",
         field="xmin", path="ann/boxes.csv"),
    Case("csv_text_coordinate", "csv", csv(lambda rows: rows.__setitem__(1, rows[1].replace(",20,21", ",20,x"))),
         "not_a_number", field="ymax", path="ann/boxes.csv"),
    Case("csv_empty_class", "csv", csv(lambda rows: rows.__setitem__(0, rows[0].replace(",car,", ",,"))),
         "missing_label", field="class", path="ann/boxes.csv"),
    Case("csv_width_inf", "csv", csv(lambda rows: rows.__setitem__(0, rows[0].replace(",64,", ",inf,"))), "bad_size",
         field="width", path="ann/boxes.csv"),
    Case("csv_sizes_disagree", "csv", csv(lambda rows: rows.__setitem__(1, rows[1].replace(",64,48,", ",65,48,"))),
         "bad_size", path="ann/boxes.csv"),
    Case("csv_not_utf8", "csv",
         csv(raw=b"filename,width,height,class,xmin,ymin,xmax,ymax\na.png,64,48,c\xe4r,4,5,30,40\n"),
         "bad_encoding", level="file", q_images=0, q_boxes=0, q_files=1, path="ann/boxes.csv"),
    Case("csv_missing_column", "csv", csv(header="filename,width,height,class,xmin,ymin,xmax,ymaximum"), "malformed",
         level="file", q_images=0, q_boxes=0, q_files=1, field="ymax", path="ann/boxes.csv"),
    # ---- LabelMe
    Case("labelme_nan_point", "labelme", labelme(shape0("points", [[float("nan"), 5], [30, 40]])), "not_finite",
         field="points[0][0]"),
    Case("labelme_circle", "labelme", labelme(shape0("shape_type", "circle")), "unsupported_shape",
         field="shape_type"),
    Case("labelme_points_not_pairs", "labelme", labelme(shape0("points", [4, 5, 30, 40])), "malformed",
         field="points"),
    Case("labelme_point_string", "labelme", labelme(shape0("points", [["4", 5], [30, 40]])), "not_a_number",
         field="points[0][0]"),
    Case("labelme_no_label", "labelme", labelme(lambda d: d["shapes"][0].pop("label")), "missing_label",
         field="label"),
    Case("labelme_width_text", "labelme", labelme(lambda d: d.__setitem__("imageWidth", "wide")), "bad_size",
         field="imageWidth"),
    Case("labelme_shape_not_object", "labelme", labelme(lambda d: d["shapes"].append("box")), "malformed",
         q_boxes=3, added=1),
    Case("labelme_polygon_read_as_its_box", "labelme",
         labelme(lambda d: d["shapes"].__setitem__(0, {"label": "car", "shape_type": "polygon",
                                                       "points": [[4, 5], [30, 5], [17, 40]]})),
         None, q_images=0, q_boxes=0, notes={"boxes_from_polygons": 1}),
    Case("labelme_truncated", "labelme", labelme(raw=b'{"shapes": [{"label": "car", "points": [[4, 5], [3'),
         "malformed", level="file", q_images=0, q_boxes=0, q_files=1),
    Case("labelme_shapes_not_list", "labelme", labelme(lambda d: d.__setitem__("shapes", {"a": 1})), "malformed",
         level="file", q_images=0, q_boxes=0, q_files=1, field="shapes"),
    # ---- Label Studio
    Case("label_studio_rotation_inf", "label_studio", label_studio(ls0("rotation", float("inf"))), "not_finite",
         field="value.rotation"),
    Case("label_studio_x_string", "label_studio", label_studio(ls0("x", "10")), "not_a_number", field="value.x"),
    Case("label_studio_no_original_size", "label_studio",
         label_studio(lambda d: d[0]["annotations"][0]["result"][0].pop("original_width")), "missing_size",
         field="original_width"),
    Case("label_studio_result_not_list", "label_studio",
         label_studio(lambda d: d[0]["annotations"][0].__setitem__("result", "box")), "malformed", q_boxes=0,
         added=-2, field="result"),
    Case("label_studio_no_class", "label_studio", label_studio(ls0("rectanglelabels", [])), "missing_label",
         field="rectanglelabels"),
    Case("label_studio_task_not_object", "label_studio", label_studio(lambda d: d.__setitem__(0, ["a.png"])),
         "malformed", q_boxes=0, added=-2),
    Case("label_studio_far_outside", "label_studio", label_studio(ls0("x", 900)), "outside_image", field="box 0"),
    Case("label_studio_truncated", "label_studio", label_studio(raw=lambda b: b[:-3]), "malformed", level="file",
         q_images=0, q_boxes=0, q_files=1),
    # ---- CVAT
    Case("cvat_rotation_text", "cvat", cvat('<box label="car" xtl="4" ytl="5" xbr="30" ybr="40" rotation="abc"/>'),
         "not_a_number", field="rotation"),
    Case("cvat_xtl_nan", "cvat", cvat('<box label="car" xtl="nan" ytl="5" xbr="30" ybr="40"/>'), "not_finite",
         field="xtl"),
    Case("cvat_width_inf", "cvat", cvat(image_a='id="0" name="a.png" width="inf" height="48"'), "bad_size",
         field="width"),
    Case("cvat_polygon_bad_points", "cvat", cvat('<polygon label="car" points="4,5;30"/>'), "malformed",
         field="points"),
    Case("cvat_no_label", "cvat", cvat('<box xtl="4" ytl="5" xbr="30" ybr="40"/>'), "missing_label", field="label"),
    Case("cvat_truncated", "cvat", cvat(raw=cvat_doc()[:-40].encode()), "malformed", level="file", q_images=0,
         q_boxes=0, q_files=1),
    # ---- TF Object Detection
    Case("tfod_class_text_not_utf8", "tfod", tfod(_tf_set("image/object/class/text", [b"c\xffr", b"person"])),
         "bad_encoding", field="class/text"),
    Case("tfod_box_lengths_differ", "tfod", tfod(_tf_set("image/object/bbox/xmax", [0.5])), "malformed",
         field="bbox"),
    Case("tfod_width_negative", "tfod", tfod(_tf_set("image/width", [-64])), "bad_size", field="image/width"),
    Case("tfod_nan_coordinate", "tfod", tfod(_tf_set("image/object/bbox/ymin", [float("nan"), 0.2])), "not_finite",
         field="bbox/ymin"),
    Case("tfod_record_not_an_example", "tfod", tfod(raw_a=b"\xff\xff\xff\x0f garbage"), "malformed", q_boxes=0,
         added=-2),
    Case("tfod_truncated", "tfod", tfod(cut=7), "malformed", level="file", q_images=0, q_boxes=0, q_files=1),
]


def build(root: Path, cases=CASES) -> dict:
    """Write every case into ``root/<case id>/`` (with its own copy of the images);
    returns {case id: its folder}."""
    out = {}
    for case in cases:
        folder = Path(root) / case.id
        write_images(folder / "images")
        case.make(folder)
        out[case.id] = folder
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad_annotations")
    build(target)
    print(f"wrote {len(CASES)} cases to {target}")
