"""Image augmentation speed, one core, same run: the CIFAR-10 recipe at 32 x 32 and
box-carrying transforms at 224 x 224 against albumentations, and end-to-end images per
second through the augmenter's Beam DoFn (decode, augment, re-encode) on the DirectRunner."""
from __future__ import annotations

import numpy as np

N_CIFAR, N_BOX = 20_000, 1_000


def _ours(policy, images, boxes=None):
    from datalife.transforms.augment_policy import apply, draw
    from datalife.transforms.augment_random import ExampleRandom

    def run():
        for i, img in enumerate(images):
            h, w = img.shape[:2]
            apply(policy, draw(policy, ExampleRandom(1, str(i)), h, w), img, boxes)
    return run


def _theirs(transform, images, boxes=None):
    if boxes is None:
        return lambda: [transform(image=img) for img in images]
    return lambda: [transform(image=img, bboxes=boxes, labels=[0] * len(boxes)) for img in images]


def _end_to_end(n: int = 20_000) -> tuple[float, float]:
    import time

    import apache_beam as beam
    import cv2

    from datalife.components.image_augmenter.beam_glue import Augment
    from datalife.components.image_augmenter.spec import AugmenterConfig
    from datalife.common.codec import encode_example

    rng = np.random.default_rng(0)
    raws = []
    for i in range(n):
        png = cv2.imencode(".png", rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))[1].tobytes()
        boxes = {f"image/object/bbox/{k}": [] for k in ("xmin", "ymin", "xmax", "ymax")}
        raws.append(encode_example({"image/encoded": png, **boxes}, kinds={k: "float" for k in boxes}))
    batches = [("train", raws[i:i + 64]) for i in range(0, n, 64)]
    cfg = AugmenterConfig(policy="cifar10", copies=1, keep_originals=False, seed=1, mask_feature=None)
    fn = Augment(cfg.model_dump_json())
    fn.setup()
    t0 = time.perf_counter()
    for batch in batches:
        for _ in fn.process(batch):
            pass
    dofn = n / (time.perf_counter() - t0)
    import os
    import tempfile

    from datalife.common.tfrecords import write_tfrecords
    from datalife.components.beam_glue import ReadShard

    with tempfile.TemporaryDirectory() as tmp:  # the component's own path: files -> shards -> DoFn -> files
        src = os.path.join(tmp, "in.tfrecord.gz")
        write_tfrecords(src, raws)
        t0 = time.perf_counter()
        with beam.Pipeline() as p:
            _ = (p | beam.Create([("train", src, 0, 1)]) | beam.ParDo(ReadShard(64)) | beam.Reshuffle()
                 | beam.ParDo(Augment(cfg.model_dump_json())).with_outputs("counts", "train")).train \
                | beam.io.WriteToTFRecord(os.path.join(tmp, "out"), file_name_suffix=".gz")
        beam_rate = n / (time.perf_counter() - t0)
    return dofn, beam_rate


def main() -> list[dict]:
    import albumentations as A
    import cv2

    from benchmarks.common import best_of, report, single_core
    from datalife.transforms.augment_policy import parse_policy

    single_core()
    cv2.setNumThreads(1)
    rng = np.random.default_rng(0)
    cifar = rng.integers(0, 256, (N_CIFAR, 32, 32, 3), dtype=np.uint8)
    album_cifar = A.Compose([A.PadIfNeeded(40, 40, border_mode=cv2.BORDER_CONSTANT, fill=0), A.RandomCrop(32, 32),
                             A.HorizontalFlip(p=0.5)])
    t_ours = best_of(_ours(parse_policy("cifar10"), cifar))
    t_alb = best_of(_theirs(album_cifar, cifar))
    rows = [{"what": "CIFAR-10 recipe 32x32", "albumentations_img_s": N_CIFAR / t_alb, "datalife_img_s": N_CIFAR / t_ours,
             "ratio": t_alb / t_ours}]
    big = rng.integers(0, 256, (N_BOX, 224, 224, 3), dtype=np.uint8)
    boxes = [[20.0, 30.0, 120.0, 150.0], [100.0, 90.0, 210.0, 200.0], [5.0, 5.0, 60.0, 40.0]]
    bbox = A.BboxParams(format="pascal_voc", label_fields=["labels"])
    cases = [
        ("hflip + boxes", [{"op": "hflip"}], A.HorizontalFlip(p=1)),
        ("rot90 + boxes", [{"op": "rot90"}], A.RandomRotate90(p=1)),
        ("rotate +-30 + boxes", [{"op": "rotate", "degrees": [-30, 30]}], A.Rotate(limit=30, p=1, border_mode=0)),
        ("affine scale 0.8-1.2 + boxes", [{"op": "scale", "factor": [0.8, 1.2]}], A.Affine(scale=(0.8, 1.2), p=1)),
        ("crop 0.6-1 + resize + boxes", [{"op": "crop", "scale": [0.6, 1.0]}],
         A.RandomResizedCrop((224, 224), scale=(0.36, 1.0), ratio=(1.0, 1.0), p=1)),
    ]
    for name, ops, album in cases:
        t_ours = best_of(_ours(parse_policy(ops), big, np.array(boxes)), repeat=2)
        t_alb = best_of(_theirs(A.Compose([album], bbox_params=bbox), big, boxes), repeat=2)
        rows.append({"what": f"{name} 224x224", "albumentations_img_s": N_BOX / t_alb,
                     "datalife_img_s": N_BOX / t_ours, "ratio": t_alb / t_ours})
    dofn, beam_rate = _end_to_end()
    rows.append({"what": "Augment DoFn, 32x32 PNG examples (decode, CIFAR recipe, encode)", "datalife_img_s": dofn})
    rows.append({"what": "same through the DirectRunner (incl. pipeline start-up)", "datalife_img_s": beam_rate})
    report("image augmentation, one core", rows)
    return rows


if __name__ == "__main__":
    main()
