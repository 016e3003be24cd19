"""Drift and skew between a baseline and the current Examples (TFDV + our KS test).

- TFDV's comparators on the two splits' statistics: ``infinity_norm`` (L-infinity) for
  string features, ``jensen_shannon_divergence`` for numeric ones, set on a copy of the
  schema per feature (``drift_comparator`` or ``skew_comparator``) from the thresholds
  of :class:`~datalife.transforms.drift.DriftSpec`; TFDV's measured values come back in
  the anomalies' ``drift_skew_info``.
- Our two-sample KS test (:func:`datalife.transforms.drift.compare_frames`) on the
  numeric features' raw values, where TFDV's 10-bucket histograms are weak.

:func:`check_drift` returns one row per (feature, measure) as a pandas DataFrame;
:func:`format_drift` the readable list the gate raises or logs;
:func:`overlay_png` the two samples' histograms of one feature, overlaid.
"""
from __future__ import annotations

import io
from typing import Optional

import numpy as np
import pandas as pd

from datalife.common.codec import decode_batch, to_dataframe
from datalife.common.tfrecords import iter_tfrecords
from datalife.components.validation_gate.spec import DriftConfig
from datalife.transforms.drift import RESULT_COLUMNS, DriftSpec, Thresholds, compare_frames

__all__ = ["DriftFound", "split_dir", "read_records", "read_split", "split_statistics", "tfdv_comparisons", "check_drift",
           "format_drift", "overlay_png"]


class DriftFound(RuntimeError):
    """Raised by the gate (``on_drift: fail``); the message lists every drifted feature."""


def split_dir(examples_uri: str, split: str) -> str:
    from tfx.dsl.io import fileio

    path = f"{examples_uri.rstrip('/')}/Split-{split}"
    if not fileio.isdir(path):
        found = sorted(p.rstrip("/")[6:] for p in fileio.listdir(examples_uri) if p.startswith("Split-")) \
            if fileio.isdir(examples_uri) else None
        raise FileNotFoundError(f"{examples_uri}: no split {split!r} to compare" +
                                (f" (it has {found})" if found is not None else " (no such folder)"))
    return path


def _files(path: str) -> list[str]:
    from tfx.dsl.io import fileio

    return sorted(f"{path}/{name}" for name in fileio.listdir(path) if not name.startswith("."))


def read_records(path: str, max_rows: Optional[int] = None) -> list[bytes]:
    """The serialized examples of one split folder (the first ``max_rows``)."""
    from tfx.dsl.io import fileio

    raws: list[bytes] = []
    for f in _files(path):
        for raw in iter_tfrecords(f, opener=fileio.open):
            raws.append(raw)
            if max_rows is not None and len(raws) >= max_rows:
                return raws
    return raws


def read_split(path: str, max_rows: Optional[int] = None) -> pd.DataFrame:
    """The examples of one split folder as a DataFrame (the first ``max_rows``)."""
    return to_dataframe(read_records(path, max_rows))


def split_statistics(raws: list[bytes]):
    """TFDV statistics of serialized examples, computed in process (no Beam): TFDV's
    ``generate_statistics_in_memory`` on the batch decoded by tfx_bsl's decoder, the
    statistics StatisticsGen computes."""
    from tensorflow_data_validation.statistics import stats_impl, stats_options
    from tensorflow_metadata.proto.v0 import statistics_pb2

    if not raws:
        return statistics_pb2.DatasetFeatureStatisticsList(datasets=[statistics_pb2.DatasetFeatureStatistics()])
    return stats_impl.generate_statistics_in_memory(decode_batch(raws), stats_options.StatsOptions())


def _comparator_schema(schema, spec: DriftSpec, compare: str, numeric: dict):
    from tensorflow_metadata.proto.v0 import schema_pb2

    out = schema_pb2.Schema()
    out.CopyFrom(schema)
    for feature in out.feature:
        if feature.name in spec.ignore:
            continue
        th = spec.thresholds(feature.name)
        comparator = feature.drift_comparator if compare == "drift" else feature.skew_comparator
        if numeric.get(feature.name, feature.type in (schema_pb2.INT, schema_pb2.FLOAT)):
            if th.js is not None:
                comparator.jensen_shannon_divergence.threshold = th.js
        elif th.linf is not None:
            comparator.infinity_norm.threshold = th.linf
    return out


def _numeric_in(stats) -> dict:
    return {f.path.step[0]: f.WhichOneof("stats") == "num_stats" for f in stats.datasets[0].features if f.path.step}


def tfdv_comparisons(baseline_stats, current_stats, schema, spec: DriftSpec, compare: str = "drift") -> pd.DataFrame:
    """TFDV's L-infinity / Jensen-Shannon comparisons, one row per compared feature."""
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    numeric = _numeric_in(current_stats)
    with_comparators = _comparator_schema(schema, spec, compare, numeric)
    other = {"previous_statistics": baseline_stats} if compare == "drift" else {"serving_statistics": baseline_stats}
    anomalies = tfdv.validate_statistics(current_stats, with_comparators, **other)
    kinds = {anomalies_pb2.DriftSkewInfo.Measurement.L_INFTY: ("linf", "L-infinity distance"),
             anomalies_pb2.DriftSkewInfo.Measurement.JENSEN_SHANNON_DIVERGENCE: ("js", "Jensen-Shannon divergence")}
    rows = []
    for info in anomalies.drift_skew_info:
        name = ".".join(info.path.step)
        measurements = info.drift_measurements if compare == "drift" else info.skew_measurements
        for m in measurements:
            if m.type not in kinds:
                continue
            measure, label = kinds[m.type]
            drifted = m.value > m.threshold
            rows.append([name, "numeric" if measure == "js" else "categorical", measure, float(m.value),
                         float(m.threshold), drifted, f"TFDV {label} {m.value:.4g} (threshold {m.threshold:g})",
                         None, None])
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def check_drift(baseline_uri: str, current_uri: str, schema, cfg: DriftConfig,
                current_stats=None) -> pd.DataFrame:
    """Every comparison of ``cfg.split`` between the baseline and the current Examples
    artifact folders: TFDV's (``source`` tfdv) and our KS test (``source`` datalife)."""
    base_dir, cur_dir = split_dir(baseline_uri, cfg.split), split_dir(current_uri, cfg.split)
    base_raws, cur_raws = read_records(base_dir, cfg.max_rows), read_records(cur_dir, cfg.max_rows)
    base_stats = split_statistics(base_raws)
    cur_stats = current_stats if current_stats is not None else split_statistics(cur_raws)
    tfdv_rows = tfdv_comparisons(base_stats, cur_stats, schema, cfg.thresholds, cfg.compare)
    ks_only = DriftSpec(
        default=Thresholds(linf=None, js=None, ks_pvalue=cfg.thresholds.default.ks_pvalue),
        features={k: Thresholds(linf=None, js=None, ks_pvalue=v.ks_pvalue)
                  for k, v in cfg.thresholds.features.items()},
        ignore=cfg.thresholds.ignore)
    names = [f.name for f in schema.feature]
    base, cur = to_dataframe(base_raws), to_dataframe(cur_raws)
    ours = compare_frames(base, cur, ks_only, [n for n in names if n in base.columns and n in cur.columns])
    out = pd.concat([tfdv_rows.assign(source="tfdv"), ours.assign(source="datalife")], ignore_index=True)
    out.attrs["frames"] = (base, cur)
    return out.sort_values(["feature", "measure"], ignore_index=True)


def format_drift(table: pd.DataFrame, compare: str = "drift") -> str:
    drifted = table[table.drifted]
    features = sorted(set(drifted.feature))
    lines = [f"{len(features)} features {'drifted from the previous span' if compare == 'drift' else 'skewed from serving data'}"
             f" ({len(drifted)} of {len(table)} comparisons over threshold):"]
    for r in drifted.itertuples():
        lines.append(f"  {r.feature}: {r.measure}: {r.detail}")
    return "\n".join(lines)


def overlay_png(baseline: pd.DataFrame, current: pd.DataFrame, feature: str, bins: int = 30) -> bytes:
    """The two samples' histograms of ``feature`` overlaid (densities; bars for strings)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from datalife.transforms.drift import present_values, shared_histograms

    a, b = present_values(baseline[feature]), present_values(current[feature])
    fig, ax = plt.subplots(figsize=(5, 2.6))
    if all(isinstance(v, (int, float, np.integer, np.floating)) for v in a + b):
        edges, ca, cb = shared_histograms(np.asarray(a, float), np.asarray(b, float), bins)
        width = np.diff(edges)
        ax.stairs(ca / max(ca.sum(), 1) / width, edges, fill=True, alpha=0.45, label=f"baseline (n={len(a)})")
        ax.stairs(cb / max(cb.sum(), 1) / width, edges, fill=True, alpha=0.45, label=f"current (n={len(b)})")
    else:
        a = pd.Series([str(v) for v in a]).value_counts(normalize=True)
        b = pd.Series([str(v) for v in b]).value_counts(normalize=True)
        values = list((a.add(b, fill_value=0)).sort_values(ascending=False).index[:15])
        x = np.arange(len(values))
        ax.bar(x - 0.2, [a.get(v, 0) for v in values], 0.4, label="baseline")
        ax.bar(x + 0.2, [b.get(v, 0) for v in values], 0.4, label="current")
        ax.set_xticks(x, values, rotation=45, fontsize=7)
    ax.set_title(feature, fontsize=9)
    ax.legend(fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()
