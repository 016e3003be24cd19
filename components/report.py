"""The one report writer of every datalife component.

``write_report(uri, title, summary, sections=..., pictures=..., quarantine=..., accounting=...)``
writes, under the component's ``report`` artifact:

- ``report.json``: ``summary`` plus ``quarantined`` (how many items were set aside) and
  ``accounting`` (the rules and the checked terms);
- ``report.html``: a self-contained page (no network): the title, the summary, the
  accounting, every section (tables are drawn from dicts and lists), the pictures
  (referenced by file name: the run report inlines them) and the quarantined items;
- the pictures (PNG bytes, by file name);
- ``quarantine.jsonl``: one line per quarantined item in the standard form of
  ``common.quarantine`` (``file``, ``record``, ``field``, ``reason``, ``message``, ...).

A section is ``(heading, content)``; content is text, a dict (a two-column table), a
dict of dicts (a table, one row per key), a list of dicts (a table, one row per item),
a list of text (a bullet list) or :class:`Picture` (a picture by file name). Files go
through ``tfx.dsl.io.fileio`` (local, GCS, HDFS, ...): call this in the executor after
the Beam graph ran, never on a worker.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from datalife.common.accounting import Rule, describe
from datalife.common.quarantine import FIELDS

__all__ = ["write_report", "render_html", "draw_pictures", "Picture", "QUARANTINE_FILE"]

QUARANTINE_FILE = "quarantine.jsonl"
MAX_LISTED = 200  # quarantined items listed in the HTML page (all are in quarantine.jsonl)
STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
         "td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}th{background:#eee}img{max-width:100%}")


@dataclass(frozen=True)
class Picture:
    """A picture of the report, by its file name (one of ``pictures``' keys)."""

    name: str
    alt: str = ""


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (dict, list, tuple)):
        return f"<code>{html.escape(json.dumps(v, default=str))}</code>"
    return html.escape("" if v is None else str(v))


def _table(rows: Sequence[Mapping], first: Optional[str] = None) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _block(content: Any) -> str:
    if isinstance(content, Picture):
        return f"<p><img src='{html.escape(content.name)}' alt='{html.escape(content.alt or content.name)}'></p>"
    if isinstance(content, str):
        return f"<p>{html.escape(content)}</p>"
    if isinstance(content, Mapping):
        if content and all(isinstance(v, Mapping) for v in content.values()):
            return _table([{"": k, **v} for k, v in content.items()])
        return _table([{"": k, "value": v} for k, v in content.items()])
    if isinstance(content, (list, tuple)):
        if content and all(isinstance(x, str) for x in content):
            return "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in content) + "</ul>"
        return _table(list(content))
    return f"<p>{_cell(content)}</p>"


def render_html(title: str, summary: Mapping, sections: Sequence[tuple[str, Any]] = (),
                quarantine: Sequence[Mapping] = (), pictures: Sequence[str] = ()) -> str:
    """The report page (pictures not placed by a section are shown at the end)."""
    shown = {c.name for _, c in sections if isinstance(c, Picture)}
    parts = [f"<h1>{html.escape(title)}</h1>"]
    scalars = {k: v for k, v in summary.items() if not isinstance(v, (Mapping, list, tuple))}
    if scalars:
        parts.append(_block(scalars))
    accounting = summary.get("accounting")
    if accounting:
        parts.append("<h2>Accounting</h2>" + _block(accounting["rules"]) + _block(accounting["checked"]))
    for heading, content in sections:
        parts.append((f"<h2>{html.escape(heading)}</h2>" if heading else "") + _block(content))
    for name in pictures:
        if name not in shown:
            parts.append(_block(Picture(name)))
    if quarantine:
        listed = [{k: q.get(k) for k in dict.fromkeys((*FIELDS, *q))} for q in quarantine[:MAX_LISTED]]
        more = f" (the first {MAX_LISTED}; all in {QUARANTINE_FILE})" if len(quarantine) > MAX_LISTED else ""
        parts.append(f"<h2>Quarantined ({len(quarantine)}){more}</h2>" + _table(listed))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")


def write_report(uri: str, title: str, summary: Mapping, sections: Sequence[tuple[str, Any]] = (),
                 pictures: Optional[Mapping[str, bytes]] = None, quarantine: Sequence[Mapping] = (),
                 accounting: Optional[tuple[Sequence[Rule], Mapping[str, Mapping[str, int]]]] = None) -> dict:
    """Write the component's report (see the module docstring); returns the summary as
    written to ``report.json``. ``accounting``: the rules and, per scope (a split, a
    source, "all"), the terms :func:`common.accounting.check_accounting` returned."""
    from tfx.dsl.io import fileio

    summary = dict(summary)
    summary["quarantined"] = len(quarantine)
    if accounting is not None:
        rules, checked = accounting
        summary["accounting"] = {"rules": describe(rules), "checked": {k: dict(v) for k, v in checked.items()}}
    pictures = dict(pictures or {})
    fileio.makedirs(uri)
    with fileio.open(f"{uri}/report.json", "w") as f:
        f.write(json.dumps(summary, indent=2, sort_keys=True, default=str))
    with fileio.open(f"{uri}/{QUARANTINE_FILE}", "w") as f:
        f.write("".join(json.dumps(dict(q), default=str) + "\n" for q in quarantine))
    for name, data in pictures.items():
        with fileio.open(f"{uri}/{name}", "wb") as f:
            f.write(data)
    with fileio.open(f"{uri}/report.html", "w") as f:
        f.write(render_html(title, summary, sections, quarantine, list(pictures)))
    return summary


def draw_pictures(makers: Mapping[str, Any]) -> dict[str, bytes]:
    """``{file name: function returning PNG bytes}`` -> the pictures that could be drawn.
    A picture must never fail the run: one that cannot be drawn is left out and the
    reason logged."""
    import logging

    out = {}
    for name, make in makers.items():
        try:
            out[name] = make()
        except Exception as exc:  # a report picture must never fail the run; say why it is missing
            logging.warning("report: no %s: %s: %s", name, type(exc).__name__, exc)
    return out
