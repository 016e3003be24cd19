"""Beam DoFns of the label unifier: parse one annotation file, unify one image."""
from __future__ import annotations

import os

from apache_beam import pvalue

from datalife.common.quarantine import quarantine_record
from datalife.common.splits import split_of
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.label_unifier.spec import LabelUnifierConfig
from datalife.labeling.formats import get_format
from datalife.labeling.formats.base import AnnotationError, Quarantined
from datalife.labeling.unify import REFUSED, encode_unified, problem, quarantine_outcome, unify_record

__all__ = ["source_files", "ParseFile", "Unify", "MergeImage", "COUNTS", "QUARANTINE", "NOTES", "VIEWS",
           "MERGE_COUNTS", "PAIRS", "REVIEW", "WORST",
           "IMAGES", "REFUSED"]

COUNTS, QUARANTINE, NOTES = "counts", "quarantine", "notes"
VIEWS, MERGE_COUNTS, PAIRS, IMAGES = "views", "merge_counts", "pairs", "images"
REVIEW, WORST = "review", "worst"  # review tasks of images below review_below; their drawn tiles


class _WithConfig(ConfigDoFn):
    config_type = LabelUnifierConfig

    def setup(self):
        super().setup()
        self.canon = self.cfg.canonical()
        self.sources = [self.cfg.source(i) for i in range(len(self.cfg.sources))]


def _base(s) -> str:
    """The folder a source's annotation files are named relative to in reports."""
    return s.path if os.path.isdir(s.path) else os.path.dirname(s.path)


def _relative(where: str, base: str) -> str:
    return where[len(base) + 1:] if where.startswith(base + os.sep) else where


def _problem(p: dict, base: str) -> dict:
    """A quarantine record with the annotation file relative to its source (errors
    raised in error mode keep the full path)."""
    return {**p, "file": _relative(p["file"] or "", base) or None, "message": p["message"].replace(base + os.sep, "")}


def source_files(i: int, config_json: str):
    """A source index -> (source index, annotation file) for each of its files, listed in
    a worker: the launcher never holds (nor pickles into the graph) a path per image."""
    s = LabelUnifierConfig.model_validate_json(config_json).sources[i]
    for path in get_format(s.format).list_files(s.path):
        yield i, path


class ParseFile(_WithConfig):
    """(source index, annotation file) -> (source index, ImageLabels) per image; a
    record its reader set aside, or a file that cannot be parsed at all, raises or is
    quarantined (counted, with its reason) in quarantine mode."""

    def process(self, task):
        i, path = task
        s = self.cfg.sources[i]
        base = _base(s)
        try:
            items = get_format(s.format).scan_file(path, **s.options)
        except AnnotationError as exc:
            if self.cfg.on_invalid != "quarantine" or exc.reason in REFUSED:
                raise
            yield pvalue.TaggedOutput(COUNTS, (s.name, {"files_in": 1, "files_quarantined": 1,
                                                        f"quarantined_{exc.reason}": 1}))
            yield pvalue.TaggedOutput(QUARANTINE, _problem(problem(exc, s.name), base))
            return
        yield pvalue.TaggedOutput(COUNTS, (s.name, {"files_in": 1}))
        for item in items:
            if isinstance(item, Quarantined):  # a record its reader set aside: counted here
                outcome = quarantine_outcome(item, self.sources[i], self.canon)
                yield pvalue.TaggedOutput(COUNTS, (s.name, dict(outcome.counts)))
                for p in outcome.quarantined:
                    yield pvalue.TaggedOutput(QUARANTINE, _problem(p, base))
                continue
            yield i, item


class Unify(_WithConfig):
    """(source index, ImageLabels) -> a serialized example on its split's output, plus
    counts and problems."""

    def process(self, item):
        i, rec = item
        fmt = get_format(self.sources[i].format)
        base = _base(self.cfg.sources[i])
        outcome = unify_record(rec, self.sources[i], self.canon, fmt.NATIVE, fmt.ORIGIN)
        yield pvalue.TaggedOutput(COUNTS, (self.sources[i].name, dict(outcome.counts)))
        for p in outcome.quarantined:
            yield pvalue.TaggedOutput(QUARANTINE, _problem(p, base))
        for note in outcome.notes:
            yield pvalue.TaggedOutput(NOTES, {**note, "annotation": _relative(note["annotation"], base)})
        if outcome.example is not None:
            example = {**outcome.example, "annotation": _relative(outcome.example["annotation"], base)}
            if self.cfg.merge is not None:  # merged per image bytes across sources first
                yield pvalue.TaggedOutput(VIEWS, (example["sha256"], example))
                return
            split = split_of(example["sha256"], self.cfg.splits)
            yield pvalue.TaggedOutput(split, encode_unified(example, self.canon.box_format))


def _plain(v):
    return None if v is None or v != v else float(v)  # NaN (no pair of raters): None


def _review_tile(key: str, views, agreement: float, canon) -> str:
    """The image with every rater's boxes in the rater's colour, as base64 PNG (JSON-safe)."""
    import base64

    from datalife.labeling.quality.agreement_pictures import disagreement_picture

    caption = f"{views[0]['file']}  min F1 {agreement:.2f}"
    return base64.b64encode(disagreement_picture([views], canon, [caption], size=256, cols=1)).decode()


class MergeImage(_WithConfig):
    """(sha256, [unified records of those bytes]) -> the merged example on its split's
    output (with its agreement: ``agreement/min_f1``, ``agreement/mean_iou``, per box
    ``image/object/support`` and ``image/object/raters``), the merge counts, agreement
    pair rows, one per-image row and problems (raised in error mode by the core)."""

    def _review(self, key, views, agreement):
        from datalife.labeling.quality.review import box_review_tasks

        views = [{**v, "sha256": key} for v in views]
        for task in box_review_tasks([views], self.canon, {key: agreement}, self.cfg.review_below):
            yield pvalue.TaggedOutput(REVIEW, task)
        yield pvalue.TaggedOutput(WORST, (agreement, key, _review_tile(key, views, agreement, self.canon)))

    def process(self, item):
        import numpy as np

        from datalife.common.codec import add_features
        from datalife.labeling.quality.merge import merge_image

        key, views = item
        views = sorted(views, key=lambda v: (v["source"], v.get("annotator") or "", v["file"], v["annotation"]))
        res = merge_image(views, self.canon, self.cfg.merge)
        yield pvalue.TaggedOutput(MERGE_COUNTS, ("merge", dict(res.counts)))
        for p in res.problems:
            yield pvalue.TaggedOutput(QUARANTINE, quarantine_record(p.get("file"), p["kind"], p["message"],
                                                                    record=key[:16], source=p.get("source")))
        if res.example is None:
            return
        ex = res.example
        ex["boxes"] = np.asarray(ex["boxes"], float).reshape(-1, 4)
        for row in res.agreement.pairs:
            yield pvalue.TaggedOutput(PAIRS, {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
        summary = {k: (_plain(v) if isinstance(v, float) else v) for k, v in res.agreement.summary.items()}
        yield pvalue.TaggedOutput(IMAGES, {"key": key, "file": ex["file"], "files": "; ".join(ex["files"]), **summary,
                                           "rater_names": ", ".join(ex["raters"]), "boxes_out": len(ex["class_ids"])})
        agreement = _plain(ex["agreement"])
        if agreement is not None and agreement < self.cfg.review_below:  # a person settles it
            yield from self._review(key, views, agreement)
        raw = encode_unified(ex, self.canon.box_format)
        extra = {"agreement/min_f1": [[_plain(ex["agreement"]) if _plain(ex["agreement"]) is not None else 1.0]],
                 "agreement/mean_iou": [[_plain(ex["mean_iou"]) if _plain(ex["mean_iou"]) is not None else 1.0]],
                 "agreement/raters": [list(ex["raters"])],
                 "image/object/support": [[int(n) for n in ex["box_support"]]],
                 "image/object/raters": [list(ex["box_raters"])]}
        kinds = {"agreement/min_f1": "float", "agreement/mean_iou": "float", "agreement/raters": "bytes",
                 "image/object/support": "int", "image/object/raters": "bytes"}
        [out] = add_features([raw], extra, kinds)
        yield pvalue.TaggedOutput(split_of(key, self.cfg.splits), out)
