"""Weak labeling in a notebook: a pandas DataFrame and labeling functions in, labels
and an analysis out, in seconds, on the same core as the WeakLabeler component.

>>> from datalife.labeling.weak_api import weak_label
>>> result = weak_label(df, "my_lfs.py", class_names=["ham", "spam"], split_field="split",
...                     dev_split="dev", gold_field="label", end_model={"text_fields": ["CONTENT"]})
>>> result.lf_summary          # per LF: polarity, coverage, overlaps, conflicts, dev accuracy, weight
>>> result.metrics             # dev accuracy of every aggregator and of the end model, side by side
>>> result.labels              # label, label_name, label_source, covered, split; one row per input row
>>> result.probs               # one column per class name
>>> result.warnings, result.reason, result.mistakes, result.pictures()

``lfs`` is a list of labeling functions (Snorkel's ``LabelingFunction``, datalife's
building blocks, or plain functions ``f(x) -> class id | -1 | None``), a dotted module
path, or the path of a ``.py`` file (executed afresh on every call, so each edit
shows). The steps are the component's: apply the LFs per batch
(``applier.apply_batch``), accumulate vote statistics (``vote_patterns``), fit and
choose the aggregator (``aggregate_select``), train the end model (``end_model``),
and produce the final labels (``final_labels``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd

from datalife.labeling.aggregate_select import AggregateFit, AggregateSpec, class_name_list, fit_aggregate
from datalife.labeling.aggregators import expected_accuracy
from datalife.labeling.applier import apply_batch
from datalife.labeling.end_model import (EndModel, EndModelSpec, EndModelUnavailable, fit_end_model,
                                         fit_end_model_on_dev)
from datalife.labeling.final_labels import choose_end_model_use, final_labels
from datalife.labeling.lf_loader import load_lfs
from datalife.labeling.lf_summary import label_counts, lf_summary_rows
from datalife.labeling.lfs import ABSTAIN, from_function
from datalife.labeling.report_pictures import (confusion_matrix, confusion_png, label_distribution_png,
                                               lf_bars_png, lf_mistakes)
from datalife.labeling.vote_patterns import MAX_PATTERNS, add_batch, compact_stats, empty_stats

__all__ = ["weak_label", "apply_lfs", "resolve_lfs", "WeakLabelResult"]

BATCH = 2048


def resolve_lfs(lfs) -> list:
    """A list of labeling functions from LF objects / plain functions, a dotted
    module path or a ``.py`` file path (see ``lf_loader.load_lfs``)."""
    if isinstance(lfs, str):
        return load_lfs(lfs)
    out = [from_function(f) for f in lfs]
    names = [f.name for f in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"labeling function names must be unique, repeated: {dupes}")
    if not out:
        raise ValueError("no labeling functions given")
    return out


def _keys(df: pd.DataFrame, id_field: Optional[str]) -> list[str]:
    if id_field is None:
        return [str(i) for i in df.index]
    if id_field not in df.columns:
        raise KeyError(f"id_field {id_field!r} is not a column: {list(df.columns)}")
    return [str(v) for v in df[id_field]]


def apply_lfs(df: pd.DataFrame, lfs, cardinality: Optional[int] = None, id_field: Optional[str] = None,
              fault_tolerant: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The label matrix as a DataFrame (one column per LF, -1 = abstain, the input's
    index) and a same-shaped boolean DataFrame of faults (LF raised; only with
    ``fault_tolerant``). Errors name the LF and the example (its id or index)."""
    lfs = resolve_lfs(lfs)
    keys = _keys(df, id_field)
    columns = {c: df[c].tolist() for c in df.columns}
    parts, faults = [], []
    for i in range(0, len(df), BATCH):
        batch = {c: v[i:i + BATCH] for c, v in columns.items()}
        L, f = apply_batch(lfs, batch, keys[i:i + BATCH], fault_tolerant=fault_tolerant, cardinality=cardinality)
        parts.append(L)
        faults.append(f)
    names = [lf.name for lf in lfs]
    L = np.vstack(parts) if parts else np.zeros((0, len(lfs)), np.int64)
    F = np.vstack(faults) if faults else np.zeros((0, len(lfs)), bool)
    return pd.DataFrame(L, index=df.index, columns=names), pd.DataFrame(F, index=df.index, columns=names)


@dataclass
class WeakLabelResult:
    L: pd.DataFrame  # votes, one column per LF (-1 = abstain)
    lf_summary: pd.DataFrame
    labels: pd.DataFrame  # label, label_name, label_source, covered, split
    probs: pd.DataFrame  # one column per class name
    metrics: pd.DataFrame  # one row per aggregator and the end model: dev accuracies
    warnings: list
    reason: str  # why the aggregator was chosen
    class_names: list
    aggregate: AggregateFit
    end_model: Optional[EndModel]
    mistakes: dict  # LF -> a few dev rows it got wrong (dicts with vote and gold as class names)
    timings: dict = field(default_factory=dict)
    dev_confusion: Optional[np.ndarray] = None  # gold x produced (+ a 'none' column)
    from_end_model: str = "none"  # which examples the end model labeled: all | uncovered | none
    end_model_candidates: Optional[pd.DataFrame] = None  # labels_from, train_rows, C, dev_accuracy, chosen

    def pictures(self) -> dict[str, bytes]:
        """PNG bytes: ``lf_bars``, ``label_distribution`` and (with a dev split) ``dev_confusion``."""
        s = self.lf_summary
        acc = s["dev_accuracy"].tolist() if "dev_accuracy" in s else None
        out = {"lf_bars": lf_bars_png(s["lf"].tolist(), s["coverage"].tolist(), acc),
               "label_distribution": label_distribution_png(
                   label_counts(self.labels["label"], self.labels["label_source"], self.class_names),
                   self.class_names)}
        if self.dev_confusion is not None:
            out["dev_confusion"] = confusion_png(self.dev_confusion, self.class_names)
        return out


def _gold_ids(values, class_names: list[str], where: str) -> np.ndarray:
    index = {n: i for i, n in enumerate(class_names)}
    out = []
    for i, v in enumerate(values):
        if isinstance(v, str) and v in index:
            out.append(index[v])
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < len(class_names):
            out.append(int(v))
        elif isinstance(v, (float, np.floating)) and float(v).is_integer() and 0 <= v < len(class_names):
            out.append(int(v))
        else:
            raise ValueError(f"{where}: gold label {v!r} on row {i} is neither a class id 0..{len(class_names) - 1} "
                             f"nor a class name {class_names}")
    return np.array(out, np.int64)


def weak_label(df: pd.DataFrame, lfs, *, cardinality: Optional[int] = None,
               class_names: Optional[Sequence[str]] = None, split_field: Optional[str] = None,
               fit_splits: Sequence[str] = ("train",), dev: Optional[pd.DataFrame] = None,
               dev_split: Optional[str] = None, gold_field: str = "label", id_field: Optional[str] = None,
               aggregator: Union[str, AggregateSpec] = "auto", end_model: Union[None, dict, EndModelSpec] = None,
               from_end_model: str = "auto", gold_overrides: bool = False, tie_break: str = "random",
               fault_tolerant: bool = False, seed: int = 0, max_patterns: int = MAX_PATTERNS,
               mistakes_per_lf: int = 3) -> WeakLabelResult:
    """Label ``df`` with ``lfs`` (see the module docstring).

    Splits: without ``split_field`` every row of ``df`` is in the fit split
    ``fit_splits[0]``; ``dev`` (a DataFrame with gold labels in ``gold_field``) is
    appended as split ``dev_split`` (default ``"dev"``).
    ``from_end_model``: ``all`` (the end model labels every example), ``uncovered``
    (only those no LF voted on), ``none`` (the aggregate labels every example) or
    ``auto`` (the best of the three on the dev split; ``all`` without one). With ``split_field``, rows of
    ``fit_splits`` fit the aggregators and rows of ``dev_split`` (gold in
    ``gold_field``: class ids or class names) score them. ``end_model`` (a dict of
    ``EndModelSpec`` fields or an ``EndModelSpec``) adds the end model.
    """
    timings = {}
    t0 = time.perf_counter()
    names = class_name_list(cardinality or (len(class_names) if class_names else 2), class_names)
    k = len(names)
    frame = df
    if dev is not None:
        if split_field is not None:
            raise ValueError("give either dev= (a separate DataFrame) or split_field with dev_split, not both")
        dev_split = dev_split or "dev"
        split_field = "__split__"
        frame = pd.concat([df.assign(__split__=fit_splits[0]), dev.assign(__split__=dev_split)], ignore_index=True)
    if split_field is not None and split_field not in frame.columns:
        raise KeyError(f"split_field {split_field!r} is not a column: {list(frame.columns)}")
    splits = (frame[split_field].astype(str).to_numpy() if split_field is not None
              else np.full(len(frame), fit_splits[0], dtype=object))
    if dev_split is not None and not (splits == dev_split).any():
        raise ValueError(f"dev split {dev_split!r} has no rows; splits present: {sorted(set(splits))}")
    lf_list = resolve_lfs(lfs)
    lf_names = [lf.name for lf in lf_list]
    keys = _keys(frame, id_field)
    timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    L_df, F_df = apply_lfs(frame, lf_list, cardinality=k, id_field=id_field, fault_tolerant=fault_tolerant)
    L = L_df.to_numpy()
    timings["apply_lfs"] = time.perf_counter() - t

    t = time.perf_counter()
    gold = np.full(len(frame), -1, np.int64)
    if dev_split is not None:
        m = splits == dev_split
        if gold_field not in frame.columns:
            raise KeyError(f"gold_field {gold_field!r} is not a column: {list(frame.columns)}")
        gold[m] = _gold_ids(frame.loc[m, gold_field].tolist(), names, f"dev split {dev_split!r}")
    stats = empty_stats(k, len(lf_list), max_patterns)
    for split in sorted(set(splits)):
        m = splits == split
        for i in range(0, int(m.sum()), BATCH):  # batch by batch, as the CombineFn adds them
            idx = np.nonzero(m)[0][i:i + BATCH]
            add_batch(stats, L[idx], split, gold[idx] if split == dev_split else None)
    compact_stats(stats)
    spec = aggregator if isinstance(aggregator, AggregateSpec) else AggregateSpec(aggregator=aggregator, seed=seed)
    agg = fit_aggregate(stats, lf_names, fit_splits, dev_split, spec, names)
    agg_probs = agg.chosen.predict_proba(L) if len(L) else np.zeros((0, k))
    covered = (L != ABSTAIN).any(axis=1)
    timings["fit_aggregate"] = time.perf_counter() - t
    warnings = list(agg.warnings)

    t = time.perf_counter()
    em, end_probs, end_choices = None, None, []
    if end_model is not None:
        em_spec = end_model if isinstance(end_model, EndModelSpec) else EndModelSpec(
            **{"seed": seed, **{k_: tuple(v) if isinstance(v, list) else v for k_, v in end_model.items()}})
        fit_rows = np.isin(splits, list(fit_splits))
        cols = {f: frame.loc[fit_rows, f].tolist() for f in em_spec.text_fields + em_spec.numeric_fields
                if f in frame.columns}
        try:
            if dev_split is not None:
                dv = splits == dev_split
                probs_by = {name: a.predict_proba(L[fit_rows]) for name, a in agg.fitted.items()}
                em, end_choices = fit_end_model_on_dev(
                    cols, probs_by, covered[fit_rows], em_spec,
                    {f: frame.loc[dv, f].tolist() for f in cols}, gold[dv], agg.chosen.name)
            else:
                em = fit_end_model(cols, agg_probs[fit_rows], covered[fit_rows], em_spec)
        except EndModelUnavailable as exc:
            warnings.append({"code": "end_model_skipped", "message": f"end model not trained: {exc}"})
        if em is not None:
            end_probs = em.predict_proba({f: frame[f].tolist() for f in em_spec.text_fields + em_spec.numeric_fields})
    timings["end_model"] = time.perf_counter() - t
    end_use = None
    if em is None:
        from_end_model = "none"
    elif from_end_model == "auto" and dev_split is not None:
        m = splits == dev_split
        from_end_model, end_use = choose_end_model_use(agg_probs[m], end_probs[m], covered[m], gold[m])
    elif from_end_model == "auto":
        from_end_model = "all"

    labels, probs, source = final_labels(agg_probs, covered, keys, agg.chosen.name, end_probs, from_end_model,
                                         gold, gold_overrides, tie_break)
    faults = {n: int(F_df[n].sum()) for n in lf_names}
    summary = pd.DataFrame(lf_summary_rows(stats, lf_names, names, fit_splits, dev_split, agg, faults))
    metrics = pd.DataFrame([{"step": r["aggregator"], **{c: r[c] for c in ("dev_accuracy", "dev_accuracy_covered",
                                                                        "cross_fitted", "chosen", "note")}}
                            for r in agg.candidates])
    mistakes, confusion = {}, None
    if dev_split is not None:
        m = splits == dev_split
        cov = covered[m]
        extra = []
        if end_probs is not None:
            extra.append({"step": "end_model", "dev_accuracy": expected_accuracy(end_probs[m], gold[m]),
                          "dev_accuracy_covered": expected_accuracy(end_probs[m], gold[m], None, cov),
                          "cross_fitted": False, "chosen": from_end_model != "none",
                          "note": "never trained on dev rows"})
        produced = labels[m]
        policy = {"all": "the end model labels every example",
                  "uncovered": f"{agg.chosen.name} labels covered examples, the end model the others",
                  "none": f"{agg.chosen.name} labels every example"}[from_end_model]
        if end_use is not None:
            policy += " (best on dev of: " + ", ".join(f"{k} {v:.3f}" for k, v in end_use.items()) + ")"
        extra.append({"step": "produced labels", "dev_accuracy": float((produced == gold[m]).mean()),
                      "dev_accuracy_covered": float((produced[cov] == gold[m][cov]).mean()) if cov.any() else None,
                      "cross_fitted": False, "chosen": False,
                      "note": f"from_end_model={from_end_model}: {policy}; ties broken by example key"})
        metrics = pd.concat([metrics, pd.DataFrame(extra)], ignore_index=True)
        rows = frame.loc[m].drop(columns=["__split__"], errors="ignore").to_dict("records")
        mistakes = lf_mistakes(L[m], gold[m], lf_names, names, rows, mistakes_per_lf)
        confusion = confusion_matrix(produced, gold[m], k)
    label_frame = pd.DataFrame({"label": labels, "label_name": [names[i] if i >= 0 else None for i in labels],
                                "label_source": source, "covered": covered, "split": splits}, index=frame.index)
    timings["total"] = time.perf_counter() - t0
    return WeakLabelResult(L_df, summary, label_frame, pd.DataFrame(probs, index=frame.index, columns=names),
                           metrics, warnings, agg.reason, names, agg, em, mistakes, timings, confusion,
                           from_end_model, pd.DataFrame(end_choices) if end_choices else None)
