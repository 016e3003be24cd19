"""Beam DoFn of the audio augmenter: a batch of serialized examples of one split ->
originals and augmented copies (augmented splits) or the same examples (others)."""
from __future__ import annotations

import glob
import hashlib
import os
from collections import Counter

import apache_beam as beam
import numpy as np
from apache_beam import pvalue

from datalife.components.audio_augmenter.spec import AudioAugmenterConfig
from datalife.components.record_io import Columns, content_keys
from datalife.tfrecords import encode_example
from datalife.transforms.audio_policy import apply_spec, apply_waveform, describe, draw, draw_spec
from datalife.transforms.augment_random import ExampleRandom

__all__ = ["AugmentAudio", "COUNTS", "augment_one", "load_noise"]

COUNTS = "counts"


def load_noise(cfg: AudioAugmenterConfig) -> list:
    if not cfg.noise_dir:
        return []
    from datalife.transforms.audio_io import read_wav, resample

    clips = []
    for path in sorted(glob.glob(os.path.join(cfg.noise_dir, "*.wav"))):
        x, rate = read_wav(path)
        clips.append(resample(x, rate, cfg.sample_rate))
    if not clips:
        raise ValueError(f"{cfg.noise_dir}: no WAV noise clips")
    return clips


def augment_one(raw: bytes, audio, features, cfg: AudioAugmenterConfig, policy, noise, counts: Counter,
                key: str | None = None) -> list:
    """``key``: the example's content key (``record_io.content_keys``); its draws derive from it."""
    key = key or hashlib.sha256(raw).hexdigest()
    out = [raw + encode_example({"augment/copy": ("int", [0]), "augment/ops": ("bytes", [b""])})] \
        if cfg.keep_originals else []
    counts["originals_out"] += int(cfg.keep_originals)
    for copy in range(1, cfg.copies + 1):
        rand = ExampleRandom(cfg.seed, key, copy)
        feats, ops = {"augment/copy": ("int", [copy])}, []
        if policy.ops:
            drawn = draw(policy, rand, cfg.sample_rate)
            x = apply_waveform(policy, drawn, np.asarray(audio, np.float32), noise)
            feats[cfg.audio_feature] = ("float", x.tolist())
            ops.append(describe(policy, drawn))
        if policy.spec_augment is not None:
            f = np.asarray(features, np.float32).reshape(cfg.features_shape)
            bands = draw_spec(policy.spec_augment, rand, *cfg.features_shape)
            feats[cfg.features_field] = ("float", apply_spec(policy.spec_augment, bands, f).ravel().tolist())
            ops.append(f"spec_augment(freq={bands[0]}, time={bands[1]})")
        feats["augment/ops"] = ("bytes", [" ".join(ops).encode()])
        out.append(raw + encode_example(feats))
        counts["copies_out"] += 1
    return out


class AugmentAudio(beam.DoFn):
    def __init__(self, config_json: str):
        self.config_json = config_json

    def setup(self):
        self.cfg = AudioAugmenterConfig.model_validate_json(self.config_json)
        self.policy = self.cfg.policy()
        self.noise = load_noise(self.cfg)

    def process(self, item):
        split, raws = item
        cfg, counts = self.cfg, Counter(clips_in=len(raws))
        if split not in cfg.splits:
            counts["passed_through"] += len(raws)
            for raw in raws:
                yield pvalue.TaggedOutput(split, raw)
        else:
            cols = Columns(raws)
            audio = cols.raw_column(cfg.audio_feature) if self.policy.ops else [None] * len(raws)
            feats = cols.raw_column(cfg.features_field) if self.policy.spec_augment else [None] * len(raws)
            n_features = cfg.features_shape[0] * cfg.features_shape[1]
            keys = content_keys(cols)
            for i, raw in enumerate(raws):
                if self.policy.ops and (audio[i] is None or not audio[i][1]):
                    raise ValueError(f"[{split}] an example has no {cfg.audio_feature!r} feature")
                if self.policy.spec_augment and (feats[i] is None or len(feats[i][1]) != n_features):
                    raise ValueError(f"[{split}] {cfg.features_field!r} must hold {cfg.features_shape} = "
                                     f"{n_features} values")
                counts["clips_augmented"] += 1
                for out in augment_one(raw, audio[i][1] if audio[i] else None, feats[i][1] if feats[i] else None,
                                       cfg, self.policy, self.noise, counts, keys[i]):
                    yield pvalue.TaggedOutput(split, out)
        yield pvalue.TaggedOutput(COUNTS, (split, dict(counts)))
