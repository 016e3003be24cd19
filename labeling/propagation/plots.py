"""Pictures of embeddings and propagated labels (matplotlib, PNG bytes): a 2-D
projection coloured by class with gold rows marked, and a confidence histogram.

The projection is PCA (NumPy's SVD of the centred rows): deterministic, linear, and
honest about distances; it shows whether classes separate in the feature space the
neighbours are searched in.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

__all__ = ["pca_2d", "projection_png", "confidence_png"]


def pca_2d(x: np.ndarray) -> np.ndarray:
    """[n, d] -> [n, 2]: the rows on their first two principal axes (signs fixed)."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0)
    if x.shape[1] < 2:
        return np.column_stack([x[:, 0], np.zeros(len(x))])
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    axes = vt[:2]
    axes *= np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])[:, None]
    return x @ axes.T


def projection_png(x: np.ndarray, classes: Sequence, sources: Optional[Sequence[str]] = None,
                   title: str = "") -> bytes:
    """Scatter of the 2-D projection, one colour per class (None: grey, no label); with
    ``sources``, gold rows are drawn as large black-edged dots over the rest."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from datalife.transforms.draw import figure_png

    xy = pca_2d(x)
    classes = np.asarray([None if c is None else str(c) for c in classes], dtype=object)
    names = sorted({c for c in classes if c is not None})
    cmap = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
    sources = np.asarray(sources if sources is not None else ["propagated"] * len(xy), dtype=object)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    none = np.array([c is None for c in classes])
    if none.any():
        ax.scatter(xy[none, 0], xy[none, 1], s=6, c="lightgrey", label="no label")
    for j, name in enumerate(names):
        mine = classes == name
        rest = mine & (sources != "gold")
        gold = mine & (sources == "gold")
        colour = cmap(j % cmap.N)
        ax.scatter(xy[rest, 0], xy[rest, 1], s=6, color=colour, alpha=0.6, label=str(name))
        if gold.any():
            ax.scatter(xy[gold, 0], xy[gold, 1], s=40, color=colour, edgecolors="black", linewidths=0.8)
    if (sources == "gold").any():
        ax.scatter([], [], s=40, facecolors="white", edgecolors="black", label="gold (given)")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(title or f"{len(xy)} rows, PCA of the features")
    ax.legend(fontsize=7, markerscale=1.5, loc="best", ncol=2 if len(names) > 6 else 1)
    return figure_png(fig)


def confidence_png(histogram: Sequence[dict], threshold: float) -> bytes:
    """Bars of the non-gold rows per confidence bin (``frame.confidence_histogram``) and
    the abstention threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from datalife.transforms.draw import figure_png

    fig, ax = plt.subplots(figsize=(6, 3.2))
    lows = [b["low"] for b in histogram]
    widths = [b["high"] - b["low"] for b in histogram]
    ax.bar(lows, [b["rows"] for b in histogram], width=widths, align="edge", color="tab:blue", edgecolor="white")
    ax.axvline(threshold, color="tab:red", linestyle="--", label=f"min_confidence {threshold:g}")
    ax.set_xlabel("confidence (largest class probability)")
    ax.set_ylabel("rows (not gold)")
    ax.legend(fontsize=8)
    return figure_png(fig)
