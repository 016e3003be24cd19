"""The Arrow ExampleGen's report: ``report.json`` (counts, columns and their types,
files and how they were read, the first quarantined records), ``quarantine.jsonl``
(every quarantined record: file, record = line, field = column, reason, message) and
``report.html`` (the same, with a bar of where the rows went). ``read_quarantine`` gives
the quarantine back as a pandas DataFrame."""
from __future__ import annotations

import html
import json

__all__ = ["build_summary", "write_report", "render_html", "read_quarantine", "read_summary", "SAMPLE"]

SAMPLE = 200  # quarantined records shown in report.json / report.html (all are in quarantine.jsonl)
_COLORS = ["#4c78a8", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#9d755d"]


def build_summary(counts: dict, quarantined: list[dict], columns: list[dict], files: list[dict], splits: list[str],
                  config: dict) -> dict:
    reasons = {k[7:]: v for k, v in sorted(counts.items()) if k.startswith("reason:")}
    return {
        "counts": {k: counts.get(k, 0) for k in ("rows_in", "rows_out", "rows_quarantined", "chunks",
                                                         "chunks_rewritten")},
        "splits": {s: counts.get(f"split:{s}", 0) for s in splits},
        "reasons": reasons,
        "columns": columns,
        "files": files,
        "quarantine_sample": sorted(quarantined, key=lambda q: (q["file"], q["record"]))[:SAMPLE],
        "config": config,
    }


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if r.get(c) is None else str(r.get(c)))}</td>"
                                    for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _bar(summary: dict) -> str:
    """Where the rows went: one stacked bar (splits, then quarantine reasons)."""
    parts = [(f"{s}", n) for s, n in summary["splits"].items()] + \
            [(f"quarantined: {r}", n) for r, n in summary["reasons"].items()]
    total = max(sum(n for _, n in parts), 1)
    x, rects, legend = 0.0, [], []
    for i, (label, n) in enumerate(parts):
        w = 600 * n / total
        color = _COLORS[i % len(_COLORS)] if not label.startswith("quarantined") else "#e45756"
        rects.append(f"<rect x='{x:.1f}' y='0' width='{w:.1f}' height='24' fill='{color}' stroke='white'>"
                     f"<title>{html.escape(label)}: {n}</title></rect>")
        legend.append(f"<span style='color:{color}'>&#9632;</span> {html.escape(label)}: {n:,}")
        x += w
    return (f"<svg width='600' height='24' xmlns='http://www.w3.org/2000/svg'>{''.join(rects)}</svg>"
            f"<p>{' &nbsp; '.join(legend)}</p>")


def render_html(summary: dict) -> str:
    c = summary["counts"]
    parts = ["<h1>Arrow ExampleGen</h1>",
             f"<p>{c['rows_in']:,} records in = {c['rows_out']:,} examples out + {c['rows_quarantined']:,} "
             f"quarantined</p>", _bar(summary),
             "<h2>Columns</h2>", _table(summary["columns"]),
             "<h2>Files</h2>", _table(summary["files"]),
             f"<h2>Quarantined records (first {SAMPLE}; all in quarantine.jsonl)</h2>",
             _table(summary["quarantine_sample"])]
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eee}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Arrow ExampleGen</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")


def write_report(uri: str, summary: dict, quarantined: list[dict]) -> None:
    from apache_beam.io.filesystem import CompressionTypes
    from apache_beam.io.filesystems import FileSystems

    def put(name: str, text: str) -> None:
        with FileSystems.create(f"{uri}/{name}", compression_type=CompressionTypes.UNCOMPRESSED) as f:
            f.write(text.encode())

    put("report.json", json.dumps(summary, indent=2, sort_keys=True))
    ordered = sorted(quarantined, key=lambda q: (q["file"], q["record"]))
    put("quarantine.jsonl", "".join(json.dumps(q, sort_keys=True) + "\n" for q in ordered))
    put("report.html", render_html(summary))


def read_summary(uri: str) -> dict:
    with open(f"{uri}/report.json") as f:
        return json.load(f)


def read_quarantine(uri: str):
    """Every quarantined record of a report artifact as a DataFrame
    (columns file, record, field, reason, message)."""
    import pandas as pd

    with open(f"{uri}/quarantine.jsonl") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return pd.DataFrame(rows, columns=["file", "record", "field", "reason", "message"])
