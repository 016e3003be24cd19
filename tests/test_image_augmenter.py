"""The image augmenter's Beam DoFn on hand-made examples: boxes and classes follow the
image, corrupt images are quarantined with a count, outputs do not depend on batching,
eval is never augmented."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from datalife.common.codec import encode_example
from datalife.components.image_augmenter.beam_glue import COUNTS, QUARANTINE, Augment
from datalife.components.image_augmenter.spec import AugmenterConfig


def _example(seed: int, corrupt: bool = False) -> bytes:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    png = cv2.imencode(".png", img)[1].tobytes()
    if corrupt:
        png = png[:60] + bytes(len(png) - 60)  # header intact, pixel data destroyed
    return encode_example({
        "image/encoded": png, "image/filename": f"img{seed}.png",
        "image/object/bbox/xmin": [0.1, 0.5], "image/object/bbox/ymin": [0.25, 0.5],
        "image/object/bbox/xmax": [0.5, 1.0], "image/object/bbox/ymax": [0.75, 1.0],
        "image/object/class/label": [3, 1], "image/object/class/text": [b"dog", b"cat"],
    })


def _run(cfg: AugmenterConfig, batches):
    fn = Augment(cfg.model_dump_json())
    fn.setup()
    outs, counts, problems = {}, [], []
    for split, raws in batches:
        for item in fn.process((split, raws)):
            if item.tag == COUNTS:
                counts.append(item.value)
            elif item.tag == QUARANTINE:
                problems.append(item.value)
            else:
                outs.setdefault(item.tag, []).append(item.value)
    return outs, counts, problems


def _parse(raw):
    import tensorflow as tf

    return tf.train.Example.FromString(raw).features.feature


def test_hflip_copies_mirror_pixels_and_boxes_and_keep_classes():
    cfg = AugmenterConfig(policy=[{"op": "hflip"}], copies=1, seed=1)
    raw = _example(0)
    outs, counts, _ = _run(cfg, [("train", [raw])])
    original, copy = (_parse(r) for r in outs["train"])
    assert original["augment/copy"].int64_list.value == [0] and copy["augment/copy"].int64_list.value == [1]
    img = cv2.imdecode(np.frombuffer(original["image/encoded"].bytes_list.value[0], np.uint8), cv2.IMREAD_UNCHANGED)
    flipped = cv2.imdecode(np.frombuffer(copy["image/encoded"].bytes_list.value[0], np.uint8), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(flipped, img[:, ::-1])  # PNG stays lossless
    np.testing.assert_allclose(copy["image/object/bbox/xmin"].float_list.value, [0.5, 0.0], atol=1e-6)
    np.testing.assert_allclose(copy["image/object/bbox/xmax"].float_list.value, [0.9, 0.5], atol=1e-6)
    assert list(copy["image/object/class/label"].int64_list.value) == [3, 1]
    assert list(copy["image/object/class/text"].bytes_list.value) == [b"dog", b"cat"]
    assert copy["augment/ops"].bytes_list.value == [b"hflip()"]
    assert counts == [("train", {"images_in": 1, "images_augmented": 1, "originals_out": 1, "copies_out": 1,
                                 "copy_boxes_in": 2, "copy_boxes_out": 2, "copy_boxes_dropped": 0})]


def test_dropped_boxes_drop_their_classes_too():
    cfg = AugmenterConfig(policy=[{"op": "translate", "fraction": [0.5, 0.5]}], copies=1, seed=1,
                          keep_originals=False, min_visibility=0.5)
    outs, counts, _ = _run(cfg, [("train", [_example(0)])])
    [copy] = [_parse(r) for r in outs["train"]]
    # +30 px right, +20 px down on a 60 x 40 image: the box at x 0.5..1 leaves the image
    assert list(copy["image/object/class/label"].int64_list.value) == [3]
    np.testing.assert_allclose(copy["image/object/bbox/xmin"].float_list.value, [0.6], atol=1e-6)
    assert counts[0][1]["copy_boxes_dropped"] == 1


def test_a_merges_per_box_provenance_follows_the_boxes_that_survive():
    from datalife.common.codec import add_features

    [raw] = add_features([_example(0)], {"image/object/support": [[2, 1]], "image/object/raters": [[b"a+b", b"a"]]},
                         {"image/object/support": "int", "image/object/raters": "bytes"})
    cfg = AugmenterConfig(policy=[{"op": "translate", "fraction": [0.5, 0.5]}], copies=1, seed=1,
                          keep_originals=False, min_visibility=0.5)
    outs, _, _ = _run(cfg, [("train", [raw])])
    [copy] = [_parse(r) for r in outs["train"]]
    assert list(copy["image/object/class/label"].int64_list.value) == [3]  # the second box left the image
    assert list(copy["image/object/support"].int64_list.value) == [2]
    assert list(copy["image/object/raters"].bytes_list.value) == [b"a+b"]


def test_corrupt_images_are_quarantined_and_counted():
    cfg = AugmenterConfig(policy="cifar10", copies=2, seed=1)
    outs, counts, problems = _run(cfg, [("train", [_example(0), _example(1, corrupt=True), _example(2)])])
    assert len(outs["train"]) == 2 * 3
    c = counts[0][1]
    assert (c["images_in"], c["images_augmented"], c["images_quarantined"]) == (3, 2, 1)
    [q] = problems
    assert (q["file"], q["field"], q["reason"], q["split"]) == ("img1.png", "image/encoded", "corrupt_image", "train")
    assert q["message"] == "img1.png: PNG chunk 'IDAT' at byte 33 fails its CRC check (corrupt data)"
    assert c["quarantined_corrupt_image"] == 1
    assert q["record"] == __import__("hashlib").sha256(_example(1, corrupt=True)).hexdigest()[:16]


def test_outputs_do_not_depend_on_batching_and_eval_passes_through():
    cfg = AugmenterConfig(policy="detection", copies=3, seed=5)
    raws = [_example(i) for i in range(6)]
    one, _, _ = _run(cfg, [("train", raws), ("eval", raws[:2])])
    many, _, _ = _run(cfg, [("train", raws[:1]), ("train", raws[1:4]), ("train", raws[4:]), ("eval", raws[:2])])
    assert one["train"] == many["train"] and len(one["train"]) == 6 * 4
    assert one["eval"] == raws[:2]  # untouched bytes
    other_seed, _, _ = _run(AugmenterConfig(policy="detection", copies=3, seed=6), [("train", raws)])
    assert other_seed["train"] != one["train"]


def test_config_refuses_eval_and_bad_policies():
    with pytest.raises(ValueError, match=r"evaluation splits are never augmented: \['eval'\]"):
        AugmenterConfig(splits=["train", "eval"])
    with pytest.raises(ValueError, match="does not match any of the expected tags"):
        AugmenterConfig(policy=[{"op": "twirl"}])
