"""Beam glue of the embedder: (split, [serialized]) batches -> the same examples with an
embedding feature added, or quarantined with their reason. It decodes, keys
(``common.codec.content_keys``), calls the core (``transforms/embeddings``) and
encodes; it imports neither TensorFlow nor TFX.

Text embeddings need a fitted state (IDF and SVD basis): ``text_sample_items`` keys
every text by ``sample_digest(seed, content key)``, Beam keeps the ``sample_rows``
smallest (``Top.Smallest``: the same rows whatever the batching), ``fit_text`` fits
on them and the state reaches every worker as a side input.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import replace

import numpy as np
from apache_beam import pvalue

from datalife.common.codec import Columns, add_features, content_keys
from datalife.common.quarantine import quarantine_record
from datalife.common.strict import seed_or_default
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.embedder.spec import EmbedderConfig

__all__ = ["Embed", "COUNTS", "QUARANTINE", "decode_inputs", "text_sample_items", "fit_text", "text_spec",
           "available_cores"]

COUNTS, QUARANTINE = "counts", "quarantine"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def text_spec(cfg: EmbedderConfig):
    """The text spec with the component's seed (the pipeline's when not given)."""
    return replace(cfg.text, seed=seed_or_default(cfg.seed))


def _decode_one(cfg: EmbedderConfig, value, rate):
    """One example's input -> (array or text, None) or (None, (reason, message))."""
    if not value:
        return None, (f"missing_{cfg.kind}", f"no {cfg.input_feature!r} feature")
    if cfg.kind == "image":
        from datalife.transforms.draw import decode_image

        image = decode_image(value[0]) if isinstance(value[0], bytes) else None
        if image is None:
            return None, ("bad_image", f"{cfg.input_feature!r} is not a decodable image")
        return image, None
    if cfg.kind == "audio":
        wave = np.asarray(value, dtype=np.float32)
        want = cfg.audio.features.sample_rate
        if rate is not None and int(rate[0]) != want:
            return None, ("sample_rate", f"clip sample rate {int(rate[0])} Hz, the embedding expects {want} Hz")
        if not np.isfinite(wave).all():
            return None, ("bad_audio", "the waveform holds NaN or infinity")
        return wave, None
    raw = value[0]
    if not isinstance(raw, bytes):
        return None, ("bad_text", f"{cfg.input_feature!r} is not a text (bytes) feature")
    return raw.decode("utf-8", errors="replace"), None


def decode_inputs(cfg: EmbedderConfig, raws):
    """The inputs of a batch: (keys, [(index, input)], [(index, reason, message)])."""
    cols = Columns(raws)
    values = cols.values(cfg.input_feature)
    rates = cols.values("sample_rate") if cfg.kind == "audio" else [None] * len(raws)
    keys = content_keys(raws)
    good, bad = [], []
    for i, (value, rate) in enumerate(zip(values, rates)):
        x, problem = _decode_one(cfg, value, rate)
        if problem is None:
            good.append((i, x))
        else:
            bad.append((i, *problem))
    return keys, good, bad


def text_sample_items(batch, config_json: str):
    """(sample digest, text) of every usable text of a batch (the sampling order)."""
    from datalife.transforms.embeddings.text import sample_digest

    cfg = EmbedderConfig.model_validate_json(config_json)
    seed = seed_or_default(cfg.seed)
    _, raws = batch
    keys, good, _ = decode_inputs(cfg, raws)
    return [(sample_digest(keys[i], seed), text) for i, text in good]


def fit_text(sample, config_json: str) -> dict:
    """The text embedding state fitted on the sample (``sample`` in digest order)."""
    from datalife.transforms.embeddings.text import TextEmbedder

    cfg = EmbedderConfig.model_validate_json(config_json)
    texts = [text for _, text in sorted(sample)]
    return TextEmbedder(text_spec(cfg)).fit(texts).state()


class Embed(ConfigDoFn):
    """(split, [serialized]) -> examples with ``output_feature`` on the split's output,
    quarantine records and counts; ``text_state``: the fitted text state (side input)."""

    config_type = EmbedderConfig

    def setup(self):
        super().setup()
        cfg = self.cfg
        self.model = None
        if cfg.kind == "image":
            from datalife.transforms.embeddings.image import ImageEmbedder

            self.model = ImageEmbedder(batch_size=cfg.batch_size, threads=cfg.worker_threads(available_cores()),
                                       resize=cfg.image_resize)
        self._text_state_id = None

    def _embed(self, inputs: list, text_state):
        cfg = self.cfg
        if cfg.kind == "image":
            return self.model.embed(inputs), []
        if cfg.kind == "text":
            if self._text_state_id != id(text_state):
                from datalife.transforms.embeddings.text import TextEmbedder

                self.model = TextEmbedder.from_state(text_state, text_spec(cfg))
                self._text_state_id = id(text_state)
            return self.model.transform(inputs), []
        from datalife.transforms.embeddings.audio import clip_embedding

        vectors, failed = [], []
        for j, wave in enumerate(inputs):
            try:
                vectors.append(clip_embedding(wave, cfg.audio))
            except ValueError as exc:
                vectors.append(None)
                failed.append((j, str(exc)))
        return vectors, failed

    def process(self, batch, text_state=None):
        split, raws = batch
        cfg = self.cfg
        counts = Counter(rows_in=len(raws), rows_out=0, rows_quarantined=0)
        keys, good, bad = decode_inputs(cfg, raws)
        vectors, failed = self._embed([x for _, x in good], text_state) if good else ([], [])
        for j, message in failed:
            bad.append((good[j][0], f"bad_{cfg.kind}", message))
        failed_rows = {j for j, _ in failed}
        kept = [(i, vectors[j]) for j, (i, _) in enumerate(good) if j not in failed_rows]
        for i, reason, message in sorted(bad):
            counts["rows_quarantined"] += 1
            counts[f"quarantined_{reason}"] += 1
            yield pvalue.TaggedOutput(QUARANTINE, quarantine_record(
                None, reason, message, record=keys[i], field=cfg.input_feature, split=split))
        if kept:
            counts["rows_out"] += len(kept)
            column = [np.asarray(v, dtype=np.float32).tolist() for _, v in kept]
            for out in add_features([raws[i] for i, _ in kept], {cfg.output_feature: column},
                                    kinds={cfg.output_feature: "float"}):
                yield pvalue.TaggedOutput(split, out)
        yield pvalue.TaggedOutput(COUNTS, (split, dict(counts)))
