"""How much labelers agree: boxes (precision / recall / F1 at an IoU, mean IoU of matched
boxes, class confusion) and image- or text-level labels (Cohen's and Fleiss' kappa).

Boxes: per image, every pair of raters (a source, or a source's annotator) is compared
with a one-to-one Hungarian matching (``box_match.match_boxes``): per class for
precision / recall / F1 and the mean IoU, ignoring classes for the confusion table.
Rater A is the reference: precision = matched / boxes of B, recall = matched / boxes
of A, F1 = 2 matched / (boxes of A + boxes of B). The per-image rows are additive
counts, so they can be summed across images (or Beam workers) and turned into tables
by :func:`agreement_table` and :func:`confusion_table`.

Labels: ``-1`` is "not rated" (abstain). Cohen's kappa compares two raters on the items
both rated; Fleiss' kappa takes items rated by every rater (items with a missing
rating are left out and counted).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Optional, Sequence

import numpy as np
import pandas as pd

from datalife.labeling.quality.box_match import check_iou_threshold, match_boxes

__all__ = ["RaterBoxes", "ImageAgreement", "image_box_agreement", "agreement_table", "confusion_table",
           "cohen_kappa", "fleiss_kappa", "kappa_table", "NONE"]

NONE = "<none>"  # the confusion table's row / column for boxes the other rater does not have


@dataclass(frozen=True)
class RaterBoxes:
    rater: str
    boxes: np.ndarray  # (N, 4) corners, one unit for all raters of an image
    class_ids: np.ndarray  # (N,) int
    file: str = ""  # the file name the rater gave the image (to pair copies of one labeling task)


@dataclass
class ImageAgreement:
    pairs: list  # {"rater_a", "rater_b", "class", "n_a", "n_b", "tp", "iou_sum"} per pair and class
    confusion: list  # {"rater_a", "rater_b", "class_a", "class_b", "count"}
    summary: dict  # {"raters", "pairs", "min_f1", "mean_iou"} (NaN when fewer than two raters)


def _f1(tp: float, n_a: float, n_b: float) -> float:
    return 1.0 if n_a + n_b == 0 else 2.0 * tp / (n_a + n_b)


def _pairs(raters: Sequence[RaterBoxes]):
    """Every pair of records of an image, except that when a rater has the image under
    several file names (byte-identical copies), another rater's record is compared only
    with the record of the same file name where there is one. Two records of one rater
    form an intra-rater pair (rater_a == rater_b)."""
    files = {}
    for r in raters:
        files.setdefault(r.rater, set()).add(r.file)
    for ra, rb in combinations(raters, 2):
        if ra.rater != rb.rater and ra.file != rb.file and (rb.file in files[ra.rater] or ra.file in files[rb.rater]):
            continue
        yield ra, rb


def image_box_agreement(raters: Sequence[RaterBoxes], classes: Sequence[str], iou: float = 0.5) -> ImageAgreement:
    """Pairwise counts for one image (raters in the order given: A before B)."""
    check_iou_threshold(iou, "agreement iou")
    pairs, confusion, f1s, iou_sum, tp_all = [], [], [], 0.0, 0
    for ra, rb in _pairs(raters):
        ca, cb = np.asarray(ra.class_ids, int), np.asarray(rb.class_ids, int)
        ia, ib, ious = match_boxes(ra.boxes, rb.boxes, iou, ca, cb)
        matched_class = ca[ia]
        tp_pair = 0
        for c in sorted(set(ca.tolist()) | set(cb.tolist())):
            hit = matched_class == c
            tp = int(hit.sum())
            pairs.append({"rater_a": ra.rater, "rater_b": rb.rater, "class": classes[c], "n_a": int((ca == c).sum()),
                          "n_b": int((cb == c).sum()), "tp": tp, "iou_sum": float(ious[hit].sum())})
            tp_pair += tp
        f1s.append(_f1(tp_pair, len(ca), len(cb)))
        iou_sum += float(ious.sum())
        tp_all += len(ious)
        ja, jb, _ = match_boxes(ra.boxes, rb.boxes, iou)
        cells = [(classes[ca[i]], classes[cb[j]]) for i, j in zip(ja, jb)]
        cells += [(classes[ca[i]], NONE) for i in sorted(set(range(len(ca))) - set(ja.tolist()))]
        cells += [(NONE, classes[cb[j]]) for j in sorted(set(range(len(cb))) - set(jb.tolist()))]
        for (x, y), n in sorted(Counter(cells).items()):
            confusion.append({"rater_a": ra.rater, "rater_b": rb.rater, "class_a": x, "class_b": y, "count": int(n)})
    summary = {"raters": len(raters), "pairs": len(f1s), "min_f1": min(f1s) if f1s else float("nan"),
               "mean_iou": iou_sum / tp_all if tp_all else float("nan")}
    return ImageAgreement(pairs, confusion, summary)


def agreement_table(pair_rows: Sequence[dict]) -> pd.DataFrame:
    """Per pair of raters and class (plus ``class == "all"``, micro-averaged): boxes of
    each rater, matched boxes, precision, recall, F1 and mean IoU of matched boxes."""
    cols = ["rater_a", "rater_b", "class", "n_a", "n_b", "tp", "precision", "recall", "f1", "mean_iou"]
    if not pair_rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(list(pair_rows))
    per_class = df.groupby(["rater_a", "rater_b", "class"], as_index=False, sort=True)[
        ["n_a", "n_b", "tp", "iou_sum"]].sum()
    overall = df.groupby(["rater_a", "rater_b"], as_index=False, sort=True)[["n_a", "n_b", "tp", "iou_sum"]].sum()
    overall["class"] = "all"
    t = pd.concat([per_class, overall], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        t["precision"] = np.where(t.n_b > 0, t.tp / t.n_b.where(t.n_b > 0, 1), np.nan)
        t["recall"] = np.where(t.n_a > 0, t.tp / t.n_a.where(t.n_a > 0, 1), np.nan)
        t["f1"] = [_f1(tp, a, b) for tp, a, b in zip(t.tp, t.n_a, t.n_b)]
        t["mean_iou"] = np.where(t.tp > 0, t.iou_sum / t.tp.where(t.tp > 0, 1), np.nan)
    t["order"] = (t["class"] == "all").astype(int)
    t = t.sort_values(["rater_a", "rater_b", "order", "class"]).reset_index(drop=True)
    return t[cols]


def confusion_table(confusion_rows: Sequence[dict], rater_a: str, rater_b: str) -> pd.DataFrame:
    """Class of A (rows) against class of B (columns) over boxes matched ignoring class;
    ``<none>`` counts the boxes one rater has and the other does not."""
    rows = [r for r in confusion_rows if r["rater_a"] == rater_a and r["rater_b"] == rater_b]
    if not rows:
        return pd.DataFrame(dtype=int)
    df = pd.DataFrame(rows)
    table = df.pivot_table(index="class_a", columns="class_b", values="count", aggfunc="sum", fill_value=0)
    labels = sorted((set(table.index) | set(table.columns)) - {NONE}) + [NONE]
    return table.reindex(index=labels, columns=labels, fill_value=0).astype(int)


def _rated(a, b, abstain):
    a, b = np.asarray(a).reshape(-1), np.asarray(b).reshape(-1)
    if len(a) != len(b):
        raise ValueError(f"the two raters rate {len(a)} and {len(b)} items")
    both = (a != abstain) & (b != abstain)
    return a[both], b[both]


def cohen_kappa(a: Sequence, b: Sequence, abstain=-1) -> float:
    """Cohen's kappa of two raters over the items both rated: (p_o - p_e) / (1 - p_e)
    (1.0 when both always give the one same label; NaN with no item rated by both)."""
    a, b = _rated(a, b, abstain)
    if len(a) == 0:
        return float("nan")
    labels = np.union1d(a, b)
    ia, ib = np.searchsorted(labels, a), np.searchsorted(labels, b)
    table = np.zeros((len(labels), len(labels)))
    np.add.at(table, (ia, ib), 1.0)
    table /= len(a)
    p_o = np.trace(table)
    p_e = float(table.sum(axis=1) @ table.sum(axis=0))
    return 1.0 if p_e == 1.0 else float((p_o - p_e) / (1.0 - p_e))


def fleiss_kappa(ratings, abstain=-1, counts: bool = False) -> dict:
    """Fleiss' kappa. ``ratings``: (items, raters) labels, ``abstain`` where missing; or,
    with ``counts=True``, (items, categories) numbers of raters per category (every row
    summing to the same number of raters). Returns {"kappa", "p_bar", "p_e", "items",
    "items_excluded", "raters"}."""
    r = np.asarray(ratings)
    if r.ndim != 2:
        raise ValueError(f"ratings must be 2-D, got shape {r.shape}")
    excluded = 0
    if counts:
        n_ij = r.astype(np.float64)
        n = n_ij.sum(axis=1)
        if len(n) and np.any(n != n[0]):
            sums = sorted(set(int(v) for v in n))
            raise ValueError(f"every item needs the same number of ratings; row sums are {sums}")
    else:
        full = (r != abstain).all(axis=1)
        excluded = int((~full).sum())
        r = r[full]
        cats = np.unique(r)
        n_ij = (r[:, :, None] == cats[None, None, :]).sum(axis=1).astype(np.float64)
        n = np.full(len(r), r.shape[1], dtype=np.float64)
    items = len(n_ij)
    raters = int(n[0]) if items else 0
    if items == 0 or raters < 2:
        return {"kappa": float("nan"), "p_bar": float("nan"), "p_e": float("nan"), "items": items,
                "items_excluded": excluded, "raters": raters}
    p_j = n_ij.sum(axis=0) / (items * raters)
    p_i = ((n_ij ** 2).sum(axis=1) - raters) / (raters * (raters - 1))
    p_bar, p_e = float(p_i.mean()), float((p_j ** 2).sum())
    kappa = 1.0 if p_e == 1.0 else (p_bar - p_e) / (1.0 - p_e)
    return {"kappa": float(kappa), "p_bar": p_bar, "p_e": p_e, "items": items, "items_excluded": excluded,
            "raters": raters}


def kappa_table(labels, raters: Optional[Sequence[str]] = None, abstain=-1) -> pd.DataFrame:
    """Per pair of raters (columns of ``labels``, an (items, raters) array or a
    DataFrame): items both rated, observed agreement and Cohen's kappa; a last row
    ``rater_a == "all"`` holds Fleiss' kappa over the items every rater rated."""
    if isinstance(labels, pd.DataFrame):
        raters = list(labels.columns) if raters is None else list(raters)
        labels = labels.to_numpy()
    L = np.asarray(labels)
    raters = [f"rater_{j}" for j in range(L.shape[1])] if raters is None else list(raters)
    if L.ndim != 2 or L.shape[1] != len(raters):
        raise ValueError(f"labels of shape {L.shape} for {len(raters)} raters")
    rows = []
    for i, j in combinations(range(L.shape[1]), 2):
        a, b = _rated(L[:, i], L[:, j], abstain)
        rows.append({"rater_a": raters[i], "rater_b": raters[j], "items": len(a),
                     "agreement": float((a == b).mean()) if len(a) else float("nan"),
                     "kappa": cohen_kappa(L[:, i], L[:, j], abstain), "method": "cohen"})
    f = fleiss_kappa(L, abstain)
    rows.append({"rater_a": "all", "rater_b": "all", "items": f["items"], "agreement": f["p_bar"],
                 "kappa": f["kappa"], "method": "fleiss"})
    return pd.DataFrame(rows)
