"""One example per image across sources: the unified records of the same image bytes
(same content SHA-256) become one example, their boxes matched or fused, each output
box keeping who drew it.

Input: unified examples as ``unify.unify_record`` returns them (``sha256``, ``width``,
``height``, ``file``, ``source``, ``boxes`` in the canonical box format, ``class_ids``,
``class_names``; optional ``annotator`` and per-box ``scores``). A *rater* is a source,
or ``source:annotator`` where the format names annotators.

Policies (``MergeConfig.policy``):

- ``union``: every object once. Raters are visited in order (``preferred`` first, then
  by name); each rater's boxes are matched to the boxes kept so far (Hungarian, same
  class, IoU >= ``iou_threshold``); a matched box is dropped as a duplicate of the
  kept box it matched, an unmatched one is kept.
- ``consensus``: weighted box fusion over the raters (``wbf.weighted_boxes_fusion``,
  IoU > ``iou_threshold``, per-source ``weights``); a fused box scoring below
  ``min_score`` is dropped (low support). Its first member is "kept", the others are
  "fused" into it.
- ``preferred``: the boxes of the first rater in ``preferred`` order; the others'
  boxes are dropped, as duplicates when they match a kept box, else as not preferred.

Every input box is accounted for, in counts (:data:`MERGE_RULES`) and in a per-box ledger (fate ``kept`` /
``fused`` / ``dropped_duplicate`` / ``dropped_not_preferred`` / ``dropped_low_support`` /
``quarantined``, and the output box it went into)::

    views_in = views_merged + views_quarantined
    boxes_in = boxes_out + boxes_fused + boxes_dropped_duplicate + boxes_dropped_not_preferred
               + boxes_dropped_low_support + boxes_quarantined

Bad input: records of one image that disagree on its size (``size_conflict``: the whole
image), or a class outside the canonical vocabulary (``unknown_class``: that record),
raise an ``AnnotationError`` naming source, file and field, or are quarantined and
counted (``Canonical.on_invalid="quarantine"``); a declared source that contributes no image at
all is an error (or counted as ``sources_empty``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Literal, Optional, Sequence

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from datalife.common.accounting import AccountingError, Rule, check_accounting
from datalife.common.strict import FrozenModel
from datalife.labeling.quality.agreement import RaterBoxes, agreement_table, image_box_agreement
from datalife.labeling.quality.box_match import check_iou_threshold, match_boxes
from datalife.labeling.boxes import boxes_to_mask, convert_boxes
from datalife.labeling.formats.base import AnnotationError
from datalife.labeling.quality.near_duplicates import near_duplicate_pairs, phash
from datalife.labeling.unify import Canonical
from datalife.labeling.quality.wbf import weighted_boxes_fusion

__all__ = ["MergeConfig", "MergeOutcome", "MergeResult", "merge_image", "merge_examples", "check_merge_accounting",
           "rater_of", "ledger_fates", "MERGE_RULES", "POLICIES", "FATES"]

POLICIES = ("union", "consensus", "preferred")
FATES = ("kept", "fused", "dropped_duplicate", "dropped_not_preferred", "dropped_low_support", "quarantined")
MERGE_RULES = [
    Rule("views_in", ("views_merged", "views_quarantined")),
    Rule("boxes_in", ("boxes_out", "boxes_fused", "boxes_dropped_duplicate", "boxes_dropped_not_preferred",
                      "boxes_dropped_low_support", "boxes_quarantined")),
]
_FATE_COUNT = {"kept": "boxes_out", "fused": "boxes_fused", "dropped_duplicate": "boxes_dropped_duplicate",
               "dropped_not_preferred": "boxes_dropped_not_preferred",
               "dropped_low_support": "boxes_dropped_low_support", "quarantined": "boxes_quarantined"}


class MergeConfig(FrozenModel):
    """How the records of one image are merged, declared once (the label unifier's config
    embeds it as ``merge``). Bad input follows ``Canonical.on_invalid``."""

    policy: Literal["union", "consensus", "preferred"] = "union"
    iou_threshold: float = 0.5  # boxes of two raters are the same object from this IoU on
    preferred: tuple[str, ...] = ()  # source names, most trusted first (required by policy "preferred")
    weights: dict[str, float] = Field(default_factory=dict)  # consensus: source -> weight (default 1)
    min_score: float = Field(0.0, ge=0.0, le=1.0)  # consensus: fused boxes scoring below are dropped
    agreement_iou: float = 0.5  # IoU at which agreement counts a match
    near_duplicate_distance: Optional[int] = Field(None, ge=0, lt=32)  # report (never merge) images whose
    # perceptual hashes differ in <= this many bits; None: off

    @model_validator(mode="after")
    def _check(self):
        check_iou_threshold(self.iou_threshold, "merge iou_threshold")
        check_iou_threshold(self.agreement_iou, "agreement_iou")
        if self.policy == "preferred" and not self.preferred:
            raise ValueError("merge policy 'preferred' needs 'preferred': the source names, most trusted first")
        bad = {k: v for k, v in self.weights.items() if not float(v) > 0}
        if bad:
            raise ValueError(f"source weights must be positive, got {bad}")
        return self


@dataclass
class MergeOutcome:
    example: Optional[dict]
    counts: Counter
    ledger: list  # one row per input box
    problems: list  # {"key", "source", "file", "kind", "message"}
    agreement: Optional[object] = None  # agreement.ImageAgreement over the merged raters


@dataclass
class MergeResult:
    examples: list
    counts: dict
    ledger: pd.DataFrame
    problems: list
    agreement: pd.DataFrame  # agreement.agreement_table over all images
    images: pd.DataFrame  # per image: key, file, raters, min_f1, mean_iou, boxes_out
    pair_rows: list = field(default_factory=list)
    confusion_rows: list = field(default_factory=list)
    near_duplicates: Optional[pd.DataFrame] = None  # key_a, key_b, distance, file_a, file_b (never merged)


def rater_of(view: dict) -> str:
    annotator = view.get("annotator")
    return view["source"] if annotator in (None, "") else f"{view['source']}:{annotator}"


def _where(view: dict) -> str:
    return view.get("annotation") or view["source"]


def _order(views: Sequence[dict], preferred: Sequence[str]) -> list[dict]:
    rank = {s: i for i, s in enumerate(preferred)}
    return sorted(views, key=lambda v: (rank.get(v["source"], len(rank)), v["source"], str(v.get("annotator") or ""),
                                        v["file"]))


def _ledger_rows(view: dict, key: str, fate: str, into=None, reason: str = "") -> list[dict]:
    return [{"key": key, "source": view["source"], "annotator": view.get("annotator"), "file": view["file"],
             "box": j, "class": name, "fate": fate, "into": into, "reason": reason}
            for j, name in enumerate(view["class_names"])]


def _quarantine(views, key, kind, message, counts, ledger, problems):
    for v in views:
        counts.update(views_quarantined=1, boxes_quarantined=len(v["class_names"]))
        ledger.extend(_ledger_rows(v, key, "quarantined", reason=kind))
        problems.append({"key": key, "source": v["source"], "file": v["file"], "kind": kind, "message": message})
    counts[f"quarantined_{kind}"] += len(views)


def _size_conflict(views, key, canon, counts, ledger, problems) -> bool:
    sizes = {(int(v["width"]), int(v["height"])) for v in views}
    if len(sizes) < 2:
        return False
    first = views[0]
    other = next(v for v in views if (v["width"], v["height"]) != (first["width"], first["height"]))
    message = (f"the same image bytes (sha256 {key[:16]}...) are {first['width']}x{first['height']} in source "
               f"{first['source']!r} ({first['file']}) but {other['width']}x{other['height']} in source "
               f"{other['source']!r} ({other['file']})")
    if canon.on_invalid == "error":
        raise AnnotationError(_where(other), other["file"], "size", message, reason="size_conflict")
    _quarantine(views, key, "size_conflict", message, counts, ledger, problems)
    return True


def _class_problem(view: dict, canon: Canonical) -> Optional[str]:
    ids, names = list(view["class_ids"]), list(view["class_names"])
    if len(ids) != len(names) or len(names) != len(view["boxes"]):
        return f"{len(view['boxes'])} boxes, {len(ids)} class ids and {len(names)} class names"
    for k, (i, name) in enumerate(zip(ids, names)):
        if name not in canon.classes:
            return (f"box {k}: class {name!r} of source {view['source']!r} is not in the canonical classes "
                    f"({', '.join(canon.classes)})")
        if not (0 <= int(i) < len(canon.classes)) or canon.classes[int(i)] != name:
            return f"box {k}: class id {i} does not name class {name!r} (canonical classes: {', '.join(canon.classes)})"
    return None


def _valid_views(views, key, canon, counts, ledger, problems) -> list[dict]:
    good = []
    for v in views:
        message = _class_problem(v, canon)
        if message is None:
            good.append(v)
        elif canon.on_invalid == "error":
            raise AnnotationError(_where(v), v["file"], "class", message, reason="unknown_class")
        else:
            _quarantine([v], key, "unknown_class", message, counts, ledger, problems)
    return good


def _union_or_preferred(views, xy, cfg):
    """-> output boxes as (view index, box index) representatives, and per input box
    (view index, box index) -> (fate, output index)."""
    kept: list[tuple[int, int]] = []
    fates: dict = {}
    for vi, v in enumerate(views):
        ids = np.asarray(v["class_ids"], int)
        ref_xy = np.array([xy[a][b] for a, b in kept]).reshape(-1, 4)
        ref_ids = np.array([views[a]["class_ids"][b] for a, b in kept], int)
        ia, ib, _ = match_boxes(ref_xy, xy[vi], cfg.iou_threshold, ref_ids, ids)
        matched = dict(zip(ib.tolist(), ia.tolist()))
        for j in range(len(ids)):
            if j in matched:
                fates[(vi, j)] = ("dropped_duplicate", matched[j])
            elif vi == 0 or cfg.policy == "union":
                fates[(vi, j)] = ("kept", len(kept))
                kept.append((vi, j))
            else:
                fates[(vi, j)] = ("dropped_not_preferred", None)
    boxes = np.array([xy[a][b] for a, b in kept]).reshape(-1, 4)
    ids = np.array([views[a]["class_ids"][b] for a, b in kept], int)
    return boxes, ids, None, fates


def _consensus(views, xy, cfg):
    scores = [np.asarray(v.get("scores", np.ones(len(v["class_ids"]))), float) for v in views]
    weights = [float(cfg.weights.get(v["source"], 1.0)) for v in views]
    fusion = weighted_boxes_fusion(xy, scores, [v["class_ids"] for v in views], weights=weights,
                                   iou_thr=cfg.iou_threshold)
    if fusion.skipped:  # unified boxes have positive area; anything else is a bug upstream
        raise AssertionError(f"boxes skipped by the fusion: {fusion.skipped}")
    keep = fusion.scores >= cfg.min_score
    fates, out = {}, 0
    for k, members in enumerate(fusion.members):
        for m, (vi, j) in enumerate(members.tolist()):
            if not keep[k]:
                fates[(vi, j)] = ("dropped_low_support", None)
            else:
                fates[(vi, j)] = ("kept" if m == 0 else "fused", out)
        out += int(keep[k])
    return fusion.boxes[keep], fusion.labels[keep], fusion.scores[keep], fates


def merge_image(views: Sequence[dict], canon: Canonical, cfg: MergeConfig) -> MergeOutcome:
    """The unified records of one image (one content SHA-256) -> one example."""
    if not views:
        raise ValueError("merge_image needs at least one record")
    key = views[0]["sha256"]
    if any(v["sha256"] != key for v in views):
        raise ValueError("merge_image takes the records of one image (one sha256)")
    views = _order(views, cfg.preferred)
    counts = Counter(views_in=len(views), boxes_in=sum(len(v["class_names"]) for v in views))
    ledger, problems = [], []
    if _size_conflict(views, key, canon, counts, ledger, problems):
        return MergeOutcome(None, counts, ledger, problems)
    views = _valid_views(views, key, canon, counts, ledger, problems)
    if not views:
        return MergeOutcome(None, counts, ledger, problems)
    size = (views[0]["width"], views[0]["height"])
    xy = [convert_boxes(v["boxes"], canon.box_format, "xyxy:normalized", size) for v in views]
    raters = [rater_of(v) for v in views]
    agreement = image_box_agreement([RaterBoxes(r, b, np.asarray(v["class_ids"], int), v["file"])
                                     for r, b, v in zip(raters, xy, views)], canon.classes, cfg.agreement_iou)
    if cfg.policy == "consensus":
        boxes, ids, scores, fates = _consensus(views, xy, cfg)
    else:
        boxes, ids, scores, fates = _union_or_preferred(views, xy, cfg)
    members: list[list] = [[] for _ in range(len(boxes))]
    for vi, v in enumerate(views):
        for j, name in enumerate(v["class_names"]):
            fate, into = fates[(vi, j)]
            ledger.append({"key": key, "source": v["source"], "annotator": v.get("annotator"), "file": v["file"],
                           "box": j, "class": name, "fate": fate, "into": into, "reason": ""})
            counts[_FATE_COUNT[fate]] += 1
            if into is not None:
                members[into].append({"source": v["source"], "annotator": v.get("annotator"), "file": v["file"],
                                      "box": j})
    support = [len({(m["source"], m["annotator"]) for m in ms}) for ms in members]
    if scores is None:  # union / preferred: the share of the image's raters that drew the object
        scores = np.array(support, float) / len(set(raters))
    counts.update(views_merged=len(views), examples_out=1)
    counts.update(f"class:{canon.classes[i]}" for i in ids)
    first = views[0]
    example = {k: v for k, v in first.items() if k not in ("scores", "annotator", "mask")}
    if canon.masks:  # drawn from the merged boxes
        w, h = size
        example["mask"] = boxes_to_mask(np.asarray(boxes, float).reshape(-1, 4) * [w, h, w, h],
                                        np.asarray(ids, int) + 1, h, w)
    example.update({
        "boxes": convert_boxes(boxes, "xyxy:normalized", canon.box_format, size),
        "class_ids": [int(i) for i in ids], "class_names": [canon.classes[int(i)] for i in ids],
        "source": "+".join(dict.fromkeys(v["source"] for v in views)),
        "raters": list(dict.fromkeys(raters)), "files": [v["file"] for v in views],
        "annotations": [_where(v) for v in views],
        "box_scores": [float(s) for s in scores], "box_support": support,
        "box_raters": ["+".join(dict.fromkeys(rater_of(m) for m in ms)) for ms in members],
        "box_provenance": members,
        "agreement": agreement.summary["min_f1"], "mean_iou": agreement.summary["mean_iou"],
    })
    return MergeOutcome(example, counts, ledger, problems, agreement)


def ledger_fates(ledger: pd.DataFrame) -> dict:
    """{fate: boxes} of a ledger (the form :func:`check_merge_accounting` compares)."""
    return ledger["fate"].value_counts().to_dict() if len(ledger) else {}


def check_merge_accounting(counts: dict, ledger=None, component: str = "merge") -> dict:
    """Raises ``AccountingError`` unless every record and box is accounted for
    (:data:`MERGE_RULES`) and, given the ledger (a DataFrame, or its ``{fate: boxes}``),
    unless its fates add up to the same counts; returns the rules' terms."""
    terms = check_accounting(counts, MERGE_RULES, component=component)
    if ledger is not None:
        fates = ledger_fates(ledger) if isinstance(ledger, pd.DataFrame) else dict(ledger)
        for fate, name in _FATE_COUNT.items():
            if fates.get(fate, 0) != counts.get(name, 0):
                raise AccountingError(f"{component}: the ledger has {fates.get(fate, 0)} boxes {fate} but "
                                      f"{name} = {counts.get(name, 0)}")
    return terms


def merge_examples(examples: Iterable[dict], canon: Canonical, cfg: MergeConfig,
                   sources: Optional[Sequence[str]] = None) -> MergeResult:
    """All unified records -> one example per image (sorted by key), the box ledger, the
    counts and the agreement table. ``sources``: the declared source names; one that
    contributes no record is an error (or counted as ``sources_empty``)."""
    groups: dict[str, list] = {}
    for ex in examples:
        groups.setdefault(ex["sha256"], []).append(ex)
    seen = {v["source"] for vs in groups.values() for v in vs}
    counts, problems = Counter(), []
    for name in sources or ():
        if name not in seen:
            message = f"source {name!r} contributed no image to merge (all its records missing or quarantined)"
            if canon.on_invalid == "error":
                raise AnnotationError(name, None, "images", message, reason="source_empty")
            counts["sources_empty"] += 1
            problems.append({"key": None, "source": name, "file": None, "kind": "source_empty", "message": message})
    out, ledger, pair_rows, conf_rows, image_rows = [], [], [], [], []
    for key in sorted(groups):
        res = merge_image(groups[key], canon, cfg)
        counts.update(res.counts)
        ledger.extend(res.ledger)
        problems.extend(res.problems)
        if res.example is not None:
            out.append(res.example)
            pair_rows.extend(res.agreement.pairs)
            conf_rows.extend(res.agreement.confusion)
            image_rows.append({"key": key, "file": res.example["file"], **res.agreement.summary,
                               "boxes_out": len(res.example["class_ids"])})
    ledger_df = pd.DataFrame(ledger, columns=["key", "source", "annotator", "file", "box", "class", "fate", "into",
                                              "reason"])
    check_merge_accounting(counts, ledger_df)
    images = pd.DataFrame(image_rows, columns=["key", "file", "raters", "pairs", "min_f1", "mean_iou", "boxes_out"])
    near = None
    if cfg.near_duplicate_distance is not None:
        files = {ex["sha256"]: ex["file"] for ex in out}
        near = near_duplicate_pairs({ex["sha256"]: phash(ex["image"]) for ex in out}, cfg.near_duplicate_distance)
        near["file_a"], near["file_b"] = near.key_a.map(files), near.key_b.map(files)
        counts["near_duplicate_pairs"] = len(near)
    return MergeResult(out, dict(counts), ledger_df, problems, agreement_table(pair_rows), images, pair_rows,
                       conf_rows, near)
