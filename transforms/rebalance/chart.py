"""The report's picture: class counts before and after, the after bar split into
originals, duplicates and synthetic examples (PNG through matplotlib's Agg backend)."""
from __future__ import annotations

import io

__all__ = ["class_counts_png"]

COLOURS = {"before": "#9e9e9e", "original": "#1f77b4", "duplicate": "#ff7f0e", "synthetic": "#2ca02c"}


def class_counts_png(report: dict, title: str = "class counts") -> bytes:
    """PNG bytes from a rebalance report (``out.attrs["rebalance"]`` or the component's)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    classes = list(report["counts_in"])
    x = np.arange(len(classes))
    fig, ax = plt.subplots(figsize=(max(4.5, 1.5 + 0.8 * len(classes)), 3.4))
    ax.bar(x - 0.2, [report["counts_in"][c] for c in classes], 0.4, color=COLOURS["before"], label="before")
    bottom = np.zeros(len(classes))
    for kind in ("original", "duplicate", "synthetic"):
        vals = np.array([report["by_kind"][c][kind] for c in classes], dtype=float)
        if vals.any() or kind == "original":
            ax.bar(x + 0.2, vals, 0.4, bottom=bottom, color=COLOURS[kind], label=f"after: {kind}")
        bottom += vals
    for xi, c in zip(x, classes):
        ax.text(xi + 0.2, report["counts_out"][c], str(report["counts_out"][c]), ha="center", va="bottom", fontsize=7)
        ax.text(xi - 0.2, report["counts_in"][c], str(report["counts_in"][c]), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, classes, rotation=30 if len(classes) > 6 else 0)
    ax.set_ylabel("examples")
    ax.set_title(f"{title} before and after: {report['strategy']}", fontsize=9)
    top = max(max(report["counts_in"].values()), max(report["counts_out"].values()))
    ax.set_ylim(0, top * 1.12 + 1)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
