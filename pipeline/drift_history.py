"""Drift across spans: what the gate found each time a pipeline read a new span, from
its metadata store (every ValidationGate execution with a drift check, oldest first).

``drift_history(store, pipeline)`` -> a pandas DataFrame, one row per span, feature and
measure: ``span``, ``baseline_span``, ``run``, ``feature``, ``kind``, ``measure``
(``linf`` / ``js`` / ``ks``), ``value``, ``threshold``, ``drifted``, ``detail``. The run
report shows it as a table (span x feature: drifted or not, with the value) when the
store holds two drift checks or more."""
from __future__ import annotations

import json
from typing import Optional

import pandas as pd

__all__ = ["drift_history", "COLUMNS"]

COLUMNS = ["span", "baseline_span", "run", "feature", "kind", "measure", "value", "threshold", "drifted", "detail"]


def drift_history(store, pipeline: Optional[str] = None) -> pd.DataFrame:
    from datalife.pipeline import mlmd

    rows = []
    for run in mlmd.pipeline_runs(store, pipeline):
        for e in mlmd.run_executions(store, run):
            if e.component != "ValidationGate" or "report" not in e.outputs or e.state not in ("complete", "failed"):
                continue
            try:
                with open(f"{e.outputs['report'][0]}/report.json") as f:
                    summary = json.load(f)
            except OSError:
                continue
            if summary.get("compare") != "drift" or "drift_table" not in summary:
                continue
            for r in summary["drift_table"]:
                rows.append({"span": summary.get("span"), "baseline_span": summary.get("baseline_span"),
                             "run": run.name, **{k: r.get(k) for k in COLUMNS[3:]}})
    return pd.DataFrame(rows, columns=COLUMNS)
