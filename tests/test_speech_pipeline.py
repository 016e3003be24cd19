"""The speech pipeline: the demo's clips through AudioExampleGen, waveform augmentation,
log-mel in Transform (equal to the NumPy core) and SpecAugment; bad files quarantined;
the real FSDD recordings, speaker-disjoint splits and feature statistics."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from conftest import shared_dataset
from datalife.pipeline.examples_io import read_examples
from datalife.transforms.audio_features import log_mel
from datalife.transforms.audio_io import load_clip
from pipeline_helpers import run_config

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "pipeline" / "configs" / "speech.yaml"


def _config(tmp_path, text):
    path = tmp_path / "speech.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("speech")
    data = tmp / "speech"
    shutil.copytree(REPO / "data" / "speech", data)
    (data / "yes_broken.wav").write_bytes(b"RIFF\x00\x00WAVEnot audio")  # unreadable
    wavfile.write(data / "no_empty.wav", 16000, np.zeros(0, np.int16))  # empty
    shutil.copy(data / "up_m1.wav", data / "README_clip.wav")  # no label in the name
    text = DEMO.read_text().replace("../../data/speech", str(data)).replace("root: ../../runs/demo-speech\n", "")
    return run_config(_config(tmp, text), tmp / "run")


def test_clips_are_read_resampled_and_bad_files_quarantined(demo):
    _, result = demo
    report = json.loads(Path(result.output_uri("AudioExampleGen", "report"), "report.json").read_text())
    c = report["counts"]
    assert (c["files_in"], c["clips_out"], c["files_quarantined"]) == (27, 24, 3)
    assert (c["quarantined_unreadable"], c["quarantined_empty"], c["quarantined_no_label"]) == (1, 1, 1)
    assert report["labels"] == {"down": 6, "no": 6, "up": 6, "yes": 6}
    lines = Path(result.output_uri("AudioExampleGen", "report"), "quarantine.jsonl").read_text().splitlines()
    quarantined = sorted((q["file"], q["reason"]) for q in map(json.loads, lines))
    assert quarantined == [("README_clip.wav", "no_label"), ("no_empty.wav", "empty"), ("yes_broken.wav", "unreadable")]
    assert report["quarantined"] == 3
    uri = result.output_uri("AudioExampleGen", "examples")
    rows = read_examples(uri, "train") + read_examples(uri, "eval")
    assert len(rows) == 24
    for r in rows[:5]:
        clip, _, _ = load_clip(str(REPO / "data" / "speech" / r["source_file"][0].decode()))
        np.testing.assert_array_equal(np.float32(r["audio"]), clip)  # the NumPy core, read back
        assert r["sample_rate"][0] == 16000 and r["label"][0].decode() == r["source_file"][0].decode().split("_")[0]


def test_train_is_augmented_and_log_mel_equals_the_numpy_core(demo):
    _, result = demo
    raw = result.output_uri("AudioExampleGen", "examples")
    aug = result.output_uri("AudioAugmenter", "augmented_examples")
    n_train, n_eval = len(read_examples(raw, "train")), len(read_examples(raw, "eval"))
    wave = read_examples(aug, "train")
    assert len(wave) == 3 * n_train and len(read_examples(aug, "eval")) == n_eval  # original + 2 copies
    copies = [r for r in wave if r["augment/copy"][0] > 0]
    assert all(b"time_shift" in r["augment/ops"][0] for r in copies)
    # Transform's TensorFlow log-mel of each eval clip equals the NumPy core's
    transformed = read_examples(result.output_uri("Transform", "transformed_examples"), "eval")
    by_label = {}
    for r in read_examples(raw, "eval"):
        by_label.setdefault(r["label"][0], []).append(log_mel(np.float32(r["audio"])[None])[0])
    for t in transformed:
        feats = np.float32(t["log_mel"]).reshape(49, 40)
        best = min(np.abs(feats - ref).max() for ref in by_label[t["label"][0]])
        assert best < 2e-3
    # label ids in natural order (issue 19: TFT's frequency order reversed ties), the vocabulary file too
    train = read_examples(result.output_uri("Transform", "transformed_examples"), "train")
    labels = sorted({t["label"][0] for t in train})  # the vocabulary is analysed on train
    assert all(t["label_id"][0] == labels.index(t["label"][0]) for t in train + transformed)
    vocab = Path(result.output_uri("Transform", "transform_graph"), "transform_fn", "assets", "labels")
    assert vocab.read_bytes().split() == labels
    # SpecAugment masked each train example in place with the mean of its own log-mel
    originals = [np.float32(r["log_mel"]) for r in train]
    spec = read_examples(result.output_uri("SpecAugmenter", "augmented_examples"), "train")
    assert len(spec) == len(wave) == len(originals)
    masked = 0
    for r in spec:
        flat = np.float32(r["log_mel"])
        original = max(originals, key=lambda o: int((o == flat).sum()))  # the unmasked cells are unchanged
        f, fill = flat.reshape(49, 40), np.float32(original.astype(np.float64).mean())
        assert fill < -1  # a log-mel mean: far below the old fill 0
        band_cols, band_rows = (f == fill).all(axis=0).sum(), (f == fill).all(axis=1).sum()
        masked += (band_cols + band_rows) > 0
        np.testing.assert_array_equal(f[f != fill], original.reshape(49, 40)[f != fill])
        assert b"spec_augment" in r["augment/ops"][0]
    assert masked > 0.7 * len(spec)  # a drawn band may have width 0


def test_fsdd_speaker_disjoint_splits_and_feature_statistics(tmp_path):
    fsdd = shared_dataset("fsdd") / "recordings"
    text = DEMO.read_text().replace("../../data/speech", str(fsdd)).replace("root: ../../runs/demo-speech\n", "")
    text = text.replace('pattern: "*.wav"', 'pattern: "*_[0-4].wav"')  # 5 takes x 10 digits x 6 speakers
    text = text.replace('label_pattern: "^(?P<label>[a-z]+)_"', 'label_pattern: "^(?P<label>[0-9])_"\n'
                        '    group_pattern: "^[0-9]_(?P<group>[a-z]+)_"')
    text = text.replace("splits: {train: 3, eval: 1}", "splits: {train: 4, eval: 1}")  # 5 speakers : 1 by hash
    text = text[:text.index("  audio_augmenter:")] + text[text.index("  transform:"):]
    _, result = run_config(_config(tmp_path, text), tmp_path / "run")
    report = json.loads(Path(result.output_uri("AudioExampleGen", "report"), "report.json").read_text())
    assert report["counts"]["clips_out"] == 300 and report["counts"].get("files_quarantined", 0) == 0
    uri = result.output_uri("AudioExampleGen", "examples")
    speakers = {s: {r["source_file"][0].decode().split("_")[1] for r in read_examples(uri, s)} for s in ("train", "eval")}
    assert speakers["train"] and speakers["eval"] and not speakers["train"] & speakers["eval"]
    rows = read_examples(uri, "train")
    assert all(r["original_sample_rate"][0] == 8000 for r in rows)
    feats = np.stack([np.float32(t["log_mel"]).reshape(49, 40) for t in
                      read_examples(result.output_uri("Transform", "transformed_examples"), "train")])
    stats = {"clips": len(feats), "mean": float(feats.mean()), "std": float(feats.std()),
             "min": float(feats.min()), "max": float(feats.max())}
    print("FSDD log-mel statistics (train):", json.dumps(stats))
    # 8 kHz recordings resampled to 16 kHz hold nothing above 4 kHz: the top mel channels
    # (all above 4 kHz) sit at the log floor log(1e-6), the speech band well above it
    per_channel = feats.mean(axis=(0, 1))
    floor = np.log(1e-6)
    assert per_channel[-5:].mean() < floor + 0.5 and per_channel[5:25].mean() > floor + 3
    assert np.isfinite(feats).all() and stats["min"] >= np.log(1e-6) - 1e-3
