"""Accounting declared as data: every component says how its counts add up, and one
function checks it (pure: no TFX, no Beam).

A component declares its rules next to the code that counts (a module constant, or
a function of its config when a rule depends on it)::

    RULES = [Rule("rows_in", ("rows_out", "rows_quarantined"))]
    RULES = [Rule("copies_out", ("images_augmented",), times=cfg.copies)]

and checks its summed counts before it writes its report::

    terms = check_accounting(counts, RULES, component="weak_labeler")

A broken rule is a bug, never bad input: :class:`AccountingError` names the
component, the rule and the numbers (``weak_labeler [train]: rows_in = rows_out +
dropped_all_abstain does not hold: 10 != 8 + 1 = 9``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

__all__ = ["Rule", "AccountingError", "check_accounting", "describe", "sum_counts"]


@dataclass(frozen=True)
class Rule:
    """``total = times * (sum of parts)``; with no parts, ``total`` must be 0."""

    total: str
    parts: tuple[str, ...]
    times: int = 1

    def __str__(self) -> str:
        rhs = " + ".join(self.parts) or "0"
        if self.times != 1:
            rhs = f"{self.times} x ({rhs})" if len(self.parts) > 1 else f"{self.times} x {rhs}"
        return f"{self.total} = {rhs}"


class AccountingError(RuntimeError):
    """Counts that do not add up: a bug in the component, not bad input."""


def check_accounting(counts: Mapping[str, int], rules: Sequence[Rule], component: str = "") -> dict[str, int]:
    """Raise :class:`AccountingError` unless every rule holds (a missing count is 0);
    return every term of the rules with its value, for the report."""
    terms: dict[str, int] = {}
    for rule in rules:
        total = int(counts.get(rule.total, 0))
        parts = [int(counts.get(p, 0)) for p in rule.parts]
        if total != rule.times * sum(parts):
            numbers = " + ".join(str(v) for v in parts) or "0"
            if rule.times != 1:
                numbers = f"{rule.times} x ({numbers})"
            prefix = f"{component}: " if component else ""
            raise AccountingError(f"{prefix}{rule} does not hold: {total} != {numbers} = {rule.times * sum(parts)} "
                                  f"(counts: {dict(sorted(counts.items()))})")
        terms[rule.total] = total
        terms.update(zip(rule.parts, parts))
    return terms


def describe(rules: Iterable[Rule]) -> list[str]:
    """The rules as text (``images_in = images_out + images_quarantined``)."""
    return [str(r) for r in rules]


def sum_counts(dicts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Counts summed key by key (a Beam ``CombineGlobally`` / ``CombinePerKey`` function)."""
    total: Counter = Counter()
    for d in dicts:
        total.update(d)
    return dict(total)
