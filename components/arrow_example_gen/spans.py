"""Spans and versions of an input folder (no TFX, no Beam: plain files and pandas).

A ``pattern`` (relative to the ExampleGen's ``input``) names where a span's files are,
with TFX's placeholders: ``{SPAN}`` (digits), ``{VERSION}`` (digits), or the date
``{YYYY}``, ``{MM}``, ``{DD}`` (the span is then, as in TFX, the number of days since
1970-01-01), plus glob ``*`` / ``?`` within one path part. Examples:
``span-{SPAN}/v{VERSION}/*.csv``, ``{YYYY}-{MM}-{DD}/*.csv``.

**The rule for a span folder still being written**: a span (one version of it) is
complete when its folder (the folder of its files) holds the ``marker`` file
(``_SUCCESS`` by default, as Hadoop, Spark and Beam writers leave) and none of its files
changed in the last ``settle_seconds``. With ``marker: null`` only the settle time
counts. Incomplete spans are listed (``complete`` False, with the reason) and never
read.

:func:`find_spans` lists every span found; :func:`select_spans` picks the latest, a
given span, or the last K spans (each at its highest complete version);
:func:`content_sha256` hashes a span's bytes (lineage; a span re-written with the same
number and version gets another hash).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
from typing import Literal, Optional

import pandas as pd
from pydantic import Field, model_validator

from datalife.common.strict import StrictModel

__all__ = ["SpanConfig", "SpanError", "find_spans", "select_spans", "content_sha256", "pattern_regex"]

EPOCH = dt.date(1970, 1, 1)
_TOKENS = {"{SPAN}": r"(?P<span>\d+)", "{VERSION}": r"(?P<version>\d+)", "{YYYY}": r"(?P<yyyy>\d{4})",
           "{MM}": r"(?P<mm>\d{2})", "{DD}": r"(?P<dd>\d{2})"}


class SpanError(ValueError):
    """No span to read, or a span that cannot be read; the message says what was found."""


class SpanConfig(StrictModel):
    pattern: str  # relative to example_gen.input, with {SPAN} or {YYYY}{MM}{DD}, optionally {VERSION}
    select: Literal["latest", "given", "last"] = "latest"
    span: Optional[int] = Field(None, ge=0)  # select: given
    last: int = Field(1, ge=1)  # select: last (the last K spans, read together)
    marker: Optional[str] = "_SUCCESS"  # a span folder counts once this file is in it
    settle_seconds: float = Field(0, ge=0)  # ... and none of its files changed for this long

    @model_validator(mode="after")
    def _check(self):
        has_span = "{SPAN}" in self.pattern
        date = [t for t in ("{YYYY}", "{MM}", "{DD}") if t in self.pattern]
        if has_span == bool(date):
            raise ValueError(f"pattern {self.pattern!r} needs {{SPAN}} or the date {{YYYY}}{{MM}}{{DD}} (not both)")
        if date and len(date) != 3:
            raise ValueError(f"pattern {self.pattern!r}: a date needs all of {{YYYY}}, {{MM}} and {{DD}}")
        if (self.select == "given") != (self.span is not None):
            raise ValueError("give 'span' exactly when select is 'given'")
        return self


def pattern_regex(pattern: str) -> re.Pattern:
    """The regular expression of a span pattern (placeholders captured, globs in one part)."""
    out, i = [], 0
    while i < len(pattern):
        token = next((t for t in _TOKENS if pattern.startswith(t, i)), None)
        if token:
            out.append(_TOKENS[token] if f"(?P<{token[1:-1].lower()}>" not in "".join(out) else
                       rf"(?P={token[1:-1].lower()})")
            i += len(token)
            continue
        c = pattern[i]
        out.append("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c))
        i += 1
    return re.compile("".join(out))


def _files_under(base: str) -> list[str]:
    found = []
    for root, _, names in os.walk(base):
        found.extend(os.path.relpath(os.path.join(root, n), base).replace(os.sep, "/") for n in names)
    return sorted(found)


def _span_of(match: re.Match, path: str) -> int:
    g = match.groupdict()
    if g.get("span") is not None:
        return int(g["span"])
    try:
        return (dt.date(int(g["yyyy"]), int(g["mm"]), int(g["dd"])) - EPOCH).days
    except ValueError as exc:
        raise SpanError(f"{path}: date {g['yyyy']}-{g['mm']}-{g['dd']} does not parse ({exc})") from None


def find_spans(base: str, cfg: SpanConfig, now: Optional[float] = None) -> pd.DataFrame:
    """Every (span, version) the pattern matches under ``base``: columns ``span``,
    ``version`` (None without ``{VERSION}``), ``date`` (for date patterns), ``folder``,
    ``files`` (paths), ``complete`` and ``reason`` (why not complete). Raises
    :class:`SpanError` listing what is there when nothing matches."""
    now = time.time() if now is None else now
    regex, everything = pattern_regex(cfg.pattern), _files_under(base)
    groups: dict[tuple, list[str]] = {}
    for rel in everything:
        m = regex.fullmatch(rel)
        if m is None:
            continue
        version = m.groupdict().get("version")
        key = (_span_of(m, os.path.join(base, rel)), None if version is None else int(version),
               os.path.dirname(rel))
        groups.setdefault(key, []).append(rel)
    if not groups:
        shown = everything[:20] + (["..."] if len(everything) > 20 else [])
        raise SpanError(f"{base}: pattern {cfg.pattern!r} matches no file; found {len(everything)} files: "
                        f"{shown}")
    rows = []
    for (span, version, folder), rels in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[0][2])):
        paths = [os.path.join(base, r) for r in rels if os.path.basename(r) != cfg.marker]
        reason = ""
        if cfg.marker and not os.path.exists(os.path.join(base, folder, cfg.marker)):
            reason = f"no {cfg.marker} in {folder or '.'}/ (still being written?)"
        elif cfg.settle_seconds:
            age = now - max(os.path.getmtime(p) for p in paths)
            if age < cfg.settle_seconds:
                reason = f"changed {age:.0f} s ago (settle_seconds {cfg.settle_seconds:g})"
        date = (EPOCH + dt.timedelta(days=span)).isoformat() if "{YYYY}" in cfg.pattern else None
        rows.append({"span": span, "version": version, "date": date, "folder": folder, "files": paths,
                     "complete": not reason, "reason": reason})
    spans = pd.DataFrame(rows)
    dup = spans[spans.duplicated(["span", "version"], keep=False)]
    if len(dup):
        r = dup.iloc[0]
        raise SpanError(f"{base}: span {r.span} version {r.version} is in several folders: "
                        f"{sorted(dup[(dup.span == r.span) & (dup.version == r.version)].folder)}")
    return spans


def select_spans(spans: pd.DataFrame, cfg: SpanConfig) -> pd.DataFrame:
    """The spans to read, oldest first, each at its highest complete version."""
    ready = spans[spans.complete]
    listing = "; ".join(f"span {r.span}" + (f" v{int(r.version)}" if pd.notna(r.version) else "")
                        + ("" if r.complete else f" ({r.reason})") for r in spans.itertuples())
    if ready.empty:
        raise SpanError(f"no complete span (found: {listing})")
    latest = ready.sort_values(["span", "version"], na_position="first").groupby("span").tail(1)
    if cfg.select == "given":
        chosen = latest[latest.span == cfg.span]
        if chosen.empty:
            raise SpanError(f"span {cfg.span} is not there complete (found: {listing})")
    elif cfg.select == "latest":
        chosen = latest.tail(1)
    else:
        chosen = latest.tail(cfg.last)
        if len(chosen) < cfg.last:
            raise SpanError(f"last {cfg.last} spans asked, {len(chosen)} complete (found: {listing})")
    return chosen.reset_index(drop=True)


def content_sha256(paths: list[str]) -> str:
    """SHA-256 over the files' relative order, names and bytes."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(os.path.basename(p).encode() + b"\0")
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()
