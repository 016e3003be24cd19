"""Beam glue of the label propagator. Label spreading needs every row at once (the kNN
graph spans them), so the graph is: batches -> one small DataFrame per batch
(``to_frame``: key, split, label, features) -> all of them on one worker
(``propagate``: the core's ``propagate_frame``, memory O(n (d + k))) -> the result by
key as a side input -> ``attach`` writes the outputs onto each example, or quarantines
it with the core's reason. Imports neither TensorFlow nor TFX."""
from __future__ import annotations

from collections import Counter

import numpy as np
from apache_beam import pvalue

from datalife.common.codec import Columns, add_features, content_keys
from datalife.common.quarantine import quarantine_record
from datalife.common.strict import seed_or_default
from datalife.components.label_propagator.spec import LabelPropagatorConfig

__all__ = ["to_frame", "propagate", "attach", "summary_of", "COUNTS", "QUARANTINE", "KEY", "SPLIT"]

COUNTS, QUARANTINE = "counts", "quarantine"
KEY, SPLIT = "_key", "_split"


def _keys(cfg: LabelPropagatorConfig, cols: Columns, raws) -> list[str]:
    ids = cols[cfg.id_field] if cfg.id_field and cfg.id_field in cols else None
    return content_keys(raws, ids)


def _labels(cfg: LabelPropagatorConfig, cols: Columns) -> list:
    """The given label per example (None: unlabeled), as a plain int or str."""
    if cfg.label_field not in cols:
        return [None] * cols.num_rows
    unlabeled = {str(v) for v in cfg.unlabeled_values}
    out = []
    for v in cols[cfg.label_field]:
        if isinstance(v, list):
            raise ValueError(f"label field {cfg.label_field!r} holds several values {v!r} in one example")
        out.append(None if v is None or str(v) in unlabeled else v)
    return out


def to_frame(batch, config_json: str):
    """(split, [serialized]) -> a DataFrame of the rows to propagate (None for a split
    that passes through). Labels are an object column: ints beside None stay ints."""
    import pandas as pd

    split, raws = batch
    cfg = LabelPropagatorConfig.model_validate_json(config_json)
    if cfg.splits is not None and split not in cfg.splits:
        return None
    cols = Columns(raws)
    n = len(raws)
    frame = pd.DataFrame({KEY: _keys(cfg, cols, raws), SPLIT: [split] * n})
    frame["label"] = pd.Series(_labels(cfg, cols), dtype=object)
    if cfg.features is not None:
        for name in cfg.features:
            frame[name] = _feature_column(cols[name] if name in cols else [None] * n)
    else:
        frame[cfg.embedding] = pd.Series([None if v is None else np.asarray(v, dtype=np.float32)
                                          for v in cols.values(cfg.embedding)], dtype=object)
    if cfg.eval_label_field:
        values = cols[cfg.eval_label_field] if cfg.eval_label_field in cols else [None] * n
        frame["eval_label"] = pd.Series(values, dtype=object)
    return frame


def _feature_column(values: list):
    """float64 when every value is a number or missing (NaN: quarantined as missing by
    the core), else objects (the core names the non-numeric value)."""
    import pandas as pd

    if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype=np.float64))
    return pd.Series(values, dtype=object)


def propagate(frames, config_json: str):
    """All rows -> (results by key, quarantined by key, summary)."""
    import pandas as pd

    from datalife.labeling.propagation.frame import propagate_frame

    cfg = LabelPropagatorConfig.model_validate_json(config_json)
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        raise ValueError(f"label_propagator: no examples in the splits to propagate ({cfg.splits or 'all'})")
    frame = pd.concat(frames, ignore_index=True)
    feature_args = {"features": cfg.features} if cfg.features is not None else {"embedding": cfg.embedding}
    p = cfg.output_prefix
    result = propagate_frame(frame, label="label", key=KEY, vocabulary=cfg.vocabulary, knn=cfg.knn,
                             spread=cfg.spread, scale=cfg.scale, min_confidence=cfg.min_confidence,
                             holdout=cfg.holdout, seed=seed_or_default(cfg.seed), output_prefix=p,
                             **feature_args)
    rows = result.rows
    by_key = {k: (lab, int(i), pr, float(c), s) for k, lab, i, pr, c, s in zip(
        rows[KEY], rows[p], rows[f"{p}_id"], rows[f"{p}_probs"], rows[f"{p}_confidence"], rows[f"{p}_source"])}
    quarantined = {r["key"]: (r["field"], r["reason"], r["detail"]) for r in result.quarantine.to_dict("records")}
    summary = dict(result.summary)
    summary["class_counts"] = result.class_counts.to_dict("records")
    summary["per_split"] = {str(s): {str(k): int(v) for k, v in g.value_counts().items()}
                            for s, g in rows.groupby(SPLIT)[f"{p}_source"]}
    if cfg.eval_label_field:
        summary["eval"] = _eval_accuracy(rows, p)
    return by_key, quarantined, _plain(summary)


def _eval_accuracy(rows, p: str) -> dict:
    """Accuracy of the output labels against ``eval_label`` (never used to propagate)."""
    has = rows["eval_label"].notna()
    out = {}
    for name, mask in (("propagated", rows[f"{p}_source"] == "propagated"),
                       ("not gold", rows[f"{p}_source"] != "gold")):
        sel = rows[has & mask]
        right = (sel[p].map(_label_text) == sel["eval_label"].map(_label_text)) & sel[p].notna()
        out[f"accuracy ({name} rows)"] = float(right.mean()) if len(sel) else None
        out[f"rows ({name}, with eval label)"] = int(len(sel))
    return out


def _label_text(value) -> str:
    """A label as text for comparison: 3, 3.0 and "3" are the same class."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _plain(value):
    """NumPy scalars -> Python (the summary is JSON)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def attach(batch, fitted, config_json: str):
    """Each example with ``<p>``, ``<p>_id``, ``<p>_probs``, ``<p>_confidence`` and
    ``<p>_source`` (tagged by split), or its quarantine record; counts per batch."""
    by_key, quarantined, _ = fitted
    split, raws = batch
    cfg = LabelPropagatorConfig.model_validate_json(config_json)
    counts = Counter(rows_in=len(raws), rows_out=0, rows_quarantined=0, gold=0, propagated=0, none=0,
                     passed_through=0)
    if cfg.splits is not None and split not in cfg.splits:
        counts["rows_out"] = counts["passed_through"] = len(raws)
        for raw in raws:
            yield pvalue.TaggedOutput(split, raw)
        yield pvalue.TaggedOutput(COUNTS, (split, dict(counts)))
        return
    cols = Columns(raws)
    keys = _keys(cfg, cols, raws)
    label_kind = cols.kind(cfg.label_field) or _vocabulary_kind(fitted[2]["vocabulary"])
    convert = {"int": int, "float": float, "bytes": str}[label_kind]
    p = cfg.output_prefix
    kept, columns = [], {p: [], f"{p}_id": [], f"{p}_probs": [], f"{p}_confidence": [], f"{p}_source": []}
    for raw, key in zip(raws, keys):
        if key in quarantined:
            field, reason, detail = quarantined[key]
            counts["rows_quarantined"] += 1
            counts[f"quarantined_{reason}"] += 1
            yield pvalue.TaggedOutput(QUARANTINE, quarantine_record(None, reason, detail, record=key, field=field,
                                                                    split=split))
            continue
        label, label_id, probs, confidence, source = by_key[key]
        counts[source] += 1
        kept.append(raw)
        if label is not None:  # the kind the input label has (a feature keeps one kind)
            label = convert(label)
        columns[p].append(None if label is None else [label])
        columns[f"{p}_id"].append([label_id])
        columns[f"{p}_probs"].append(probs.tolist())
        columns[f"{p}_confidence"].append([confidence])
        columns[f"{p}_source"].append([source])
    if kept:
        counts["rows_out"] += len(kept)
        kinds = {p: label_kind, f"{p}_id": "int", f"{p}_probs": "float",
                 f"{p}_confidence": "float", f"{p}_source": "bytes"}
        for out in add_features(kept, columns, kinds):
            yield pvalue.TaggedOutput(split, out)
    yield pvalue.TaggedOutput(COUNTS, (split, dict(counts)))


def _vocabulary_kind(vocabulary: list) -> str:
    if all(isinstance(v, int) and not isinstance(v, bool) for v in vocabulary):
        return "int"
    return "float" if all(isinstance(v, (int, float)) for v in vocabulary) else "bytes"


def summary_of(fitted) -> dict:
    return fitted[2]
