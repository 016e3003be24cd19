"""The weak-labeling report's content as pure functions: tables with class names,
a dev confusion matrix, each LF's dev mistakes (as data), and small PNG pictures
(matplotlib, Agg backend; bytes, ready to write or inline as base64).

- ``lf_bars_png``: per LF, coverage on the fit splits and accuracy on the dev split;
- ``label_distribution_png``: how many examples got each class, by label source;
- ``confusion_png``: the dev confusion matrix (gold rows x produced columns).
"""
from __future__ import annotations

import io
from typing import Mapping, Optional, Sequence

import numpy as np

from datalife.labeling.lfs import ABSTAIN

__all__ = ["confusion_matrix", "lf_mistakes", "lf_bars_png", "label_distribution_png", "confusion_png",
           "PNG_SIGNATURE"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def confusion_matrix(pred: Sequence[int], gold: Sequence[int], cardinality: int) -> np.ndarray:
    """``[k, k+1]`` counts: rows are gold classes, columns the produced class, the
    last column the rows left without a label (-1)."""
    pred, gold = np.asarray(pred, np.int64), np.asarray(gold, np.int64)
    out = np.zeros((cardinality, cardinality + 1), np.int64)
    np.add.at(out, (gold, np.where(pred < 0, cardinality, pred)), 1)
    return out


def lf_mistakes(L_dev: np.ndarray, gold: Sequence[int], lf_names: Sequence[str], class_names: Sequence[str],
                rows: Sequence[Mapping], n: int = 3, fields: Optional[Sequence[str]] = None) -> dict:
    """Per LF, up to ``n`` dev rows where it voted and was wrong (in row order), each
    a dict of the row's ``fields`` (all when None) plus ``vote`` and ``gold`` as class
    names; LFs with no mistakes map to an empty list."""
    L_dev, gold = np.asarray(L_dev), np.asarray(gold)
    out = {}
    for j, name in enumerate(lf_names):
        wrong = np.nonzero((L_dev[:, j] != ABSTAIN) & (L_dev[:, j] != gold))[0][:n]
        items = []
        for i in wrong:
            row = dict(rows[i]) if fields is None else {f: rows[i][f] for f in fields}
            row.update(vote=class_names[int(L_dev[i, j])], gold=class_names[int(gold[i])])
            items.append(row)
        out[name] = items
    return out


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _figure(width: float, height: float, ncols: int = 1):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=(width, height), squeeze=False)


def lf_bars_png(lf_names: Sequence[str], coverage: Sequence[float],
                dev_accuracy: Optional[Sequence[Optional[float]]] = None) -> bytes:
    """Horizontal bars: each LF's coverage, and (with a dev split) its dev accuracy;
    an LF with no dev votes shows no accuracy bar and 'n/a'."""
    m = len(lf_names)
    panels = 2 if dev_accuracy is not None else 1
    fig, axes = _figure(3.2 * panels + 1.5, 0.28 * m + 1.0, panels)
    y = np.arange(m)[::-1]
    ax = axes[0][0]
    ax.barh(y, coverage, color="#4c78a8")
    ax.set_yticks(y, labels=list(lf_names), fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_title("coverage (fit splits)", fontsize=9)
    if dev_accuracy is not None:
        ax = axes[0][1]
        acc = np.array([np.nan if a is None else a for a in dev_accuracy], float)
        ax.barh(y, np.nan_to_num(acc), color=np.where(acc < 0.5, "#e45756", "#54a24b"))
        for yi, a in zip(y, acc):
            if np.isnan(a):
                ax.text(0.01, yi, "n/a", va="center", fontsize=7)
        ax.set_yticks(y, labels=[""] * m)
        ax.set_xlim(0, 1)
        ax.set_title("dev accuracy", fontsize=9)
    return _png(fig)


def label_distribution_png(counts: Mapping[str, Mapping[str, int]], class_names: Sequence[str]) -> bytes:
    """Stacked bars: for each class, how many examples got it from each label source
    (``counts[source][class_name]``)."""
    fig, axes = _figure(1.2 * len(class_names) + 2.5, 2.6)
    ax = axes[0][0]
    x = np.arange(len(class_names))
    bottom = np.zeros(len(class_names))
    for source in sorted(counts):
        h = np.array([counts[source].get(c, 0) for c in class_names], float)
        ax.bar(x, h, bottom=bottom, label=source)
        bottom += h
    ax.set_xticks(x, labels=list(class_names), fontsize=8)
    ax.set_ylabel("examples", fontsize=8)
    ax.set_title("produced labels", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return _png(fig)


def confusion_png(matrix: np.ndarray, class_names: Sequence[str], title: str = "dev confusion") -> bytes:
    """A heat map of ``confusion_matrix`` output (an all-zero 'none' column is dropped)."""
    matrix = np.asarray(matrix)
    cols = list(class_names) + ["none"]
    if matrix.shape[1] == len(class_names) + 1 and not matrix[:, -1].any():
        matrix, cols = matrix[:, :-1], list(class_names)
    k = len(class_names)
    fig, axes = _figure(0.6 * len(cols) + 1.8, 0.6 * k + 1.2)
    ax = axes[0][0]
    ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=8,
                color="white" if v > matrix.max() / 2 else "black")
    ax.set_xticks(range(len(cols)), labels=cols, fontsize=8)
    ax.set_yticks(range(k), labels=list(class_names), fontsize=8)
    ax.set_xlabel("produced", fontsize=8)
    ax.set_ylabel("gold", fontsize=8)
    ax.set_title(title, fontsize=9)
    return _png(fig)
