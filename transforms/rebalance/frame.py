"""The pandas API: ``rebalance(df, label=..., strategy=..., target=..., seed=...)``
returns the rebalanced rows with their provenance (``rebalance_kind``,
``rebalance_source``, ``rebalance_partner``, ``rebalance_copy``, ``rebalance_gap``;
``sample_weight`` for the weight strategy) and the report in ``out.attrs["rebalance"]``.

Rows come out as: the kept originals in input order, then the duplicates, then the
synthetic rows, on a new RangeIndex (``rebalance_source`` holds the key). Duplicates
copy every column (a key column too: ``rebalance_source``, ``rebalance_kind`` and
``rebalance_copy`` together identify a row); synthetic rows carry the columns outside
``features`` from their source row (integer features become float). Splits that pass
through unchanged get no ``sample_weight`` (NaN)."""
from __future__ import annotations

from typing import Optional, Union

import numpy as np
import pandas as pd

from datalife.transforms.keyed_order import key_text
from datalife.transforms.rebalance.plan import RebalanceError, check_accounting, make_plan
from datalife.transforms.rebalance.resample import Layout, layout
from datalife.transforms.rebalance.spec import RebalanceSpec

__all__ = ["rebalance", "describe_provenance", "KINDS", "report_of"]

KINDS = ["original", "duplicate", "synthetic"]


def _keys(df: pd.DataFrame, key: Optional[str]) -> np.ndarray:
    keys = df.index if key is None else pd.Index(df[key])
    if not keys.is_unique:
        dup = keys[keys.duplicated()][0]
        where = "index" if key is None else f"key column {key!r}"
        raise RebalanceError(f"the {where} must be unique to seed each example: {dup!r} appears "
                             f"{int((keys == dup).sum())} times")
    return np.asarray(keys)


def _labels(df: pd.DataFrame, label: str, keys: np.ndarray) -> tuple[np.ndarray, list[str]]:
    if label not in df.columns:
        raise RebalanceError(f"no label column {label!r}; columns: {list(df.columns)}")
    codes, uniques = pd.factorize(df[label], sort=True)
    if (codes < 0).any():
        rows = np.flatnonzero(codes < 0)
        raise RebalanceError(f"label {label!r} is missing in {len(rows)} rows (first key {key_text(keys[rows[0]])!r}); "
                             f"nothing is dropped silently: label or remove them first")
    return codes, [str(u) for u in uniques]


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _features(df: pd.DataFrame, spec: RebalanceSpec, label: str, key: Optional[str]) -> list[str]:
    if spec.features is not None:
        missing = [f for f in spec.features if f not in df.columns]
        if missing:
            raise RebalanceError(f"SMOTE feature {missing[0]!r} is not a column; columns: {list(df.columns)}")
        bad = [f for f in spec.features if not _numeric(df[f])]
        if bad:
            raise RebalanceError(f"SMOTE interpolates numeric features only: {bad[0]!r} is {df[bad[0]].dtype}")
        return list(spec.features)
    feats = [c for c in df.columns if c not in (label, key) and _numeric(df[c])]
    if not feats:
        raise RebalanceError("SMOTE found no numeric feature columns; name them with features=[...]")
    return feats


def rebalance(df: pd.DataFrame, label: str, strategy: str = "oversample", target: Union[str, float, dict] = "balance",
              seed: int = 0, key: Optional[str] = None, features: Optional[list] = None, k_neighbors: int = 5,
              weighting: str = "inverse", beta: float = 0.999, classes: Optional[list] = None,
              split: Optional[str] = None, splits: tuple = ("train",)) -> pd.DataFrame:
    """Rebalance ``df``'s classes (column ``label``). Each row is seeded by its key (the
    index, or column ``key``; unique), so the result does not depend on the rows' order.
    Targets: "balance", a ratio to the majority (float or {"ratio": r}), or per-class
    counts ({class: n} or {"counts": {...}}); see ``spec``. With a ``split`` column,
    each of ``splits`` is rebalanced on its own and the other splits pass through
    unchanged; without, the whole frame is the "train" split. The report per split is
    in ``out.attrs["rebalance"]``."""
    spec = RebalanceSpec(strategy=strategy, target=target, seed=seed, features=features, k_neighbors=k_neighbors,
                         weighting=weighting, beta=beta, classes=None if classes is None else [str(c) for c in classes],
                         splits=list(splits))
    if split is None:
        out = _rebalance_split(df, label, spec, key)
        out.attrs["rebalance"] = {"train": out.attrs.pop("one")}
        return out
    if split not in df.columns:
        raise RebalanceError(f"no split column {split!r}; columns: {list(df.columns)}")
    names = df[split].map(str)
    parts, reports = [], {}
    for s in sorted(names.unique()):
        part = df[(names == s).to_numpy()]
        if s in spec.splits:
            got = _rebalance_split(part, label, spec, key)
            reports[s] = got.attrs.pop("one")
        else:
            got = _passed_through(part, key)
            reports[s] = {"passed_through": len(part)}
        parts.append(got)
    out = pd.concat(parts, ignore_index=True)
    out.attrs["rebalance"] = reports
    return out


def _passed_through(df: pd.DataFrame, key: Optional[str]) -> pd.DataFrame:
    out = df.reset_index(drop=True)
    out["rebalance_kind"] = pd.Categorical.from_codes(np.zeros(len(df), np.int8), KINDS)
    out["rebalance_source"] = np.asarray(df.index if key is None else df[key])
    out["rebalance_partner"] = np.full(len(df), None, dtype=object)
    out["rebalance_copy"] = np.zeros(len(df), np.int64)
    out["rebalance_gap"] = np.full(len(df), np.nan)
    return out


def _rebalance_split(df: pd.DataFrame, label: str, spec: RebalanceSpec, key: Optional[str]) -> pd.DataFrame:
    keys = _keys(df, key)
    codes, names = _labels(df, label, keys)
    plan = make_plan(dict(zip(names, np.bincount(codes, minlength=len(names)).tolist())), spec)
    feats = _features(df, spec, label, key) if spec.strategy == "smote" else []
    lay = layout(codes, names, keys, plan, spec.resolved_seed,
                 lambda rows: np.column_stack([df[f].to_numpy(np.float64)[rows] for f in feats]), feats, spec.k_neighbors)
    out = _assemble(df, keys, lay, feats)
    if spec.strategy == "weight":
        out["sample_weight"] = np.array([plan.weights[n] for n in names])[codes]
    out.attrs["one"] = report_of(plan, spec, names, codes, lay)
    return out


def _column(values: np.ndarray, lay: Layout, syn_base: np.ndarray) -> np.ndarray:
    head = values if lay.all_kept() else values[lay.kept]
    return np.concatenate([head, values[lay.dup], values[syn_base]])


def _assemble(df: pd.DataFrame, keys: np.ndarray, lay: Layout, feats: list) -> pd.DataFrame:
    n0, n1, n = len(lay.kept), len(lay.kept) + len(lay.dup), lay.n_out
    syn_base = lay.syn_base
    floats = [c for c in df.columns if df[c].dtype == np.float64 or c in feats]
    block = np.empty((n, len(floats)), dtype=np.float64, order="F")  # column-major: pandas keeps it as is
    for j, c in enumerate(floats):
        col = df[c].to_numpy(np.float64)
        block[:n0, j] = col if lay.all_kept() else col[lay.kept]
        block[n0:n1, j] = col[lay.dup]
        if c not in feats:  # features: written by write_points below
            block[n1:, j] = col[syn_base]
    if lay.n_synthetic:
        lay.write_points(block[n1:], [floats.index(f) for f in feats])
    out = pd.DataFrame(block, columns=floats, copy=False)
    for pos, c in enumerate(df.columns):
        if c not in floats:
            s = df[c]
            values = _column(s.to_numpy(), lay, syn_base) if isinstance(s.dtype, np.dtype) else \
                s.take(np.concatenate([lay.kept, lay.dup, syn_base])).array
            out.insert(pos, c, values)
    kind = np.zeros(n, dtype=np.int8)
    kind[n0:n1], kind[n1:] = 1, 2
    out["rebalance_kind"] = pd.Categorical.from_codes(kind, KINDS)
    out["rebalance_source"] = _column(keys, lay, syn_base)
    partner = np.full(n, None, dtype=object)
    partner[n1:] = keys[lay.syn_partner]
    out["rebalance_partner"] = partner
    copy = np.zeros(n, dtype=np.int64)
    copy[n0:n1], copy[n1:] = lay.dup_copy, lay.syn_copy
    out["rebalance_copy"] = copy
    gap = np.full(n, np.nan)
    gap[n1:] = lay.syn_gap
    out["rebalance_gap"] = gap
    return out


def report_of(plan, spec: RebalanceSpec, names: list, codes: np.ndarray, lay: Layout) -> dict:
    """Counts measured on the layout (not copied from the plan) and checked against it:
    per class in = out - added + removed, out = the planned count."""
    m = len(names)
    out_codes = np.concatenate([codes[lay.kept], codes[lay.dup], codes[lay.syn_base]])
    kind = np.repeat([0, 1, 2], [len(lay.kept), len(lay.dup), lay.n_synthetic])
    per = np.bincount(out_codes * 3 + kind, minlength=3 * m).reshape(m, 3)
    removed_rows = np.bincount(codes[lay.outputs == 0], minlength=m)
    by_kind = {c: dict(zip(KINDS, per[i].tolist())) for i, c in enumerate(names)}
    counts_out = {c: int(per[i].sum()) for i, c in enumerate(names)}
    added = {c: int(per[i, 1:].sum()) for i, c in enumerate(names)}
    removed = {c: int(removed_rows[i]) for i, c in enumerate(names)}
    check_accounting(plan, counts_out, added, removed)
    zero = dict.fromkeys(KINDS, 0)
    return {"strategy": spec.strategy,
            "target": spec.target if isinstance(spec.target, str) else spec.target.model_dump(),
            "seed": spec.resolved_seed, "plan": plan.to_dict(),
            "counts_in": {c: p.n_in for c, p in plan.classes.items()},
            "counts_out": {c: counts_out.get(c, 0) for c in plan.classes},
            "added": {c: added.get(c, 0) for c in plan.classes},
            "removed": {c: removed.get(c, 0) for c in plan.classes},
            "by_kind": {c: by_kind.get(c, dict(zero)) for c in plan.classes},
            "totals": {"in": int(len(codes)), "out": int(lay.n_out), "added": int(len(lay.dup) + lay.n_synthetic),
                       "removed": int((lay.outputs == 0).sum())}}


def describe_provenance(out: pd.DataFrame) -> pd.Series:
    """'original', 'duplicate of <key>' or 'synthetic from <key> and <key>' per row."""
    def one(kind, src, partner):
        if kind == "duplicate":
            return f"duplicate of {src}"
        if kind == "synthetic":
            return f"synthetic from {src} and {partner}"
        return "original"
    return pd.Series([one(k, s, p) for k, s, p in zip(out["rebalance_kind"], out["rebalance_source"],
                                                       out["rebalance_partner"])], index=out.index)
