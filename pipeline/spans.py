"""Which spans each run read, and spans re-written under the same number (from MLMD).

Every Examples artifact the Arrow ExampleGen writes from ``example_gen.spans`` carries
the custom property ``spans`` (JSON: ``span``, ``version``, ``sha256`` of each span
read). :func:`span_history` lists them, one row per (artifact, span);
``rewritten`` marks a span whose content hash differs from the one an earlier artifact
recorded for the same span and version (the files were replaced: the data a model saw
is no longer what the folder holds). :func:`format_rewritten` is the warning text.
"""
from __future__ import annotations

import json

import pandas as pd

__all__ = ["span_history", "format_rewritten"]

COLUMNS = ["artifact_id", "uri", "created", "span", "version", "sha256", "rewritten", "previous_sha256"]


def span_history(store) -> pd.DataFrame:
    """One row per span read by each Examples artifact, oldest artifact first."""
    rows = []
    for a in sorted(store.get_artifacts_by_type("Examples"), key=lambda a: a.id):
        if "spans" not in a.custom_properties:
            continue
        for s in json.loads(a.custom_properties["spans"].string_value):
            rows.append({"artifact_id": a.id, "uri": a.uri, "created": a.create_time_since_epoch,
                         "span": s["span"], "version": s["version"], "sha256": s["sha256"]})
    seen: dict[tuple, str] = {}
    for r in rows:
        key = (r["span"], r["version"])
        r["previous_sha256"] = seen.get(key)
        r["rewritten"] = key in seen and seen[key] != r["sha256"]
        seen[key] = r["sha256"]
    return pd.DataFrame(rows, columns=COLUMNS)


def format_rewritten(history: pd.DataFrame) -> str:
    """One line per re-written span ("" when none)."""
    lines = [f"span {r.span} version {r.version} was re-written: artifact {r.artifact_id} read sha256 "
             f"{r.sha256[:12]}, an earlier one {r.previous_sha256[:12]}" for r in history[history.rewritten].itertuples()]
    return "\n".join(lines)
