"""Beam DoFn of the audio ExampleGen: one WAV file -> one example on its split, or a
quarantined record (unreadable, empty, unlabeled). Imports neither TensorFlow nor TFX."""
from __future__ import annotations

import csv
import os
import re

from apache_beam import pvalue

from datalife.common.codec import encode_example
from datalife.common.quarantine import quarantine_record
from datalife.common.splits import split_of_text
from datalife.components.audio_example_gen.spec import AudioExampleGenConfig
from datalife.components.beam_glue import ConfigDoFn
from datalife.transforms.audio_io import AudioFileError, load_clip

__all__ = ["ReadClip", "COUNTS", "QUARANTINE"]

COUNTS, QUARANTINE = "counts", "quarantine"


class ReadClip(ConfigDoFn):
    config_type = AudioExampleGenConfig

    def setup(self):
        super().setup()
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

    def _quarantine(self, rel: str, reason: str, message: str):
        yield pvalue.TaggedOutput(COUNTS, {"files_in": 1, "files_quarantined": 1, f"quarantined_{reason}": 1})
        yield pvalue.TaggedOutput(QUARANTINE, quarantine_record(rel, reason, message))

    def process(self, rel: str):
        cfg = self.cfg
        label = self._label(rel)
        if label is None:
            yield from self._quarantine(rel, "no_label", f"{rel}: no label (label_pattern / labels_csv does not match)")
            return
        try:
            clip, rate, n = load_clip(os.path.join(cfg.input, rel), cfg.sample_rate, cfg.seconds)
        except AudioFileError as exc:
            yield from self._quarantine(rel, exc.reason, str(exc).replace(cfg.input + os.sep, ""))
            return
        m = self.group_re.search(os.path.basename(rel)) if self.group_re else None
        split = split_of_text(m.group("group") if m else rel, cfg.splits)
        yield pvalue.TaggedOutput(COUNTS, {"files_in": 1, "clips_out": 1, f"split:{split}": 1, f"label:{label}": 1,
                                           "trimmed": int(n * cfg.sample_rate / rate > cfg.samples),
                                           "padded": int(n * cfg.sample_rate / rate < cfg.samples)})
        yield pvalue.TaggedOutput(split, encode_example({
            "audio": clip, "sample_rate": cfg.sample_rate, "label": label, "source_file": rel,
            "original_sample_rate": rate, "original_samples": n}))
