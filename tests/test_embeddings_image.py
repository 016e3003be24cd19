"""EfficientNet-Lite0 image embeddings: pinned weights, the ImageNet oracle on
scikit-learn's bundled photos, batch / thread invariance, input checks."""
import shutil

import numpy as np
import pytest
from sklearn.datasets import load_sample_images

from datalife.transforms.embeddings.image import (EMBEDDING_DIM, WEIGHTS_SHA256, ImageEmbedder, WeightsMismatch,
                                                  preprocess, verify_weights, weights_path)

DAISY = 985  # ImageNet class "daisy"


@pytest.fixture(scope="module")
def photos():
    return load_sample_images().images  # china.jpg (a temple), flower.jpg (a daisy), 427 x 640


@pytest.fixture(scope="module")
def crops(photos):
    rng = np.random.default_rng(0)
    out = []
    for i in range(7):
        img = photos[i % 2]
        h, w = img.shape[:2]
        top, left = rng.integers(0, h // 2), rng.integers(0, w // 2)
        out.append(img[top:top + h // 2, left:left + w // 3])
    return out


def test_the_flower_photo_is_a_daisy(photos):
    logits = ImageEmbedder(batch_size=2).classify(photos)
    assert logits.shape == (2, 1000)
    assert logits[1].argmax() == DAISY
    assert logits[0].argmax() != DAISY
    # the whole-image policy agrees on the flower
    assert ImageEmbedder(resize="full").classify(photos[1:])[0].argmax() == DAISY


def test_imagenet_mean_std_scaling_would_be_wrong(photos):
    """The Lite models expect (x - 127) / 128: with the ImageNet mean/std of the
    package's README the network is far less sure of the daisy."""
    import torch

    emb = ImageEmbedder()
    x = preprocess(photos[1:]) * 128.0 + 127.0
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None] * 255
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None] * 255
    with torch.inference_mode():
        wrong = emb.model(torch.from_numpy((x - mean) / std)).numpy()
    right = emb.classify(photos[1:])
    p_right = torch.softmax(torch.from_numpy(right), 1)[0, DAISY].item()
    p_wrong = torch.softmax(torch.from_numpy(wrong), 1)[0, DAISY].item()
    assert p_right > 0.25 and p_wrong < 0.6 * p_right


def test_embeddings_do_not_depend_on_batch_size_or_threads(crops):
    ref = ImageEmbedder(batch_size=1, threads=1).embed(crops)
    assert ref.shape == (7, EMBEDDING_DIM) and ref.dtype == np.float32
    assert np.abs(ref).max() > 0.5
    np.testing.assert_array_equal(ImageEmbedder(batch_size=1).embed(crops), ref)  # same run, same bits
    for batch_size, threads in ((3, 1), (7, 1), (3, 2)):
        got = ImageEmbedder(batch_size=batch_size, threads=threads).embed(crops)
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)


def test_embedding_is_the_classifier_input(photos):
    emb = ImageEmbedder()
    features = emb.embed(photos)
    head = emb.model._fc
    logits = features @ head.weight.detach().numpy().T + head.bias.detach().numpy()
    np.testing.assert_allclose(logits, emb.classify(photos), atol=1e-3)


def test_grey_and_rgba_inputs(photos):
    grey = photos[1].mean(axis=2).astype(np.uint8)
    rgba = np.dstack([photos[1], np.full(photos[1].shape[:2], 255, np.uint8)])
    x = preprocess([grey, grey[:, :, None], rgba])
    assert x.shape == (3, 3, 224, 224)
    np.testing.assert_array_equal(x[0], x[1])
    np.testing.assert_array_equal(x[0][0], x[0][2])
    np.testing.assert_array_equal(x[2], preprocess([photos[1]])[0])
    assert -1.0 <= x.min() and x.max() <= 1.0


@pytest.mark.parametrize("image, message", [
    (np.zeros((10, 10, 3), np.float32), "image 0: expected uint8 pixels, got float32"),
    (np.zeros((10, 10, 2), np.uint8), r"image 0: expected \[height, width, 1\|3\|4 channels\]"),
    (np.zeros((0, 10, 3), np.uint8), r"image 0: expected \[height, width"),
])
def test_bad_images_are_named(image, message):
    with pytest.raises(ValueError, match=message):
        preprocess([image])


def test_weights_are_pinned(tmp_path):
    path = weights_path()
    verify_weights(path)
    assert WEIGHTS_SHA256.startswith("57934424")  # the hash prefix in the file's name
    copy = tmp_path / "efficientnet-lite0.pth"
    shutil.copy(path, copy)
    with open(copy, "r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(WeightsMismatch, match="is not the pinned 57934424"):
        verify_weights(str(copy))
    with pytest.raises(WeightsMismatch, match="cannot read"):
        verify_weights(str(tmp_path / "missing.pth"))
    with pytest.raises(ValueError, match="resize must be one of"):
        ImageEmbedder(resize="letterbox")
