"""Generate the bundled detection sample: ``data/detection/``.

15 small JPEG street scenes (drawn: cars, people, signs on a noisy background) and
three annotation "sources" that describe them in three formats, box conventions and
class vocabularies, written here by hand (not by datalife's writers):

- ``coco/annotations.json``: images 0-5, COCO corner + size in pixels, classes
  ``automobile`` / ``pedestrian`` / ``traffic_sign`` with 1-based category ids;
- ``voc/*.xml``: images 5-9, Pascal VOC corner pairs, 1-based inclusive pixels,
  classes ``car`` / ``person`` / ``sign`` (image 5 is annotated by COCO too);
- ``yolo/labels/*.txt`` + ``classes.txt``: images 10-14, normalized center + size,
  0-based ids of ``vehicle`` / ``human`` / ``signage``; one box runs past the right
  edge (clipped) and one right edge is 1.0000004 (rounding).

Fixed seed: running it again rewrites identical annotation files and images.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

CLASSES = ("car", "person", "sign")
COCO_NAMES = ("automobile", "pedestrian", "traffic_sign")
YOLO_NAMES = ("vehicle", "human", "signage")
SIZES = ((160, 120), (128, 128), (200, 120))


def _draw(img, cls, x1, y1, x2, y2, rng):
    """Draw one object filling the pixel box [x1, x2) x [y1, y2) (integers)."""
    colour = tuple(int(c) for c in rng.integers(40, 220, 3))
    if cls == 0:  # car: body and two wheels
        cv2.rectangle(img, (x1, y1 + (y2 - y1) // 3), (x2 - 1, y2 - 1 - (y2 - y1) // 5), colour, -1)
        cv2.rectangle(img, (x1 + (x2 - x1) // 4, y1), (x2 - 1 - (x2 - x1) // 4, y1 + (y2 - y1) // 3), colour, -1)
        r = max(2, (y2 - y1) // 5)
        for cx in (x1 + r, x2 - 1 - r):
            cv2.circle(img, (cx, y2 - 1 - r), r, (20, 20, 20), -1)
    elif cls == 1:  # person: head and body
        w = x2 - x1
        cv2.circle(img, (x1 + w // 2, y1 + w // 2), max(1, w // 2), colour, -1)
        cv2.rectangle(img, (x1, y1 + w), (x2 - 1, y2 - 1), colour, -1)
    else:  # sign: pole and plate
        cv2.rectangle(img, (x1, y1), (x2 - 1, y1 + (y2 - y1) // 2), colour, -1)
        cv2.line(img, ((x1 + x2) // 2, y1 + (y2 - y1) // 2), ((x1 + x2) // 2, y2 - 1), (90, 90, 90), 2)


def make_scenes(seed: int = 7, n: int = 15):
    """[(file, width, height, BGR image, [(class, x1, y1, x2, y2) pixel, 0-based, exclusive])]"""
    rng = np.random.default_rng(seed)
    scenes = []
    for i in range(n):
        w, h = SIZES[i % len(SIZES)]
        img = np.clip(rng.normal(150, 12, (h, w, 3)), 0, 255).astype(np.uint8)
        img[h * 2 // 3:] = (img[h * 2 // 3:] * 0.5).astype(np.uint8)  # road
        objects = []
        for _ in range(int(rng.integers(1, 4))):
            cls = int(rng.integers(0, 3))
            bw, bh = {0: (int(rng.integers(30, 60)), int(rng.integers(18, 30))),
                      1: (int(rng.integers(8, 14)), int(rng.integers(28, 44))),
                      2: (int(rng.integers(12, 20)), int(rng.integers(30, 40)))}[cls]
            x1, y1 = int(rng.integers(0, w - bw)), int(rng.integers(h // 4, h - bh))
            if i in (10, 11) and not objects:  # touching the right edge (see the YOLO labels)
                x1 = w - bw
            _draw(img, cls, x1, y1, x1 + bw, y1 + bh, rng)
            objects.append((cls, x1, y1, x1 + bw, y1 + bh))
        scenes.append((f"street_{i:02d}.jpg", w, h, img, objects))
    return scenes


def _voc(file, w, h, objects) -> str:
    objs = "".join(
        f"  <object>\n    <name>{CLASSES[c]}</name>\n    <difficult>0</difficult>\n    <bndbox>\n"
        f"      <xmin>{x1 + 1}</xmin>\n      <ymin>{y1 + 1}</ymin>\n      <xmax>{x2}</xmax>\n      <ymax>{y2}</ymax>\n"
        f"    </bndbox>\n  </object>\n" for c, x1, y1, x2, y2 in objects)
    return (f"<annotation>\n  <folder>images</folder>\n  <filename>{file}</filename>\n  <size>\n"
            f"    <width>{w}</width>\n    <height>{h}</height>\n    <depth>3</depth>\n  </size>\n{objs}</annotation>\n")


def write(out: Path, seed: int = 7) -> list[Path]:
    scenes = make_scenes(seed)
    (out / "images").mkdir(parents=True, exist_ok=True)
    written = []
    for file, _, _, img, _ in scenes:
        path = out / "images" / file
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 85])
        written.append(path)
    coco = {"images": [], "annotations": [],
            "categories": [{"id": k + 1, "name": n} for k, n in enumerate(COCO_NAMES)]}
    for i, (file, w, h, _, objects) in enumerate(scenes[:6]):
        coco["images"].append({"id": 100 + i, "file_name": file, "width": w, "height": h})
        for c, x1, y1, x2, y2 in objects:
            coco["annotations"].append({"id": len(coco["annotations"]) + 1, "image_id": 100 + i,
                                        "category_id": c + 1, "bbox": [x1, y1, x2 - x1, y2 - y1],
                                        "area": (x2 - x1) * (y2 - y1), "iscrowd": 0})
    (out / "coco").mkdir(exist_ok=True)
    (out / "coco" / "annotations.json").write_text(json.dumps(coco, indent=1) + "\n")
    written.append(out / "coco" / "annotations.json")
    (out / "voc").mkdir(exist_ok=True)
    for file, w, h, _, objects in scenes[5:10]:
        path = out / "voc" / file.replace(".jpg", ".xml")
        path.write_text(_voc(file, w, h, objects))
        written.append(path)
    labels = out / "yolo" / "labels"
    labels.mkdir(parents=True, exist_ok=True)
    (labels / "classes.txt").write_text("".join(f"{n}\n" for n in YOLO_NAMES))
    for k, (file, w, h, _, objects) in enumerate(scenes[10:]):
        lines = []
        for j, (c, x1, y1, x2, y2) in enumerate(objects):
            if k == 0 and j == 0:  # a box reaching 12 px past the right edge: clipped
                x2 = w + 12
            box = [(x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h]
            text = [f"{v:.7f}" for v in box]
            if k == 1 and j == 0:  # an exporter's rounding: the right edge at 1.0000004
                text[0] = f"{box[0] + 4e-7:.7f}"
            lines.append(f"{c} " + " ".join(text))
        path = labels / file.replace(".jpg", ".txt")
        path.write_text("\n".join(lines) + "\n")
        written.append(path)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "detection")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for path in write(args.out, args.seed):
        print(path)


if __name__ == "__main__":
    main()
