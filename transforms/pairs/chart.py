"""The pair maker's report picture: pairs per kind, and how many pairs join each
(label a, label b), as a PNG through matplotlib's Agg backend."""
from __future__ import annotations

import io

__all__ = ["pairs_png"]


def pairs_png(report: dict, title: str = "contrastive pairs") -> bytes:
    """PNG bytes from one split's report (``pairs.attrs["pairs"][split]``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    classes = list(report["plan"]["counts"])
    m = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for r in report["label_matrix"]:
        m[classes.index(r["label_a"]), classes.index(r["label_b"])] += r["pairs"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(5.5 + 0.35 * len(classes), 3.4),
                                   gridspec_kw={"width_ratios": [1, 1.4]})
    kinds = list(report["by_kind"])
    ax1.bar(range(len(kinds)), [report["by_kind"][k] for k in kinds], color=["#2ca02c", "#1f77b4", "#d62728"])
    ax1.set_xticks(range(len(kinds)), [k.replace("_", "\n") for k in kinds], fontsize=7)
    ax1.set_ylabel("pairs")
    ax1.set_title(f"{title}: {report['pairs']} pairs", fontsize=9)
    im = ax2.imshow(m, cmap="viridis")
    ax2.set_xticks(range(len(classes)), classes, fontsize=7, rotation=45 if len(classes) > 6 else 0)
    ax2.set_yticks(range(len(classes)), classes, fontsize=7)
    ax2.set_xlabel("label b")
    ax2.set_ylabel("label a")
    fig.colorbar(im, ax=ax2, fraction=0.046)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
