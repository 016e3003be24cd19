"""The pair maker's executor on Examples written with ``common.tfrecords`` (no TFX
orchestration), on load_digits (240 images as 32 x 32 PNGs, their 64 pixels beside
them), a train and an eval split, on 2 workers. Oracles: the pandas API's pairs
(``make_pairs``: ids, anchors, partners, views), its ``pair_images`` for the augmented
views, the digits' own pixels for each pair's payload, labels on every pair, and
positives closer than negatives on raw pixels."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

POLICY = [{"op": "hflip", "p": 0.5}, {"op": "brightness_contrast", "p": 1.0}]
SPEC = dict(count={"train": 300, "eval": 60}, positive_fraction=0.6, views_fraction=0.3, seed=11)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    import apache_beam as beam
    import cv2
    from apache_beam.options.pipeline_options import PipelineOptions
    from sklearn.datasets import load_digits
    from tfx.types import standard_artifacts

    from datalife.common.codec import content_keys, encode_rows
    from datalife.common.tfrecords import write_tfrecords
    from datalife.components.artifacts import ComponentReport
    from datalife.components.examples_beam import mark_examples
    from datalife.components.pair_maker.executor import run
    from datalife.components.pair_maker.spec import PairMakerConfig
    from datalife.transforms.draw import encode_png

    X, y = load_digits(return_X_y=True)
    X, y = X[:240], y[:240]
    pngs = [encode_png(cv2.resize(np.repeat((x.reshape(8, 8) * 15).astype(np.uint8)[:, :, None], 3, 2), (32, 32),
                                  interpolation=cv2.INTER_NEAREST)) for x in X]
    raws = encode_rows([{"pixels": [float(v) for v in x], "label": [int(t)], "image/encoded": [p]}
                        for x, t, p in zip(X, y, pngs)])
    split = np.where(np.arange(len(raws)) % 4 == 0, "eval", "train")
    root = tmp_path_factory.mktemp("pairs")
    for s in ("train", "eval"):
        (root / "in" / f"Split-{s}").mkdir(parents=True)
        write_tfrecords(str(root / "in" / f"Split-{s}" / "data.gz"), [r for r, t in zip(raws, split) if t == s])
    examples = standard_artifacts.Examples()
    examples.uri = str(root / "in")
    mark_examples(examples, ["train", "eval"])
    out, report = standard_artifacts.Examples(), ComponentReport()
    out.uri, report.uri = str(root / "pairs"), str(root / "report")
    Path(report.uri).mkdir()
    cfg = PairMakerConfig(features=["pixels", "image/encoded"], policy=POLICY, batch_size=50, **SPEC)
    run(examples, out, report, cfg.model_dump_json(),
        beam.Pipeline(options=PipelineOptions(direct_num_workers=2, direct_running_mode="multi_threading")))
    keys = content_keys(raws)
    frame = pd.DataFrame({"label": y, "split": split}, index=keys)
    return {"out": out, "report": json.loads((Path(report.uri) / "report.json").read_text()), "frame": frame,
            "pixels": dict(zip(keys, X)), "png": dict(zip(keys, pngs))}


def _pairs(made, split):
    from datalife.pipeline.examples_io import read_examples

    rows = read_examples(made["out"].uri, split)
    return {r["pair/id"][0].decode(): r for r in rows}


def test_pairs_equal_the_pandas_api_per_split(made):
    from datalife.transforms.pairs import make_pairs

    want = make_pairs(made["frame"], "label", split="split", **SPEC)
    for split in ("train", "eval"):
        got = _pairs(made, split)
        w = want[want["split"] == split]
        assert len(got) == len(w) == SPEC["count"][split]
        assert {pid: (r["a"][0].decode(), r["b"][0].decode(), r["pair/view_a"][0], r["pair/view_b"][0])
                for pid, r in got.items()} == {r.pair_id: (r.a, r.b, r.view_a, r.view_b) for r in w.itertuples()}
        frame = made["frame"]
        assert all(frame.loc[k, "split"] == split for r in got.values() for k in (r["a"][0].decode(), r["b"][0].decode()))


def test_labels_payloads_and_report(made):
    rep = made["report"]
    for split in ("train", "eval"):
        got = _pairs(made, split)
        n = SPEC["count"][split]
        n_pos = int(n * 0.6 + 0.5)
        assert rep["pairs"][split]["by_kind"] == {"views": int(n_pos * 0.3 + 0.5),
                                                  "same_class": n_pos - int(n_pos * 0.3 + 0.5),
                                                  "different_class": n - n_pos}
        for r in got.values():
            same = r["pair/label_a"] == r["pair/label_b"]
            assert r["pair_label"][0] == int(same)  # every positive shares a label, no negative does
            a, b = r["a"][0].decode(), r["b"][0].decode()
            assert str(made["frame"].loc[a, "label"]) == r["pair/label_a"][0].decode()
            np.testing.assert_allclose(r["a/pixels"], made["pixels"][a])
            np.testing.assert_allclose(r["b/pixels"], made["pixels"][b])
    assert rep["accounting"]["checked"]["train"]["pairs_out"] == 300
    assert (Path(made["out"].uri).parent / "report" / "pairs_train.png").read_bytes()[:4] == b"\x89PNG"


def test_views_are_the_core_augmentations(made):
    from datalife.transforms.draw import decode_image
    from datalife.transforms.pairs import pair_images

    got = _pairs(made, "train")
    views = [r for r in got.values() if r["pair/kind"] == [b"views"]]
    assert views and all(r["pair/view_a"][0] >= 1 for r in views)
    frame = pd.DataFrame({"a": [r["a"][0].decode() for r in views], "b": [r["b"][0].decode() for r in views],
                          "view_a": [r["pair/view_a"][0] for r in views], "view_b": [r["pair/view_b"][0] for r in views]})
    images = {k: decode_image(p) for k, p in made["png"].items()}
    want_a, want_b = pair_images(frame, images, POLICY, SPEC["seed"])
    for r, wa, wb in zip(views, want_a, want_b):
        np.testing.assert_array_equal(decode_image(r["a/image/encoded"][0]), wa)
        np.testing.assert_array_equal(decode_image(r["b/image/encoded"][0]), wb)


def test_positive_pairs_are_closer_than_negatives_on_pixels(made):
    got = _pairs(made, "train").values()
    dist = lambda r: np.linalg.norm(np.subtract(r["a/pixels"], r["b/pixels"]))  # noqa: E731
    same = [dist(r) for r in got if r["pair/kind"] == [b"same_class"]]
    diff = [dist(r) for r in got if r["pair/kind"] == [b"different_class"]]
    assert np.mean(same) < 0.85 * np.mean(diff)
