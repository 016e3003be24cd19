"""The audio augmenter's Beam graph and report."""
from __future__ import annotations

import html
import json
from collections import Counter

import apache_beam as beam
import tensorflow as tf

from datalife.components.audio_augmenter.beam_glue import COUNTS, AugmentAudio
from datalife.components.audio_augmenter.spec import AudioAugmenterConfig
from datalife.components.examples_beam import mark_examples, read_split_batches, write_split

__all__ = ["run", "check_accounting"]


def check_accounting(c: dict, cfg: AudioAugmenterConfig) -> None:
    c = Counter(c)
    ok = (c["clips_in"] == c["passed_through"] if c["passed_through"] else
          c["clips_in"] == c["clips_augmented"] and c["copies_out"] == cfg.copies * c["clips_augmented"]
          and c["originals_out"] == (c["clips_augmented"] if cfg.keep_originals else 0))
    if not ok:
        raise AssertionError(f"audio augmenter accounting broken: {dict(c)}")


def _report(counts_list, cfg: AudioAugmenterConfig, uri: str) -> None:
    counts = {}
    for split, c in counts_list:
        counts.setdefault(split, Counter()).update(c)
    for c in counts.values():
        check_accounting(c, cfg)
    summary = {"counts": {s: dict(c) for s, c in sorted(counts.items())}, "config": json.loads(cfg.model_dump_json())}
    tf.io.gfile.makedirs(uri)
    with tf.io.gfile.GFile(f"{uri}/report.json", "w") as f:
        f.write(json.dumps(summary, indent=2, sort_keys=True))
    rows = "".join(f"<tr><th>{html.escape(s)}</th><td>{html.escape(json.dumps(c, sort_keys=True))}</td></tr>"
                   for s, c in summary["counts"].items())
    with tf.io.gfile.GFile(f"{uri}/report.html", "w") as f:
        f.write("<!doctype html><html><head><meta charset='utf-8'><title>Audio augmentation</title></head><body>"
                f"<h1>Audio augmentation</h1><table border='1' cellpadding='3'>{rows}</table>"
                f"<p>ops <code>{html.escape(json.dumps(cfg.ops))}</code>, spec_augment "
                f"<code>{html.escape(json.dumps(cfg.spec_augment))}</code>, {cfg.copies} cop(ies)</p></body></html>")


def run(examples, augmented, report, config_json: str, pipeline) -> None:
    from tfx.types import artifact_utils

    cfg = AudioAugmenterConfig.model_validate_json(config_json)
    splits = artifact_utils.decode_split_names(examples.split_names)
    missing = sorted(set(cfg.splits) - set(splits))
    if missing:
        raise ValueError(f"audio_augmenter: splits {missing} are not in the input (it has {splits})")
    mark_examples(augmented, splits)
    with pipeline as p:
        out = (read_split_batches(p, examples, splits, batch_size=cfg.batch_size)
               | beam.ParDo(AugmentAudio(config_json)).with_outputs(COUNTS, *splits))
        for s in splits:
            write_split(out[s], augmented, s)
        _ = out[COUNTS] | beam.combiners.ToList() | beam.Map(_report, cfg, report.uri)
