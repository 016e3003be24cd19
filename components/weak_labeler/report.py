"""The weak labeler's report: JSON as computed, and a self-contained HTML page."""
from __future__ import annotations

import html
import json

__all__ = ["write_report", "render_html"]


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.3f}"
    return html.escape(str(v))


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_html(report: dict) -> str:
    parts = ["<h1>Weak labeling report</h1>",
             "<h2>Label model</h2>", _table([report["label_model"]]),
             "<h2>Labeling-function faults</h2>", _table([report["lf_faults"]])]
    if "dev" in report:
        dev = report["dev"]
        parts += [f"<h2>Dev split {html.escape(dev['split'])} ({dev['rows']} rows)</h2>",
                  _table([{"label model accuracy": dev["label_model_accuracy"],
                           "majority vote accuracy": dev["majority_vote_accuracy"],
                           "label model accuracy (covered rows)": dev["label_model_accuracy_covered"],
                           "majority vote accuracy (covered rows)": dev["majority_vote_accuracy_covered"],
                           "coverage": dev["coverage"]}]),
                  _table(dev["lfs"])]
    for split, s in report["splits"].items():
        summary = {k: v for k, v in s.items() if k != "lfs"}
        parts += [f"<h2>Split {html.escape(split)}</h2>", _table([summary]), _table(s["lfs"])]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Weak labeling report</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def write_report(report: dict, uri: str) -> None:
    import tensorflow as tf

    tf.io.gfile.makedirs(uri)
    with tf.io.gfile.GFile(f"{uri}/report.json", "w") as f:
        f.write(json.dumps(report, indent=2, sort_keys=True))
    with tf.io.gfile.GFile(f"{uri}/report.html", "w") as f:
        f.write(render_html(report))
