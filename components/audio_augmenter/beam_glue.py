"""Beam DoFn of the audio augmenter: a batch of serialized examples of one split ->
originals and augmented copies (augmented splits) or the same examples (others). It
decodes, keys, calls the core (``transforms.audio_policy.augment_copy``) and encodes;
it imports neither TensorFlow nor TFX."""
from __future__ import annotations

import glob
import os
from collections import Counter

import numpy as np
from apache_beam import pvalue

from datalife.common.codec import Columns, add_features, content_keys
from datalife.common.quarantine import quarantine_record
from datalife.common.strict import seed_or_default
from datalife.components.audio_augmenter.spec import AudioAugmenterConfig
from datalife.components.beam_glue import ConfigDoFn
from datalife.transforms.audio_io import AudioFileError, check_samples
from datalife.transforms.audio_policy import augment_copy
from datalife.transforms.augment_random import ExampleRandom

__all__ = ["AugmentAudio", "COUNTS", "QUARANTINE", "load_noise", "noise_files"]

COUNTS, QUARANTINE = "counts", "quarantine"


def noise_files(cfg: AudioAugmenterConfig) -> list[str]:
    """The noise clips the augmenter reads (``noise_dir/*.wav``), sorted."""
    return sorted(glob.glob(os.path.join(cfg.noise_dir, "*.wav"))) if cfg.noise_dir else []


def load_noise(cfg: AudioAugmenterConfig) -> list:
    if not cfg.noise_dir:
        return []
    from datalife.transforms.audio_io import read_wav, resample

    clips = []
    for path in noise_files(cfg):
        x, rate = read_wav(path)
        clips.append(resample(x, rate, cfg.feature_spec().sample_rate))
    if not clips:
        raise ValueError(f"{cfg.noise_dir}: no WAV noise clips")
    return clips


class AugmentAudio(ConfigDoFn):
    config_type = AudioAugmenterConfig

    def setup(self):
        super().setup()
        self.policy = self.cfg.policy()
        self.noise = load_noise(self.cfg)
        self.seed = seed_or_default(self.cfg.seed)

    def _bad(self, split: str, key: str, source, audio, feats):
        """The quarantine record of an example whose waveform is missing or holds NaN,
        infinite or out-of-range samples, or whose features hold NaN / infinity; None when usable."""
        cfg, policy = self.cfg, self.policy
        name = (source or [b""])[0]
        name = (name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name or "")) or f"example {key}"
        checks = []
        if policy.ops:
            checks.append((cfg.audio_feature, audio, True))
        if policy.spec_augment and feats is not None:
            checks.append((cfg.features_field, feats, False))
        for field, values, pcm in checks:
            try:
                if not values:
                    raise AudioFileError(name, "no_audio", f"the example has no {field!r} feature")
                check_samples(np.asarray(values, np.float32), name, float_pcm=pcm)
            except AudioFileError as exc:
                return quarantine_record(name, exc.reason, f"[{split}] example {key}, feature {field!r}: {exc}",
                                         record=key, field=field, split=split)
        return None

    def _copies(self, split: str, raws: list, counts: Counter, quarantined: list):
        """(original bytes, features to add) for every output of the batch."""
        cfg, policy = self.cfg, self.policy
        cols = Columns(raws)
        audio = cols.values(cfg.audio_feature) if policy.ops else [None] * len(raws)
        feats = cols.values(cfg.features_field) if policy.spec_augment else [None] * len(raws)
        rate = cfg.feature_spec().sample_rate
        keys = content_keys(raws)
        sources = cols.values("source_file")
        for i, raw in enumerate(raws):
            bad = self._bad(split, keys[i], sources[i], audio[i], feats[i])
            if bad is not None:  # set aside, counted, with its reason
                counts["clips_quarantined"] += 1
                counts[f"quarantined_{bad['reason']}"] += 1
                quarantined.append(bad)
                continue
            shape = cfg.features_shape(len(feats[i] or [])) if policy.spec_augment else None
            counts["clips_augmented"] += 1
            if cfg.keep_originals:
                counts["originals_out"] += 1
                yield raw, {"augment/copy": 0, "augment/ops": b""}
            key = keys[i]  # what the example holds, not how it was serialized (Transform orders freely)
            for copy in range(1, cfg.copies + 1):
                out, ops = augment_copy(policy, ExampleRandom(self.seed, key, copy), rate, audio[i],
                                        None if shape is None else np.reshape(feats[i], shape), self.noise)
                extra = {"augment/copy": copy, "augment/ops": ops}
                if "audio" in out:
                    extra[cfg.audio_feature] = out["audio"]
                if "features" in out:
                    extra[cfg.features_field] = out["features"]
                counts["copies_out"] += 1
                yield raw, extra

    def process(self, item):
        split, raws = item
        counts = Counter(clips_in=len(raws))
        if split not in self.cfg.splits:
            counts["passed_through"] += len(raws)
            for raw in raws:
                yield pvalue.TaggedOutput(split, raw)
        else:
            quarantined: list = []
            pairs = list(self._copies(split, raws, counts, quarantined))
            for q in quarantined:
                yield pvalue.TaggedOutput(QUARANTINE, q)
            names = list(dict.fromkeys(k for _, extra in pairs for k in extra))
            kinds = {"augment/copy": "int", "augment/ops": "bytes", self.cfg.audio_feature: "float",
                     self.cfg.features_field: "float"}
            for out in add_features([raw for raw, _ in pairs], {k: [e.get(k) for _, e in pairs] for k in names},
                                    kinds):
                yield pvalue.TaggedOutput(split, out)
        yield pvalue.TaggedOutput(COUNTS, (split, dict(counts)))
