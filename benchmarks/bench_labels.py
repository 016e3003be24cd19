"""Label unification speed, one core, same run: box conversion rate (boxes / s) of
``convert_boxes`` against pybboxes and globox, and the time to read a COCO file of
5,000 images and ~37,000 boxes against globox."""
from __future__ import annotations

import json
import os
import tempfile

import numpy as np

N_BOXES = 1_000_000
N_IMAGES, BOXES_PER_IMAGE = 5000, 7.4


def _coco(path: str, rng) -> int:
    images = [{"id": i + 1, "file_name": f"{i:06d}.jpg", "width": 640, "height": 480} for i in range(N_IMAGES)]
    counts = rng.poisson(BOXES_PER_IMAGE, N_IMAGES)
    anns = []
    for i, n in enumerate(counts):
        for _ in range(n):
            x, y = rng.uniform(0, 500), rng.uniform(0, 380)
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(rng.integers(1, 81)),
                         "bbox": [round(x, 2), round(y, 2), round(rng.uniform(5, 140), 2), round(rng.uniform(5, 100), 2)],
                         "area": 1.0, "iscrowd": 0})
    cats = [{"id": k, "name": f"class_{k}", "supercategory": ""} for k in range(1, 81)]
    with open(path, "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    return len(anns)


def main() -> list[dict]:
    import globox
    import pybboxes as pbx

    from benchmarks.common import best_of, report, single_core
    from datalife.labeling.boxes import convert_boxes
    from datalife.labeling.formats import coco

    single_core()
    rng = np.random.default_rng(0)
    xywh = np.column_stack([rng.integers(0, 500, N_BOXES), rng.integers(0, 380, N_BOXES),
                            rng.integers(5, 140, N_BOXES), rng.integers(5, 100, N_BOXES)]).astype(float)
    t_ours = best_of(lambda: convert_boxes(xywh, "xywh:pixel", "cxcywh:normalized", (640, 480)))
    few = [tuple(int(v) for v in b) for b in xywh[:20_000]]
    t_pbx = best_of(lambda: [pbx.convert_bbox(b, from_type="coco", to_type="yolo", image_size=(640, 480))
                             for b in few], repeat=2) * N_BOXES / len(few)
    t_glx = best_of(lambda: [globox.BoundingBox.create(label="c", coords=b, box_format=globox.BoxFormat.XYWH)
                             .to_yolo_v5(image_size=(640, 480)) for b in few], repeat=2) * N_BOXES / len(few)
    rows = [{"what": name, "boxes_per_s": N_BOXES / t, "x_fastest_reference": min(t_pbx, t_glx) / t}
            for name, t in (("pybboxes convert_bbox (per box)", t_pbx), ("globox BoundingBox (per box)", t_glx),
                            ("datalife convert_boxes (vectorised)", t_ours))]
    report("box conversion xywh:pixel -> cxcywh:normalized", rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "coco.json")
        n = _coco(path, rng)
        t_ours = best_of(lambda: coco.read_file(path), repeat=3)
        t_glx = best_of(lambda: globox.AnnotationSet.from_coco(path), repeat=2)
    rows2 = [{"what": name, "seconds": t, "images": N_IMAGES, "boxes": n, "x_globox": t_glx / t}
             for name, t in (("globox AnnotationSet.from_coco", t_glx), ("datalife coco.read_file", t_ours))]
    report("read a COCO file of 5,000 images", rows2)
    return rows + rows2


if __name__ == "__main__":
    main()
