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
    """(split, [serialized]) -> one compact block per batch of the pool splits:
    ``{split, keys, ids, labels, show, names, X, problems}``; ``X`` is a NumPy matrix
    (float32 for an embedding: 4 bytes a value, not a Python float each; float64 for
    numeric features, NaN where a value is missing) and ``problems`` maps a row of the
    block to (reason, message) for what the core cannot see (a missing value, a vector
    of another length, a value that is not a number)."""

    config_type = ActiveSamplerConfig

    def process(self, batch):
        split, raws = batch
        cfg = self.cfg
        cols = Columns(raws)
        n = len(raws)
        keys, ids = _keys(cols, raws, cfg.key_field)
        labels = [_scalar(v) for v in cols[cfg.label_field]] if cfg.label_field in cols else [None] * n
        show = [_scalar(v) for v in cols[cfg.show_field]] if cfg.show_field and cfg.show_field in cols \
            else [None] * n
        problems = {}
        if cfg.embedding_field:
            vectors = cols[cfg.embedding_field] if cfg.embedding_field in cols else [None] * n
            lengths = Counter(len(v) if isinstance(v, list) else 1 for v in vectors if v is not None)
            dim = lengths.most_common(1)[0][0] if lengths else 1
            X = np.full((n, dim), np.nan, dtype=np.float32)
            for i, v in enumerate(vectors):
                v = v if isinstance(v, list) or v is None else [v]
                if v is None:
                    problems[i] = ("missing_features", f"no {cfg.embedding_field!r} vector")
                elif len(v) != dim:
                    problems[i] = ("wrong_dimension", f"{cfg.embedding_field!r} has {len(v)} values, the others {dim}")
                else:
                    try:
                        X[i] = np.asarray(v, dtype=np.float32)
                    except (TypeError, ValueError):
                        problems[i] = ("non_numeric_features", f"{cfg.embedding_field!r} is not numeric")
            names = [cfg.embedding_field]
        else:
            skip = {cfg.label_field, cfg.key_field, cfg.show_field, *OUT_FIELDS}
            names = list(cfg.features) if cfg.features is not None else sorted(
                nm for nm in cols if nm not in skip and cols.kind(nm) in ("int", "float"))
            X = np.full((n, len(names)), np.nan)
            for j, nm in enumerate(names):
                values = cols[nm] if nm in cols else [None] * n
                for i, v in enumerate(values):
                    v = _scalar(v)
                    if isinstance(v, (int, float)):
                        X[i, j] = v
                    elif v is None:
                        problems.setdefault(i, ("missing_features", f"no value for {nm!r}"))
                    else:
                        problems.setdefault(i, ("non_numeric_features", f"{nm!r} holds {type(v).__name__}, "
                                                                         f"not one number"))
        yield {"split": split, "keys": keys, "ids": ids, "labels": [None if isinstance(v, list) else v for v in labels],
               "show": show, "names": names, "X": X, "problems": problems}


def _pool_rows(blocks: list, cfg: ActiveSamplerConfig):
    """The blocks -> (rows: one small dict per example without its features, sorted by
    key then split so the order never depends on Beam's; X: their features in that
    order, filled block by block and each block freed once copied; feature names;
    problems by row). Feature names: the config's, or every numeric column met (a
    block without one of them has no value for it)."""
    if cfg.embedding_field:
        dims = Counter()
        for b in blocks:
            dims[b["X"].shape[1]] += len(b["keys"]) - len(b["problems"])
        dim = dims.most_common(1)[0][0] if dims else 1
        names = [cfg.embedding_field]
    else:
        names = list(cfg.features) if cfg.features is not None else sorted({nm for b in blocks for nm in b["names"]})
        if not names:
            raise ValueError(f"active_sampler: the examples have no numeric feature besides {cfg.label_field!r}; "
                             f"set features or embedding_field")
        dim = len(names)
    where = [(b["keys"][i], b["split"], k, i) for k, b in enumerate(blocks) for i in range(len(b["keys"]))]
    where.sort(key=lambda t: (t[0], t[1]))
    dtype = np.float32 if cfg.embedding_field else np.float64
    X = np.full((len(where), dim), np.nan, dtype=dtype)
    position = {(k, i): pos for pos, (_, _, k, i) in enumerate(where)}
    rows, problems = [None] * len(where), {}
    for k in range(len(blocks)):
        b, blocks[k] = blocks[k], None
        for i in range(len(b["keys"])):
            pos = position[(k, i)]
            rows[pos] = {"key": b["keys"][i], "id": None if b["ids"] is None else b["ids"][i], "split": b["split"],
                         "label": b["labels"][i], "show": b["show"][i]}
            if i in b["problems"]:
                problems[pos] = b["problems"][i]
        if cfg.embedding_field:
            if b["X"].shape[1] == dim:
                X[[position[(k, i)] for i in range(len(b["keys"]))]] = b["X"]
            else:
                for i in range(len(b["keys"])):
                    problems.setdefault(position[(k, i)], (
                        "wrong_dimension", f"{cfg.embedding_field!r} has {b['X'].shape[1]} values, the others {dim}"))
        else:
            at = [position[(k, i)] for i in range(len(b["keys"]))]
            for j, nm in enumerate(names):
                if nm in b["names"]:
                    X[at, j] = b["X"][:, b["names"].index(nm)]
                else:
                    for pos in at:
                        problems.setdefault(pos, ("missing_features", f"no value for {nm!r}"))
    return rows, X, names, problems


def select_rows(blocks: list, config_json: str) -> dict:
    """Every pool block (``DecodeRows``) -> the selection: ``batch`` (records, best first), ``summary``,
    ``counts``, ``quarantine`` (standard records), ``projection`` (2-D points to draw);
    or ``{"error": message}`` for input the selection refuses (a clear error, raised by
    the executor)."""
    from datalife.labeling.active.classifier import SelectionError
    from datalife.labeling.active.projection import project_2d
    from datalife.labeling.active.select import make_pool, select

    import pandas as pd

    cfg = ActiveSamplerConfig.model_validate_json(config_json)
    rows, X, names, problems = _pool_rows(blocks, cfg)
    counts = Counter(rows_in=len(rows))
    quarantine = []
    usable, seen = [], set()
    for i, r in enumerate(rows):
        if r["key"] in seen:  # the same example twice: one copy is enough to label
            quarantine.append(quarantine_record(None, "duplicate_example", "the same example occurs again in the pool",
                                                record=r["id"] or r["key"], split=r["split"]))
            continue
        seen.add(r["key"])
        if i in problems:
            reason, message = problems[i]
            quarantine.append(quarantine_record(None, reason, message, record=r["id"] or r["key"],
                                                field=cfg.embedding_field or None, split=r["split"]))
            continue
        usable.append(i)
    keep = [rows[i] for i in usable]
    X = X[usable] if len(usable) < len(X) else X
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
