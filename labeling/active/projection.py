"""The picture a person looks at before labeling a batch: a 2-D PCA projection of the
labeled examples (coloured by class), the unlabeled pool (grey) and the selected batch
(black rings, numbered by rank). Large pools are subsampled for drawing (the seeded key
order picks which unlabeled points are drawn; labeled and selected are always drawn).
PNG through matplotlib's Agg backend (no display needed)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

__all__ = ["project_2d", "plot_selection"]

MAX_UNLABELED = 5_000


def project_2d(X: np.ndarray, fit_rows: np.ndarray) -> np.ndarray:
    """(n, 2) PCA coordinates of every row, the projection fitted on ``fit_rows``."""
    from sklearn.decomposition import PCA

    X = np.asarray(X, dtype=np.float64)
    if X.shape[1] == 1:
        return np.column_stack([X[:, 0], np.zeros(len(X))])
    if X.shape[1] == 2:
        return X.copy()
    pca = PCA(n_components=2, random_state=0).fit(X[fit_rows])
    return pca.transform(X)


def plot_selection(X: np.ndarray, y: np.ndarray, selected: Sequence[int], path: str, *,
                   classes: Optional[Sequence] = None, order: Optional[np.ndarray] = None,
                   max_unlabeled: int = MAX_UNLABELED, title: str = "") -> str:
    """Write the picture to ``path``. ``y``: class ids, -1 unlabeled; ``selected``: row
    indices best first; ``order``: the seeded key order (default: row order) used to
    choose which unlabeled points to draw."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    y = np.asarray(y)
    selected = np.asarray(list(selected), dtype=np.int64)
    order = np.arange(len(y)) if order is None else np.asarray(order)
    unl = order[y[order] < 0]
    unl = unl[~np.isin(unl, selected)][:max_unlabeled]
    lab = np.flatnonzero(y >= 0)
    drawn = np.concatenate([unl, lab, selected])
    xy = np.empty((len(y), 2))
    xy[drawn] = project_2d(np.asarray(X)[drawn], np.arange(len(drawn)))
    fig, ax = plt.subplots(figsize=(7, 6), dpi=110)
    ax.scatter(xy[unl, 0], xy[unl, 1], s=6, c="#c8c8c8", label=f"unlabeled ({(y < 0).sum():,}"
               + (f", {len(unl):,} drawn)" if len(unl) < (y < 0).sum() - len(selected) else ")"), linewidths=0)
    cmap = plt.get_cmap("tab10" if (classes is None or len(classes) <= 10) else "tab20")
    for c in np.unique(y[lab]):
        rows = lab[y[lab] == c]
        name = classes[c] if classes is not None else c
        ax.scatter(xy[rows, 0], xy[rows, 1], s=18, color=cmap(int(c) % cmap.N), label=f"labeled {name} ({len(rows)})")
    ax.scatter(xy[selected, 0], xy[selected, 1], s=90, facecolors="none", edgecolors="black", linewidths=1.5,
               label=f"selected ({len(selected)})")
    for rank, row in enumerate(selected[:50], start=1):
        ax.annotate(str(rank), xy[row], xytext=(4, 4), textcoords="offset points", fontsize=7)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(title or "labeled, unlabeled and selected examples (PCA)")
    ax.legend(fontsize=7, loc="best", markerscale=1.0, ncol=1 if len(np.unique(y[lab])) < 8 else 2)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
