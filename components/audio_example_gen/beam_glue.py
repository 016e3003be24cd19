"""Beam DoFn of the audio ExampleGen: one WAV file -> one example on its split, or a
quarantine entry (unreadable, empty, unlabeled)."""
from __future__ import annotations

import csv
import os
import re

import apache_beam as beam
from apache_beam import pvalue

from datalife.components.audio_example_gen.spec import AudioExampleGenConfig
from datalife.splits import split_of_text
from datalife.tfrecords import encode_example
from datalife.transforms.audio_io import load_clip

__all__ = ["ReadClip", "COUNTS", "PROBLEMS"]

COUNTS, PROBLEMS = "counts", "problems"


class ReadClip(beam.DoFn):
    def __init__(self, config_json: str):
        self.config_json = config_json

    def setup(self):
        self.cfg = AudioExampleGenConfig.model_validate_json(self.config_json)
        self.labels = None
        if self.cfg.labels_csv:
            with open(self.cfg.labels_csv, newline="") as f:
                self.labels = {row["file"]: row["label"] for row in csv.DictReader(f)}
        self.label_re = re.compile(self.cfg.label_pattern) if self.cfg.label_pattern else None
        self.group_re = re.compile(self.cfg.group_pattern) if self.cfg.group_pattern else None

    def _label(self, rel: str):
        if self.labels is not None:
            return self.labels.get(rel)
        m = self.label_re.search(os.path.basename(rel))
        return m.group("label") if m else None

    def process(self, rel: str):
        cfg = self.cfg
        label = self._label(rel)
        problem = None
        if label is None:
            problem = ("no_label", f"{rel}: no label (label_pattern / labels_csv does not match)")
        else:
            try:
                clip, rate, n = load_clip(os.path.join(cfg.input, rel), cfg.sample_rate, cfg.seconds)
            except ValueError as exc:
                kind = "empty" if "no samples" in str(exc) else "unreadable"
                problem = (kind, str(exc).replace(cfg.input + os.sep, ""))
        if problem:
            yield pvalue.TaggedOutput(COUNTS, {"files_in": 1, "files_quarantined": 1, f"quarantined_{problem[0]}": 1})
            yield pvalue.TaggedOutput(PROBLEMS, {"file": rel, "kind": problem[0], "message": problem[1]})
            return
        m = self.group_re.search(os.path.basename(rel)) if self.group_re else None
        split = split_of_text(m.group("group") if m else rel, cfg.splits)
        yield pvalue.TaggedOutput(COUNTS, {"files_in": 1, "clips_out": 1, f"split:{split}": 1, f"label:{label}": 1,
                                           "trimmed": int(n * cfg.sample_rate / rate > cfg.samples),
                                           "padded": int(n * cfg.sample_rate / rate < cfg.samples)})
        yield pvalue.TaggedOutput(split, encode_example({
            "audio": ("float", clip.tolist()), "sample_rate": ("int", [cfg.sample_rate]),
            "label": ("bytes", [label.encode()]), "source_file": ("bytes", [rel.encode()]),
            "original_sample_rate": ("int", [rate]), "original_samples": ("int", [n])}))
