"""Beam DoFns of the label unifier: parse one annotation file, unify one image (the core
is ``labeling.formats`` and ``labeling.unify``). Imports neither TensorFlow nor TFX."""
from __future__ import annotations

import os

from apache_beam import pvalue

from datalife.common.quarantine import from_error
from datalife.common.splits import split_of
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.label_unifier.spec import LabelUnifierConfig
from datalife.labeling.formats import get_format
from datalife.labeling.formats.base import AnnotationError
from datalife.labeling.unify import encode_unified, unify_record

__all__ = ["ParseFile", "Unify", "COUNTS", "QUARANTINE", "NOTES", "REFUSED"]

COUNTS, QUARANTINE, NOTES = "counts", "quarantine", "notes"
REFUSED = ("unsafe_path", "unsafe_xml")  # security refusals fail the run even in quarantine mode


class _WithConfig(ConfigDoFn):
    config_type = LabelUnifierConfig


def _relative(where: str, path: str, base: str) -> str:
    return os.path.relpath(path, base) + where[len(path):] if where.startswith(path) else where


class ParseFile(_WithConfig):
    """(source index, annotation file) -> (source index, ImageLabels) per image; a file
    that cannot be parsed raises, or is quarantined (counted) in quarantine mode."""

    def process(self, task):
        i, path = task
        s = self.cfg.sources[i]
        base = s.path if os.path.isdir(s.path) else os.path.dirname(s.path)
        try:
            records = get_format(s.format).read_file(path, **s.options)
        except AnnotationError as exc:
            if self.cfg.on_invalid != "quarantine" or exc.reason in REFUSED:
                raise
            yield pvalue.TaggedOutput(COUNTS, (s.name, {"files_in": 1, "files_quarantined": 1,
                                                        f"quarantined_{exc.reason}": 1}))
            record = from_error(exc, source=s.name)
            record.update(file=os.path.relpath(path, base), message=str(exc).replace(base + os.sep, ""))
            yield pvalue.TaggedOutput(QUARANTINE, record)
            return
        yield pvalue.TaggedOutput(COUNTS, (s.name, {"files_in": 1}))
        for rec in records:
            rec.where = _relative(rec.where, path, base)
            yield i, rec


class Unify(_WithConfig):
    """(source index, ImageLabels) -> a serialized example on its split's output, plus
    counts, quarantined records and notes."""

    def setup(self):
        super().setup()
        self.canon = self.cfg.canonical()
        self.sources = [self.cfg.source(i) for i in range(len(self.cfg.sources))]

    def process(self, item):
        i, rec = item
        fmt = get_format(self.sources[i].format)
        outcome = unify_record(rec, self.sources[i], self.canon, fmt.NATIVE, fmt.ORIGIN)
        yield pvalue.TaggedOutput(COUNTS, (self.sources[i].name, dict(outcome.counts)))
        for record in outcome.quarantined:
            yield pvalue.TaggedOutput(QUARANTINE, record)
        for note in outcome.notes:
            yield pvalue.TaggedOutput(NOTES, note)
        if outcome.example is not None:
            split = split_of(outcome.example["sha256"], self.cfg.splits)
            yield pvalue.TaggedOutput(split, encode_unified(outcome.example, self.canon.box_format))
