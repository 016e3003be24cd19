"""Resampling decisions from a plan, on arrays: which rows stay, how many copies each
makes, which synthetic points SMOTE adds (a :class:`Layout` of the output rows). The
pandas API, the array API and the Beam glue all call these; every decision comes from
the example's key (``keyed_order``), never from its position."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from datalife.transforms.keyed_order import priorities, smallest
from datalife.transforms.rebalance.plan import ClassPlan, Plan
from datalife.transforms.rebalance.smote import check_features, plan_synthetics, points

__all__ = ["outputs_per_example", "outputs_for", "class_cut", "class_cuts", "Layout", "layout", "copy_index"]


def outputs_for(cp: ClassPlan, strategy: str, selected) -> np.ndarray:
    """Outputs (original + duplicates) of examples of class ``cp`` that are / are not
    among the ``cp.selected(strategy)`` smallest priorities: one rule for every path."""
    selected = np.asarray(selected, dtype=np.int64)
    if strategy == "undersample" and cp.removed:
        return selected
    if strategy == "oversample" and cp.added:
        return 1 + cp.per_example() + selected
    return np.ones_like(selected)


def class_cut(plan: Plan, label: str, hist: dict):
    """Where class ``label``'s selection ends (a ``keyed_order.Cut``: four integers),
    from its merged priority histogram; a graph computes it class by class, so the
    histograms never meet in one worker."""
    from datalife.transforms.keyed_order import cut

    return cut(hist, plan.classes[label].selected(plan.strategy))


def class_cuts(hists: dict, plan: Plan) -> dict:
    return {c: class_cut(plan, c, h) for c, h in hists.items()}


def outputs_per_example(keys: Sequence, cp: ClassPlan, strategy: str, seed: int) -> np.ndarray:
    """How many times each example of the class appears in the output, original and
    duplicates together: undersample 0 or 1 (the n_out smallest priorities stay);
    oversample n_out // n_in, plus one for the (n_out mod n_in) smallest priorities;
    smote and weight 1."""
    n = len(keys)
    if n != cp.n_in:
        raise ValueError(f"class {cp.label!r}: {n} keys for a plan of {cp.n_in}")
    if strategy not in ("undersample", "oversample"):
        return np.ones(n, dtype=np.int64)
    k = cp.selected(strategy)
    chosen = smallest(priorities(seed, keys), keys, k) if 0 < k < n else np.full(n, k == n and k > 0)
    return outputs_for(cp, strategy, chosen)


def copy_index(per: np.ndarray) -> np.ndarray:
    """1..per[i] for each i, concatenated."""
    per = np.asarray(per, dtype=np.int64)
    starts = np.cumsum(per) - per
    return np.arange(int(per.sum())) - np.repeat(starts, per) + 1


@dataclass
class Layout:
    """The output rows as input row indices: kept originals (input order), then the
    duplicates, then the synthetic rows (their source rows; points from ``write_points``)."""
    outputs: np.ndarray  # per input row: originals + duplicates it makes
    kept: np.ndarray
    dup: np.ndarray
    dup_copy: np.ndarray
    syn_parts: list = field(default_factory=list)  # (class rows, class feature matrix, Synthetics)

    def _cat(self, attr: str, dtype) -> np.ndarray:
        parts = [getattr(s, attr) if attr in ("copy", "gap") else rows[getattr(s, attr)]
                 for rows, _, s in self.syn_parts]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    @property
    def syn_base(self) -> np.ndarray:
        return self._cat("base", np.int64)

    @property
    def syn_partner(self) -> np.ndarray:
        return self._cat("partner", np.int64)

    @property
    def syn_copy(self) -> np.ndarray:
        return self._cat("copy", np.int64)

    @property
    def syn_gap(self) -> np.ndarray:
        return self._cat("gap", np.float64)

    @property
    def n_synthetic(self) -> int:
        return sum(len(s.base) for _, _, s in self.syn_parts)

    @property
    def n_out(self) -> int:
        return len(self.kept) + len(self.dup) + self.n_synthetic

    def take(self) -> np.ndarray:
        return np.concatenate([self.kept, self.dup, self.syn_base])

    def all_kept(self) -> bool:
        return len(self.kept) == len(self.outputs)

    def write_points(self, out: np.ndarray, columns: Optional[Sequence[int]] = None) -> None:
        """Write the synthetic points, class by class, into the rows of ``out`` (one per
        synthetic), feature j into column ``columns[j]``; column by column, so a
        column-major ``out`` (a pandas block) is filled without a row-major copy."""
        start = 0
        for _, X, s in self.syn_parts:
            m = len(s.base)
            if columns is None and out.flags.c_contiguous:  # row-major: chunks of whole points
                for lo in range(0, m, 65536):
                    points(X, s, slice(lo, lo + 65536), out=out[start + lo:start + min(m, lo + 65536)])
                start += m
                continue
            cols = range(X.shape[1]) if columns is None else columns
            XT = np.ascontiguousarray(np.asarray(X, dtype=np.float64).T)
            for j, pos in enumerate(cols):
                xb = XT[j][s.base]
                col = out[start:start + m, pos]
                np.subtract(XT[j][s.partner], xb, out=col)
                col *= s.gap
                col += xb
            start += m


def layout(codes: np.ndarray, names: Sequence[str], keys: np.ndarray, plan: Plan, seed: int,
           X=None, feature_names: Sequence[str] = (), k_neighbors: int = 5) -> Layout:
    """The output layout for one split: ``codes`` index ``names`` per row. SMOTE only
    needs ``X``: an array (rows x features) or a function ``rows -> array``; only its
    oversampled classes' rows are read."""
    strategy = plan.strategy
    outputs = np.ones(len(codes), dtype=np.int64)
    syn_parts = []
    for ci, name in enumerate(names):
        cp = plan.classes[name]
        if strategy == "weight" or (strategy == "undersample" and not cp.removed) or (
                strategy in ("oversample", "smote") and not cp.added):
            continue
        rows = np.flatnonzero(codes == ci)
        outputs[rows] = outputs_per_example(keys[rows], cp, strategy, seed)
        if strategy == "smote":
            if X is None:
                raise ValueError("smote needs the feature matrix")
            Xc = np.asarray(X(rows) if callable(X) else X[rows], dtype=np.float64)
            check_features(Xc, feature_names, name, keys[rows])
            syn = plan_synthetics(Xc, keys[rows], cp.added, k_neighbors, seed)
            syn_parts.append((rows, Xc, syn))
    kept = np.flatnonzero(outputs > 0)
    extra = np.maximum(outputs - 1, 0)
    dup = np.repeat(np.arange(len(outputs)), extra)
    return Layout(outputs, kept, dup, copy_index(extra), syn_parts)
