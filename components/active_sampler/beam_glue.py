"""The active sampler's Beam functions (workers import this, never TensorFlow or TFX):
decode the pool's examples into small rows, run the core's selection once on all of
them, and write the selected examples with their rank, score and reason."""
from __future__ import annotations

from collections import Counter

import apache_beam as beam
import numpy as np

from datalife.common.codec import Columns, add_features, content_keys
from datalife.common.quarantine import quarantine_record
from datalife.common.strict import seed_or_default
from datalife.components.active_sampler.spec import ActiveSamplerConfig
from datalife.components.beam_glue import ConfigDoFn

__all__ = ["DecodeRows", "select_rows", "AttachSelection", "OUT_FIELDS", "MAX_DRAWN"]

OUT_FIELDS = ("active_rank", "active_score", "active_reason", "active_strategy")
MAX_DRAWN = 5_000  # unlabeled points drawn in the projection picture (labeled and selected always are)


def _keys(cols: Columns, raws, key_field):
    """Content keys (``<id>|<hash>`` with an id column), and the ids."""
    ids = None
    if key_field:
        if key_field not in cols:
            raise ValueError(f"active_sampler: key_field {key_field!r} is not a feature of the examples "
                             f"(features: {sorted(cols)})")
        ids = [None if v is None else str(_scalar(v)) for v in cols[key_field]]
    return content_keys(raws, ids), ids


def _scalar(v):
    if isinstance(v, list):
        return v[0] if len(v) == 1 else (None if not v else v)
    return v


class DecodeRows(ConfigDoFn):
    """(split, [serialized]) -> one small row per example of the pool splits:
    ``{key, id, split, label, show, x}`` (``x``: the feature vector, a dict of numeric
    features or a list for an embedding)."""

    config_type = ActiveSamplerConfig

    def process(self, batch):
        split, raws = batch
        cfg = self.cfg
        cols = Columns(raws)
        keys, ids = _keys(cols, raws, cfg.key_field)
        labels = [_scalar(v) for v in cols[cfg.label_field]] if cfg.label_field in cols else [None] * len(raws)
        show = [_scalar(v) for v in cols[cfg.show_field]] if cfg.show_field and cfg.show_field in cols \
            else [None] * len(raws)
        if cfg.embedding_field:
            vectors = cols[cfg.embedding_field] if cfg.embedding_field in cols else [None] * len(raws)
            xs = [None if v is None else ([v] if not isinstance(v, list) else v) for v in vectors]
        else:
            skip = {cfg.label_field, cfg.key_field, cfg.show_field, *OUT_FIELDS}
            names = cfg.features if cfg.features is not None else [
                n for n in cols if n not in skip and cols.kind(n) in ("int", "float")]
            columns = {n: (cols[n] if n in cols else [None] * len(raws)) for n in names}
            xs = [{n: _scalar(columns[n][i]) for n in names} for i in range(len(raws))]
        for i in range(len(raws)):
            yield {"key": keys[i], "id": None if ids is None else ids[i], "split": split,
                   "label": None if isinstance(labels[i], list) else labels[i], "show": show[i], "x": xs[i]}


def _matrix(rows, cfg: ActiveSamplerConfig):
    """The feature matrix (NaN where a value is missing: the core quarantines the row),
    the feature names, and per-row problems the core cannot see (a vector of another length)."""
    problems = {}
    if cfg.embedding_field:
        lengths = Counter(len(r["x"]) for r in rows if r["x"] is not None)
        dim = lengths.most_common(1)[0][0] if lengths else 1
        X = np.full((len(rows), dim), np.nan)
        for i, r in enumerate(rows):
            v = r["x"]
            if v is None:
                problems[i] = ("missing_features", f"no {cfg.embedding_field!r} vector")
            elif len(v) != dim:
                problems[i] = ("wrong_dimension", f"{cfg.embedding_field!r} has {len(v)} values, the others {dim}")
            else:
                try:
                    X[i] = np.asarray(v, dtype=np.float64)
                except (TypeError, ValueError):
                    problems[i] = ("non_numeric_features", f"{cfg.embedding_field!r} is not numeric")
        return X, [cfg.embedding_field], problems
    names = sorted({n for r in rows for n in r["x"]}) if cfg.features is None else list(cfg.features)
    if not names:
        raise ValueError(f"active_sampler: the examples have no numeric feature besides {cfg.label_field!r}; "
                         f"set features or embedding_field")
    X = np.full((len(rows), len(names)), np.nan)
    for i, r in enumerate(rows):
        for j, n in enumerate(names):
            v = r["x"].get(n)
            if isinstance(v, (int, float)):
                X[i, j] = v
            elif v is None:
                problems.setdefault(i, ("missing_features", f"no value for {n!r}"))
            else:
                problems.setdefault(i, ("non_numeric_features", f"{n!r} holds {type(v).__name__}, not one number"))
    return X, names, problems


def select_rows(rows: list, config_json: str) -> dict:
    """Every pool row -> the selection: ``batch`` (records, best first), ``summary``,
    ``counts``, ``quarantine`` (standard records), ``projection`` (2-D points to draw);
    or ``{"error": message}`` for input the selection refuses (a clear error, raised by
    the executor)."""
    from datalife.labeling.active.classifier import SelectionError
    from datalife.labeling.active.projection import project_2d
    from datalife.labeling.active.select import make_pool, select

    import pandas as pd

    cfg = ActiveSamplerConfig.model_validate_json(config_json)
    rows = sorted(rows, key=lambda r: r["key"])  # the order never depends on Beam's
    counts = Counter(rows_in=len(rows))
    quarantine = []
    seen, keep = set(), []
    for r in rows:
        if r["key"] in seen:  # the same example twice: one copy is enough to label
            quarantine.append(quarantine_record(None, "duplicate_example", "the same example occurs again in the pool",
                                                record=r["id"] or r["key"], split=r["split"]))
            continue
        seen.add(r["key"])
        keep.append(r)
    X, names, problems = _matrix(keep, cfg)
    for i, (reason, message) in sorted(problems.items()):
        quarantine.append(quarantine_record(None, reason, message, record=keep[i]["id"] or keep[i]["key"],
                                            field=cfg.embedding_field or None, split=keep[i]["split"]))
    usable = [i for i in range(len(keep)) if i not in problems]
    keep, X = [keep[i] for i in usable], X[usable]
    keys = [r["key"] for r in keep]
    labels = np.array([r["label"] for r in keep], dtype=object)
    try:
        batch = select(X, labels, keys=keys, strategy=cfg.strategy, batch_size=cfg.batch_size,
                       seed=seed_or_default(cfg.seed), classes=cfg.classes, classifier=cfg.classifier,
                       classifier_params=cfg.classifier_params or None, allow_partial_batch=cfg.allow_partial_batch,
                       **cfg.strategy_params)
        pool, kept, _ = make_pool(X, labels, keys=keys, classes=cfg.classes, seed=seed_or_default(cfg.seed))
    except SelectionError as exc:
        return {"error": str(exc)}
    by_key = {r["key"]: r for r in keep}
    for q in batch.attrs["quarantine"].to_dict("records"):
        r = by_key[q["key"]]
        quarantine.append(quarantine_record(None, q["reason"], "features are not all finite numbers",
                                            record=r["id"] or r["key"], split=r["split"]))
    summary = batch.attrs["summary"]
    counts["rows_labeled"] = summary["labeled"]
    counts["rows_unlabeled"] = summary["unlabeled"]
    counts["rows_selected"] = summary["selected"]
    counts["rows_not_selected"] = summary["unlabeled"] - summary["selected"]
    counts["rows_quarantined"] = len(quarantine)
    for q in quarantine:
        counts[f"quarantined_{q['reason']}"] += 1
    records = []
    for rec in batch.to_dict("records"):
        r = by_key[rec["key"]]
        records.append({"rank": int(rec["rank"]), "key": rec["key"], "id": r["id"], "split": r["split"],
                        "strategy": rec["strategy"], "score": float(rec["score"]), "reason": rec["reason"],
                        "group": None if pd.isna(rec["group"]) else int(rec["group"]),
                        "predicted": None if rec["predicted"] is None else str(rec["predicted"]),
                        "confidence": None if pd.isna(rec["confidence"]) else float(rec["confidence"]),
                        cfg.show_field or "show": r["show"]})
    # the picture's points: labeled, selected, and unlabeled ones in the seeded key order
    selected = [int(np.flatnonzero(kept == row)[0]) for row in batch["row"]] if len(batch) else []
    order = pool.order
    unl = order[(pool.y[order] < 0) & ~np.isin(order, selected)][:MAX_DRAWN].tolist()
    lab = np.flatnonzero(pool.y >= 0).tolist()
    drawn = np.asarray(unl + lab + selected, dtype=np.int64)
    xy = project_2d(pool.X[drawn], np.arange(len(drawn))) if len(drawn) else np.zeros((0, 2))
    projection = {"xy": xy.round(5).tolist(), "y": [int(v) for v in pool.y[drawn]],
                  "selected": list(range(len(unl) + len(lab), len(drawn))), "classes": [str(c) for c in pool.classes],
                  "unlabeled_total": int((pool.y < 0).sum())}
    summary = {k: v for k, v in summary.items() if k != "quarantine_reasons"}
    summary["features"] = names
    return {"batch": records, "summary": summary, "counts": dict(counts), "quarantine": quarantine,
            "projection": projection}


class AttachSelection(ConfigDoFn):
    """(split, [serialized]) + the selection -> the selected examples, with
    ``active_rank``, ``active_score``, ``active_reason``, ``active_strategy`` added."""

    config_type = ActiveSamplerConfig

    def process(self, batch, selection):
        split, raws = batch
        chosen = {r["key"]: r for r in selection.get("batch", [])}
        if not chosen:
            return
        cols = Columns(raws)
        keys, _ = _keys(cols, raws, self.cfg.key_field)
        picked = [i for i, k in enumerate(keys) if k in chosen]
        first = {}
        for i in picked:  # a duplicated example is written once
            first.setdefault(keys[i], i)
        picked = sorted(first.values())
        if not picked:
            return
        recs = [chosen[keys[i]] for i in picked]
        out = add_features([raws[i] for i in picked], {
            "active_rank": [r["rank"] for r in recs], "active_score": [r["score"] for r in recs],
            "active_reason": [r["reason"] for r in recs], "active_strategy": [r["strategy"] for r in recs]},
            kinds={"active_rank": "int", "active_score": "float", "active_reason": "bytes",
                   "active_strategy": "bytes"})
        yield from out
        yield beam.pvalue.TaggedOutput("counts", {"rows_out": len(out)})
