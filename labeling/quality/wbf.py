"""Weighted box fusion (Solovyev et al., 2021) in NumPy, returning which input boxes
went into each fused box.

Semantics follow ``ensemble_boxes.weighted_boxes_fusion`` (the test oracle): boxes are
normalized corners, clipped to [0, 1] (inverted corners swapped); zero-area boxes and
boxes scoring below ``skip_box_thr`` are skipped. Per class, boxes are visited in order
of descending weighted score (score x the weight of their list; ties in reverse input
order); a box joins the fused box it overlaps most if that IoU is *above* ``iou_thr``,
else it starts a new one. A fused box is the score-weighted mean of its members; its
score is the mean weighted score of its members times ``min(lists, members) / sum of
weights`` (``conf_type="avg"``) or their largest weighted score / the largest weight
(``"max"``). Unlike the oracle, bad input raises instead of printing and exiting, and
the members and skipped boxes are returned so that every input box is accounted for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

__all__ = ["Fusion", "weighted_boxes_fusion"]

CONF_TYPES = ("avg", "max")


@dataclass
class Fusion:
    boxes: np.ndarray  # (K, 4) fused corners, by descending score
    scores: np.ndarray  # (K,)
    labels: np.ndarray  # (K,) int
    members: list  # K arrays (M, 2) of (list index, box index) fused into each box
    skipped: list  # (list index, box index, reason) of boxes not fused: "zero_area" | "low_score"


def _inputs(boxes_list, scores_list, labels_list, weights):
    if not (len(boxes_list) == len(scores_list) == len(labels_list)):
        raise ValueError(f"{len(boxes_list)} box lists, {len(scores_list)} score lists and {len(labels_list)} "
                         "label lists: give one of each per source")
    w = np.ones(len(boxes_list)) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    if len(w) != len(boxes_list):
        raise ValueError(f"{len(w)} weights for {len(boxes_list)} box lists")
    if np.any(w <= 0) or not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be positive and finite, got {w.tolist()}")
    parts = []
    for t, (b, s, lab) in enumerate(zip(boxes_list, scores_list, labels_list)):
        b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
        s = np.asarray(s, dtype=np.float64).reshape(-1)
        lab = np.asarray(lab).reshape(-1)
        if not (len(b) == len(s) == len(lab)):
            raise ValueError(f"list {t}: {len(b)} boxes, {len(s)} scores and {len(lab)} labels")
        parts.append(np.column_stack([np.full(len(b), t), np.arange(len(b)), lab.astype(np.int64), s, b]))
    table = np.concatenate(parts).reshape(-1, 8) if parts else np.zeros((0, 8))
    return table, w


def weighted_boxes_fusion(boxes_list: Sequence, scores_list: Sequence, labels_list: Sequence,
                          weights: Optional[Sequence[float]] = None, iou_thr: float = 0.55,
                          skip_box_thr: float = 0.0, conf_type: str = "avg",
                          allows_overflow: bool = False) -> Fusion:
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type {conf_type!r} is not one of {', '.join(CONF_TYPES)}")
    table, w = _inputs(boxes_list, scores_list, labels_list, weights)
    src, idx, lab, score = table[:, 0].astype(int), table[:, 1].astype(int), table[:, 2].astype(int), table[:, 3]
    xy = table[:, 4:].copy()
    xy[:, [0, 2]] = np.sort(xy[:, [0, 2]], axis=1)
    xy[:, [1, 3]] = np.sort(xy[:, [1, 3]], axis=1)
    xy = np.clip(xy, 0.0, 1.0)
    low = score < skip_box_thr
    empty = ~low & ((xy[:, 2] - xy[:, 0]) * (xy[:, 3] - xy[:, 1]) == 0.0)
    skipped = [(int(src[k]), int(idx[k]), "low_score" if low[k] else "zero_area") for k in np.flatnonzero(low | empty)]
    live = ~(low | empty)
    wscore = score * w[src] if len(src) else score
    out_boxes, out_scores, out_labels, out_members = [], [], [], []
    for c in dict.fromkeys(lab[live].tolist()):
        rows = np.flatnonzero(live & (lab == c))
        rows = rows[np.argsort(wscore[rows], kind="stable")[::-1]]
        fused = np.empty((len(rows), 4))
        areas = np.empty(len(rows))
        sums, conf, members = [], [], []
        for r in rows:
            box = xy[r]
            best, k_n = -1, len(members)
            if k_n:
                f = fused[:k_n]
                iw = np.minimum(f[:, 2], box[2]) - np.maximum(f[:, 0], box[0])
                ih = np.minimum(f[:, 3], box[3]) - np.maximum(f[:, 1], box[1])
                inter = np.maximum(iw, 0.0) * np.maximum(ih, 0.0)
                iou = inter / (areas[:k_n] + (box[2] - box[0]) * (box[3] - box[1]) - inter)
                k = int(np.argmax(iou))
                if iou[k] > iou_thr:
                    best = k
            if best < 0:
                best = k_n
                sums.append(wscore[r] * box)
                conf.append([wscore[r]])
                members.append([r])
            else:
                sums[best] = sums[best] + wscore[r] * box
                conf[best].append(wscore[r])
                members[best].append(r)
            fb = sums[best] / sum(conf[best])
            fused[best] = fb
            areas[best] = (fb[2] - fb[0]) * (fb[3] - fb[1])
        for k in range(len(members)):
            n = len(members[k])
            if conf_type == "max":
                s = max(conf[k]) / w.max()
            else:
                s = np.sum(conf[k]) / n * (n if allows_overflow else min(len(w), n)) / w.sum()
            out_boxes.append(fused[k])
            out_scores.append(s)
            out_labels.append(c)
            out_members.append(np.stack([src[members[k]], idx[members[k]]], axis=1))
    order = np.argsort(np.asarray(out_scores, dtype=np.float64), kind="stable")[::-1]
    return Fusion(boxes=np.asarray(out_boxes, dtype=np.float64).reshape(-1, 4)[order],
                  scores=np.asarray(out_scores, dtype=np.float64)[order],
                  labels=np.asarray(out_labels, dtype=np.int64)[order],
                  members=[out_members[k] for k in order], skipped=skipped)
