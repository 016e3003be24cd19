"""Beam DoFns of the label unifier: parse one annotation file, unify one image."""
from __future__ import annotations

import os

import apache_beam as beam
from apache_beam import pvalue

from datalife.components.label_unifier.spec import LabelUnifierConfig
from datalife.labeling.formats import get_format
from datalife.labeling.formats.base import AnnotationError
from datalife.labeling.unify import encode_unified, split_of, unify_record

__all__ = ["ParseFile", "Unify", "COUNTS", "PROBLEMS", "REFUSED"]

COUNTS, PROBLEMS = "counts", "problems"
REFUSED = ("unsafe_path", "unsafe_xml")  # security refusals fail the run even in quarantine mode


class _WithConfig(beam.DoFn):
    def __init__(self, config_json: str):
        self.config_json = config_json

    def setup(self):
        self.cfg = LabelUnifierConfig.model_validate_json(self.config_json)


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
            yield pvalue.TaggedOutput(PROBLEMS, {"source": s.name, "file": None, "kind": exc.reason,
                                                 "annotation": os.path.relpath(path, base),
                                                 "message": str(exc).replace(base + os.sep, "")})
            return
        yield pvalue.TaggedOutput(COUNTS, (s.name, {"files_in": 1}))
        for rec in records:
            rec.where = _relative(rec.where, path, base)
            yield i, rec


class Unify(_WithConfig):
    """(source index, ImageLabels) -> a serialized example on its split's output, plus
    counts and problems."""

    def setup(self):
        super().setup()
        self.canon = self.cfg.canonical()
        self.sources = [self.cfg.source(i) for i in range(len(self.cfg.sources))]

    def process(self, item):
        i, rec = item
        fmt = get_format(self.sources[i].format)
        outcome = unify_record(rec, self.sources[i], self.canon, fmt.NATIVE, fmt.ORIGIN)
        yield pvalue.TaggedOutput(COUNTS, (self.sources[i].name, dict(outcome.counts)))
        for problem in outcome.problems:
            yield pvalue.TaggedOutput(PROBLEMS, problem)
        if outcome.example is not None:
            split = split_of(outcome.example["sha256"], self.cfg.splits)
            yield pvalue.TaggedOutput(split, encode_unified(outcome.example, self.canon.box_format))
