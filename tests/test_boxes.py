"""Box conventions: conversions against pybboxes, inverse pairs, clipping and masks by hand."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datalife.labeling.boxes import BoxFormat, boxes_to_mask, clip_boxes, convert_boxes

# pybboxes' names for our formats (it rounds pixel outputs to integers: compared on
# integer pixel inputs and normalized outputs only)
PYBBOXES = {"xyxy:pixel": "voc", "xywh:pixel": "coco", "cxcywh:normalized": "yolo",
            "xyxy:normalized": "albumentations", "xywh:normalized": "fiftyone"}
FORMATS = [f"{c}:{u}" for c in ("xyxy", "xywh", "cxcywh") for u in ("pixel", "normalized")]


def _pixel_boxes(rng, n, w, h):
    x1 = rng.integers(0, w - 2, n)
    y1 = rng.integers(0, h - 2, n)
    return np.stack([x1, y1, rng.integers(x1 + 1, w), rng.integers(y1 + 1, h)], axis=1).astype(float)


@pytest.mark.parametrize("dst", ["cxcywh:normalized", "xyxy:normalized", "xywh:normalized"])
@pytest.mark.parametrize("src", ["xyxy:pixel", "xywh:pixel"])
def test_pixel_to_normalized_agrees_with_pybboxes(src, dst):
    import pybboxes as pbx

    rng = np.random.default_rng(0)
    w, h = 641, 479
    xyxy = _pixel_boxes(rng, 200, w, h)
    boxes = convert_boxes(xyxy, "xyxy:pixel", src)  # integers in both pixel conventions
    ours = convert_boxes(boxes, src, dst, (w, h))
    theirs = np.array([pbx.convert_bbox(tuple(int(v) for v in b), from_type=PYBBOXES[src], to_type=PYBBOXES[dst],
                                        image_size=(w, h)) for b in boxes])
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=0)


@pytest.mark.parametrize("src,dst", [("cxcywh:normalized", "xyxy:normalized"), ("xywh:normalized", "cxcywh:normalized"),
                                     ("xyxy:normalized", "xywh:normalized")])
def test_normalized_conversions_agree_with_pybboxes(src, dst):
    import pybboxes as pbx

    rng = np.random.default_rng(1)
    lo = rng.random((200, 2)) * 0.8
    xyxy = np.concatenate([lo, lo + 0.01 + rng.random((200, 2)) * (0.99 - lo)], axis=1)
    boxes = convert_boxes(xyxy, "xyxy:normalized", src)
    ours = convert_boxes(boxes, src, dst)
    # pybboxes goes through integer pixels of image_size: a 10^7-pixel side keeps 1e-7
    size = (10**7, 10**7)
    theirs = np.array([pbx.convert_bbox(tuple(b), from_type=PYBBOXES[src], to_type=PYBBOXES[dst],
                                        image_size=size) for b in boxes])
    np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 500), st.floats(0, 500), st.floats(0.1, 300), st.floats(0.1, 300)),
                max_size=20), st.integers(1, 2000), st.integers(1, 2000))
def test_every_pair_of_formats_inverts(raw, w, h):
    xywh = np.array(raw, dtype=float).reshape(-1, 4)
    base = convert_boxes(xywh, "xywh:pixel", "xyxy:pixel")
    for src, dst in itertools.permutations(FORMATS, 2):
        a = convert_boxes(base, "xyxy:pixel", src, (w, h))
        back = convert_boxes(convert_boxes(a, src, dst, (w, h)), dst, "xyxy:pixel", (w, h))
        np.testing.assert_allclose(back, base, atol=1e-9 * max(w, h, 500), rtol=1e-12)


def test_per_box_image_sizes_and_errors():
    boxes = np.array([[10, 10, 20, 20], [10, 10, 20, 20]], float)
    out = convert_boxes(boxes, "xyxy:pixel", "xyxy:normalized", np.array([[100, 100], [200, 50]]))
    np.testing.assert_allclose(out, [[0.1, 0.1, 0.2, 0.2], [0.05, 0.2, 0.1, 0.4]])
    with pytest.raises(ValueError, match="needs image_size"):
        convert_boxes(boxes, "xyxy:pixel", "xyxy:normalized")
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        convert_boxes([[1, 2, 3]], "xyxy:pixel", "xywh:pixel")
    with pytest.raises(ValueError, match="box convention 'ltrb' is not one of xyxy, xywh, cxcywh"):
        BoxFormat.parse("ltrb:pixel")
    assert convert_boxes(np.zeros((0, 4)), "xywh:pixel", "cxcywh:normalized", (10, 10)).shape == (0, 4)


def test_clip():
    np.testing.assert_array_equal(clip_boxes([[-0.2, 0.5, 1.3, 1.0000004]]), [[0, 0.5, 1, 1]])
    np.testing.assert_array_equal(clip_boxes([[-5, 3, 120, 40]], (100, 30)), [[0, 3, 100, 30]])


def test_boxes_to_mask_by_hand():
    # a 6 x 5 image; box A covers pixel centers x 0.5..2.5, y 0.5..1.5; box B (smaller,
    # overlapping, painted last) covers x 2.5..3.5, y 1.5; a box between pixel centers covers none
    mask = boxes_to_mask([[0, 0, 3, 2], [2.4, 1.2, 4, 2.2], [4.6, 3.6, 5.4, 4.4]], [1, 2, 3], height=5, width=6)
    expected = np.zeros((5, 6), np.uint8)
    expected[0:2, 0:3] = 1
    expected[1:2, 2:4] = 2
    np.testing.assert_array_equal(mask, expected)


def test_a_mistyped_box_format_names_the_right_form_and_every_allowed_one():
    from datalife.labeling.boxes import BoxFormat

    with pytest.raises(ValueError) as info:
        BoxFormat.parse("xyxy_pixel")
    assert str(info.value) == (
        "box convention 'xyxy_pixel' is not one of xyxy, xywh, cxcywh (did you mean 'xyxy:pixel'?); a box format "
        "is CONVENTION:UNIT, one of xyxy:pixel, xyxy:normalized, xywh:pixel, xywh:normalized, cxcywh:pixel, "
        "cxcywh:normalized (the unit defaults to pixel)")
    with pytest.raises(ValueError, match=r"box unit 'pixels' is not one of pixel, normalized \(did you mean 'xywh:pixel'\?\)"):
        BoxFormat.parse("xywh:pixels")
    assert str(BoxFormat.parse("cxcywh:normalized")) == "cxcywh:normalized"
