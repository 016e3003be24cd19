"""Labeling-function building blocks.

Every builder returns a Snorkel ``LabelingFunction`` (so Snorkel's own appliers and
analysis accept it unchanged) that also has a vectorised ``apply_batch(columns)``:
given a batch as ``{field: sequence of values}`` it returns the labels of the whole
batch at once. A field that is missing (``None``) makes every builder abstain.

Abstain is ``ABSTAIN = -1``; labels are integer class ids ``0..k-1``.
"""
from __future__ import annotations

import operator
import re
from typing import Callable, Iterable, Optional, Sequence

import numpy as np
from snorkel.labeling import LabelingFunction

__all__ = [
    "ABSTAIN",
    "BatchLF",
    "keyword_lf",
    "regex_lf",
    "length_lf",
    "threshold_lf",
    "from_function",
]

ABSTAIN = -1


class BatchLF(LabelingFunction):
    """A Snorkel LabelingFunction with a vectorised batch path and a declared ``field``."""

    def __init__(self, name: str, f: Callable, field: str, label: int, batch: Callable):
        super().__init__(name=name, f=f)
        if not isinstance(label, (int, np.integer)) or label < 0:
            raise ValueError(f"labeling function {name!r}: label must be a class id >= 0, got {label!r}")
        self.field, self.label, self._batch = field, int(label), batch

    def apply_batch(self, columns: dict) -> np.ndarray:
        if self.field not in columns:
            raise KeyError(f"labeling function {self.name!r} reads field {self.field!r}, "
                           f"which the examples do not have: {sorted(columns)}")
        votes = np.asarray(self._batch(columns[self.field]))
        if votes.dtype.kind in "iu":
            return votes.astype(np.int64)
        if votes.dtype.kind == "f" and np.isfinite(votes).all() and (votes == np.round(votes)).all():
            return votes.astype(np.int64)
        # not integer votes: the applier re-runs the LF row by row to name the example
        raise ValueError(f"labeling function {self.name!r}: batch votes of dtype {votes.dtype} are not class ids")


def _text_rule(name: str, field: str, label: int, test: Callable[[str], bool]) -> BatchLF:
    def f(x):
        value = getattr(x, field, None)
        return label if value is not None and test(str(value)) else ABSTAIN

    def batch(values: Sequence) -> list[int]:
        return [label if v is not None and test(str(v)) else ABSTAIN for v in values]

    return BatchLF(name, f, field, label, batch)


def keyword_lf(name: str, keywords: Iterable[str], label: int, field: str = "text",
               case_sensitive: bool = False, whole_word: bool = False) -> BatchLF:
    """``label`` when any keyword occurs in ``field`` (substring, or whole word)."""
    words = [k for k in keywords]
    if not words:
        raise ValueError(f"labeling function {name!r}: keywords is empty")
    body = "|".join(re.escape(w) for w in words)
    pattern = re.compile(rf"\b(?:{body})\b" if whole_word else body, 0 if case_sensitive else re.IGNORECASE)
    return _text_rule(name, field, label, lambda s: pattern.search(s) is not None)


def regex_lf(name: str, pattern: str, label: int, field: str = "text", flags: int = re.IGNORECASE) -> BatchLF:
    """``label`` when the regular expression matches anywhere in ``field``."""
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise ValueError(f"labeling function {name!r}: bad regular expression {pattern!r}: {exc}") from None
    return _text_rule(name, field, label, lambda s: compiled.search(s) is not None)


def length_lf(name: str, label: int, field: str = "text", *, max_words: Optional[int] = None,
              min_words: Optional[int] = None, max_chars: Optional[int] = None,
              min_chars: Optional[int] = None) -> BatchLF:
    """``label`` when the text's length is within the given (inclusive) bounds."""
    if all(b is None for b in (max_words, min_words, max_chars, min_chars)):
        raise ValueError(f"labeling function {name!r}: give at least one length bound")

    def test(s: str) -> bool:
        words = len(s.split()) if (max_words is not None or min_words is not None) else 0
        return ((max_words is None or words <= max_words) and (min_words is None or words >= min_words)
                and (max_chars is None or len(s) <= max_chars) and (min_chars is None or len(s) >= min_chars))

    return _text_rule(name, field, label, test)


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
        "==": operator.eq, "!=": operator.ne}


def threshold_lf(name: str, field: str, op: str, value: float, label: int) -> BatchLF:
    """``label`` when ``field <op> value`` holds for a number (e.g. ``stars >= 4``)."""
    if op not in _OPS:
        raise ValueError(f"labeling function {name!r}: op must be one of {sorted(_OPS)}, got {op!r}")
    compare = _OPS[op]

    def f(x):
        v = getattr(x, field, None)
        return label if v is not None and compare(float(v), value) else ABSTAIN

    def batch(values: Sequence) -> np.ndarray:
        arr = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            hit = compare(arr, value) & ~np.isnan(arr)
        return np.where(hit, label, ABSTAIN)

    return BatchLF(name, f, field, label, batch)


def from_function(fn: Callable, name: Optional[str] = None) -> LabelingFunction:
    """Wrap any ``fn(x) -> int`` (``x`` has one attribute per field) as a labeling function."""
    if isinstance(fn, LabelingFunction):
        return fn
    return LabelingFunction(name=name or fn.__name__, f=fn)
