"""The rebalancing plan: from class counts only (a combiner's output) to how many
examples each class keeps, copies, removes or synthesizes, with the errors that name
the class and the numbers when a target cannot be met."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction

from datalife.transforms.rebalance.spec import Counts, Ratio, RebalanceSpec

__all__ = ["ClassPlan", "Plan", "make_plan", "RebalanceError", "AccountingError", "check_accounting",
           "class_weights"]


class RebalanceError(ValueError):
    """Bad input or an unreachable target (the message names the class and the numbers)."""


class AccountingError(AssertionError):
    """in = out - added + removed does not hold: a bug, never bad input."""


@dataclass(frozen=True)
class ClassPlan:
    label: str
    n_in: int
    n_out: int

    @property
    def added(self) -> int:
        return max(0, self.n_out - self.n_in)

    @property
    def removed(self) -> int:
        return max(0, self.n_in - self.n_out)

    def selected(self, strategy: str) -> int:
        """How many examples of the class the priority order picks: the kept ones
        (undersample), or those that get one copy / synthetic more than the others."""
        if strategy == "undersample":
            return self.n_out
        if strategy in ("oversample", "smote") and self.n_in:
            return self.added % self.n_in
        return 0

    def per_example(self) -> int:
        """Copies (oversample) or synthetics (smote) every example of the class makes at least."""
        return self.added // self.n_in if self.n_in else 0


@dataclass(frozen=True)
class Plan:
    strategy: str
    classes: dict[str, ClassPlan]
    weights: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"strategy": self.strategy, "weights": dict(self.weights),
                "classes": {c: asdict(p) for c, p in self.classes.items()}}

    @classmethod
    def from_dict(cls, d: dict) -> "Plan":
        return cls(d["strategy"], {c: ClassPlan(**p) for c, p in d["classes"].items()}, dict(d.get("weights", {})))

    def table(self) -> list[dict]:
        return [{"class": c, "in": p.n_in, "out": p.n_out, "added": p.added, "removed": p.removed}
                for c, p in self.classes.items()]


def _floor(r: float, n: int) -> int:
    return math.floor(Fraction(repr(float(r))) * n)


def _targets(counts: dict[str, int], spec: RebalanceSpec) -> dict[str, int]:
    s, t = spec.strategy, spec.target
    if s == "weight":
        return dict(counts)
    up = s in ("oversample", "smote")
    if t == "balance":
        goal = max(counts.values()) if up else min(counts.values())
        if not up and goal == 0:
            empty = [c for c, n in counts.items() if n == 0]
            raise RebalanceError(f"undersampling to balance would remove every example: class {empty[0]!r} has 0 "
                                 f"examples (counts {counts})")
        return {c: max(n, goal) if up else min(n, goal) for c, n in counts.items()}
    if isinstance(t, Ratio):
        if up:
            goal = _floor(t.ratio, max(counts.values()))
            return {c: max(n, goal) for c, n in counts.items()}
        goal = math.floor(Fraction(min(counts.values())) / Fraction(repr(float(t.ratio))))
        return {c: min(n, goal) for c, n in counts.items()}
    assert isinstance(t, Counts)
    unknown = [c for c in t.counts if c not in counts]
    if unknown:
        raise RebalanceError(f"the target names class {unknown[0]!r}, which is not among the classes "
                             f"{sorted(counts)}")
    out = dict(counts)
    for c, goal in t.counts.items():
        n = counts[c]
        if up and goal < n:
            raise RebalanceError(f"{s} never removes examples: class {c!r} has {n} examples, target {goal} "
                                 f"(use undersample)")
        if not up and goal > n:
            raise RebalanceError(f"target count cannot be reached by undersampling: class {c!r} has {n} examples, "
                                 f"target {goal}")
        out[c] = goal
    return out


def class_weights(counts: dict[str, int], weighting: str, beta: float = 0.999) -> dict[str, float]:
    """Per-class weight, scaled so the examples' weights sum to their number (the mean
    weight is 1): ``inverse`` is scikit-learn's ``class_weight="balanced"``, N / (C n_c);
    ``effective`` is (1 - beta) / (1 - beta ** n_c) (Cui et al. 2019), rescaled."""
    present = {c: n for c, n in counts.items() if n > 0}
    if weighting == "none":
        return {c: 1.0 for c in present}
    total = sum(present.values())
    if weighting == "inverse":
        return {c: total / (len(present) * n) for c, n in present.items()}
    if weighting == "effective":
        raw = {c: (1.0 - beta) / (1.0 - beta ** n) for c, n in present.items()}
        scale = total / sum(raw[c] * n for c, n in present.items())
        return {c: w * scale for c, w in raw.items()}
    raise RebalanceError(f"unknown weighting {weighting!r}; expected none, inverse or effective")


def make_plan(counts: dict[str, int], spec: RebalanceSpec) -> Plan:
    """The plan for one split from its class counts (classes of the vocabulary that are
    absent count 0)."""
    counts = {str(c): int(n) for c, n in counts.items()}
    if spec.classes is not None:
        outside = [c for c in counts if c not in spec.classes]
        if outside:
            raise RebalanceError(f"label {outside[0]!r} ({counts[outside[0]]} examples) is outside the vocabulary "
                                 f"{spec.classes}")
        counts = {c: counts.get(c, 0) for c in spec.classes}
    if not counts or not sum(counts.values()):
        raise RebalanceError("no labeled examples to rebalance")
    targets = _targets(counts, spec)
    for c, goal in targets.items():
        n = counts[c]
        if goal > n and n == 0:
            raise RebalanceError(f"class {c!r} has 0 examples: {spec.strategy} cannot create a class from nothing "
                                 f"(target {goal})")
        if spec.strategy == "smote" and goal > n and n <= spec.k_neighbors:
            raise RebalanceError(f"SMOTE with k_neighbors={spec.k_neighbors} needs at least {spec.k_neighbors + 1} "
                                 f"examples in each class it oversamples: class {c!r} has {n} (target {goal}); "
                                 f"lower k_neighbors or use oversample")
    weights = class_weights(counts, spec.weighting, spec.beta) if spec.strategy == "weight" else {}
    return Plan(spec.strategy, {c: ClassPlan(c, counts[c], targets[c]) for c in counts}, weights)


def check_accounting(plan: Plan, out_counts: dict[str, int], added: dict[str, int], removed: dict[str, int]) -> None:
    """Raise AccountingError unless, per class, in = out - added + removed and the
    output matches the plan exactly."""
    for c, p in plan.classes.items():
        o, a, r = out_counts.get(c, 0), added.get(c, 0), removed.get(c, 0)
        if p.n_in != o - a + r or o != p.n_out:
            raise AccountingError(f"class {c!r}: in {p.n_in}, out {o}, added {a}, removed {r}; planned out {p.n_out}")
    extra = set(out_counts) - set(plan.classes)
    if extra:
        raise AccountingError(f"output has classes outside the plan: {sorted(extra)}")
