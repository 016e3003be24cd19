"""The embedder component, executor to executor (``executor.run`` on Examples written
with ``common.tfrecords``, no TFX orchestration): vectors against the core computed
directly, the ImageNet daisy oracle through the component's own output, the same
vectors at two batch sizes, quarantine with reasons and in = out + quarantined."""
import csv

import numpy as np
import pytest

from component_io import read_split, run_executor
from conftest import REPO
from datalife.common.codec import Columns, content_keys, encode_rows
from datalife.components.embedder.executor import run
from datalife.components.embedder.spec import EmbedderConfig

DAISY = 985


def _by_key(out, split, feature="embedding"):
    raws = read_split(out, split)
    cols = Columns(raws)
    ids = cols["id"]
    return {i: np.asarray(v, dtype=np.float32) for i, v in zip(ids, cols.values(feature))}


@pytest.fixture(scope="module")
def messages():
    with open(REPO / "data" / "messages" / "messages-train.csv") as f:
        return list(csv.DictReader(f))[:60]


def test_text_embeddings_match_the_core_at_two_batch_sizes(tmp_path, messages):
    from datalife.transforms.embeddings.text import TextEmbedder, TextEmbeddingSpec, sample_by_key

    rows = [{"id": [i], "text": [r["CONTENT"]]} for i, r in enumerate(messages)] + [{"id": [999]}]
    recs = encode_rows(rows)
    splits = {"train": recs[:45], "eval": recs[45:]}
    results = []
    for batch in (7, 64):
        cfg = EmbedderConfig(kind="text", text={"dim": 16}, batch_size=batch, seed=5)
        out, report = run_executor(run, tmp_path / f"b{batch}", splits, cfg.model_dump_json())
        assert report["counts"]["train"] == {"rows_in": 45, "rows_out": 45, "rows_quarantined": 0}
        assert report["counts"]["eval"] == {"rows_in": 16, "rows_out": 15, "rows_quarantined": 1,
                                            "quarantined_missing_text": 1}
        [q] = report_quarantine(tmp_path / f"b{batch}")
        assert q["reason"] == "missing_text" and q["field"] == "text" and q["split"] == "eval"
        results.append({**_by_key(out, "train"), **_by_key(out, "eval")})
    a, b = results
    assert sorted(a) == list(range(60))
    assert all(np.array_equal(a[i], b[i]) for i in a)  # bit-identical whatever the batching
    # oracle: the core fitted on the same bottom-k sample (here every text), applied directly
    keys = content_keys(recs[:60])
    order = sample_by_key(keys, 60, seed=5)
    core = TextEmbedder(TextEmbeddingSpec(dim=16, seed=5)).fit([messages[i]["CONTENT"] for i in order])
    want = core.transform([m["CONTENT"] for m in messages])
    np.testing.assert_allclose(np.stack([a[i] for i in range(60)]), want, rtol=0, atol=1e-6)


def report_quarantine(root):
    import json

    return [json.loads(line) for line in (root / "report" / "quarantine.jsonl").read_text().splitlines()]


def test_image_embeddings_daisy_oracle_and_batch_invariance(tmp_path):
    import cv2
    import torch
    from sklearn.datasets import load_sample_images

    from datalife.transforms.embeddings.image import ImageEmbedder, load_model

    photos = load_sample_images().images  # a temple, a daisy
    crops = [photos[1][:300, :400]]
    images = [*photos, *crops]
    pngs = [cv2.imencode(".png", cv2.cvtColor(im, cv2.COLOR_RGB2BGR))[1].tobytes() for im in images]
    rows = [{"id": [i], "image/encoded": [png]} for i, png in enumerate(pngs)]
    rows += [{"id": [90], "image/encoded": [b"not an image"]}, {"id": [91]}]
    splits = {"train": encode_rows(rows)}
    results = []
    for batch in (2, 16):
        cfg = EmbedderConfig(kind="image", batch_size=batch, threads=1)
        out, report = run_executor(run, tmp_path / f"b{batch}", splits, cfg.model_dump_json())
        assert report["counts"]["train"] == {"rows_in": 5, "rows_out": 3, "rows_quarantined": 2,
                                             "quarantined_bad_image": 1, "quarantined_missing_image": 1}
        assert {q["reason"] for q in report_quarantine(tmp_path / f"b{batch}")} == {"bad_image", "missing_image"}
        assert report["model"]["dim"] == 1280
        results.append(_by_key(out, "train", "embedding"))
    a, b = results
    assert sorted(a) == [0, 1, 2]
    assert all(np.array_equal(a[i], b[i]) for i in a)  # one thread: bit-identical in any batch
    want = ImageEmbedder(batch_size=1, threads=1).embed(images)
    np.testing.assert_allclose(np.stack([a[i] for i in range(3)]), want, rtol=0, atol=1e-5)
    # the component's vectors through the network's own classifier: the flower is a daisy
    with torch.inference_mode():
        logits = load_model()._fc(torch.from_numpy(np.stack([a[0], a[1]]))).numpy()
    assert logits[1].argmax() == DAISY and logits[0].argmax() != DAISY


def test_audio_embeddings_match_the_core_and_quarantine(tmp_path):
    from scipy.io import wavfile

    from datalife.transforms.embeddings.audio import ClipEmbeddingSpec, clip_embedding
    from datalife.transforms.audio_features import FeatureSpec

    names = ["yes_m1", "no_f2", "up_m3", "down_f4"]
    waves = []
    for n in names:
        rate, x = wavfile.read(REPO / "data" / "speech" / f"{n}.wav")
        assert rate == 16000
        waves.append((x.astype(np.float32) / 32768.0) if x.dtype == np.int16 else x.astype(np.float32))
    rows = [{"id": [i], "audio": w.tolist(), "sample_rate": [16000]} for i, w in enumerate(waves)]
    rows += [{"id": [90], "audio": waves[0][:4000].tolist(), "sample_rate": [8000]},   # wrong rate
             {"id": [91], "audio": [0.0, float("nan"), 0.1] * 200, "sample_rate": [16000]},
             {"id": [92], "sample_rate": [16000]}]
    spec = ClipEmbeddingSpec(features=FeatureSpec(sample_rate=16000))
    cfg = EmbedderConfig(kind="audio", audio=spec, batch_size=3)
    out, report = run_executor(run, tmp_path, {"train": encode_rows(rows)}, cfg.model_dump_json())
    counts = report["counts"]["train"]
    assert counts["rows_in"] == 7 == counts["rows_out"] + counts["rows_quarantined"]
    assert {k: v for k, v in counts.items() if k.startswith("quarantined_")} == {
        "quarantined_sample_rate": 1, "quarantined_bad_audio": 1, "quarantined_missing_audio": 1}
    got = _by_key(out, "train")
    assert sorted(got) == [0, 1, 2, 3]
    for i, w in enumerate(waves):  # float32 samples survive the Example round trip exactly
        np.testing.assert_array_equal(got[i], clip_embedding(w, spec))


def test_embed_frame_api_reasons_and_propagation(messages):
    """The DataFrame API: vectors equal the core fitted on the key-sampled texts, rows
    that cannot be embedded carry their reason, and propagate_frame quarantines them."""
    import pandas as pd

    from datalife.labeling.propagation.frame import propagate_frame
    from datalife.labeling.propagation.knn_graph import KnnSpec
    from datalife.transforms.embeddings.frame import embed_frame
    from datalife.transforms.embeddings.text import TextEmbedder, TextEmbeddingSpec, sample_by_key

    df = pd.DataFrame({"id": [f"m{i}" for i in range(len(messages))],
                       "text": [m["CONTENT"] for m in messages],
                       "label": pd.Series([int(m["label"]) if i % 6 == 0 else None for i, m in enumerate(messages)],
                                          dtype=object)})
    df.loc[7, "text"] = None
    df["text"] = df["text"].astype(object)
    df.at[8, "text"] = 12345
    spec = TextEmbeddingSpec(dim=8, seed=3)
    emb = embed_frame(df, "text", kind="text", key="id", text=spec)
    assert emb["embedding_error"].tolist()[6:9] == [None, "missing_text", "bad_text"]
    good = [i for i in range(len(df)) if i not in (7, 8)]
    keys = [df["id"][i] for i in good]
    core = TextEmbedder(spec).fit([df["text"][good[j]] for j in sample_by_key(keys, spec.sample_rows, 3)])
    np.testing.assert_array_equal(np.stack(emb["embedding"][good].tolist()),
                                  core.transform([df["text"][i] for i in good]))
    res = propagate_frame(emb, label="label", embedding="embedding", key="id", knn=KnnSpec(k=3), holdout=0.0)
    assert sorted(res.quarantine["key"]) == ["m7", "m8"]
    assert set(res.quarantine["reason"]) == {"missing_embedding"}
    assert res.summary["rows_in"] == 60 == res.summary["rows_out"] + 2
