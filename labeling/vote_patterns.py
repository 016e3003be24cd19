"""A label matrix as sufficient statistics: its distinct vote patterns with counts.

Every aggregator in :mod:`datalife.labeling.aggregators` is fitted from these
statistics, never from rows, so a Beam ``CombineFn`` over them is a thin wrapper
(``create_accumulator = empty_stats``, ``add_input = add_batch``,
``merge_accumulators = merge_stats``, ``extract_output = compact_stats``) and no
worker holds the label matrix.

- Per split, a :class:`PatternCounts`: the distinct rows of the split's label matrix
  and how often each occurs. On a split with gold labels (the dev split) the pattern
  is (votes, gold), so dev accuracies of any aggregator are exact sums over it.
- Memory is bounded by the number of distinct patterns ``P``, not by rows:
  ``P <= min(rows, (k + 1) ** m)`` for ``m`` LFs and ``k`` classes, about
  ``2m + 8`` bytes per pattern (votes as int16, an int64 count), plus sorting
  temporaries while compacting. For 10 binary LFs ``P <= 3**10 = 59,049`` whatever
  the number of rows.
- When patterns explode (many LFs with many classes) a split's patterns are capped at
  ``max_patterns`` (default 1,000,000, ~40 MB for 10 LFs). Past the cap a split
  without gold falls back, exactly and without losing anything, to *moments*: the
  row count, the per-LF vote counts and the overlap matrix ``O`` (the one-hot votes'
  ``[m*k, m*k]`` co-occurrence counts). Majority vote, weighted vote and Snorkel's
  LabelModel (which uses only ``O`` and the class balance) still fit from moments;
  Dawid-Skene needs patterns and is skipped with a warning saying why. A gold-bearing
  (dev) split past the cap is an error (:class:`TooManyPatterns`): its patterns are
  needed to score the aggregators, and a dev split that large should be sampled.

Patterns are kept sorted by an encoding of their votes, so the statistics are
canonical: the same rows give the same arrays whatever the batching or merge order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

import numpy as np

from datalife.labeling.label_model import ABSTAIN  # (lfs.py would import Snorkel)

__all__ = ["MAX_PATTERNS", "PatternCounts", "Moments", "VoteStats", "TooManyPatterns", "count_patterns",
           "merge_counts", "moments_of", "merge_moments", "empty_stats", "add_batch", "merge_stats",
           "compact_stats", "stats_of", "split_counts"]

MAX_PATTERNS = 1_000_000
_COMPACT_MIN = 20_000  # pending patterns tolerated before a compaction (amortises the sort)


class TooManyPatterns(ValueError):
    """A gold-bearing split has more distinct (votes, gold) patterns than the cap."""


@dataclass
class PatternCounts:
    """Distinct rows of a label matrix (``patterns``, int16, -1 = abstain) with how
    many rows have each (``counts``); with ``gold``, a pattern is (votes, gold)."""

    patterns: np.ndarray  # [P, m] int16
    counts: np.ndarray  # [P] int64
    gold: Optional[np.ndarray] = None  # [P] int16

    @property
    def n_rows(self) -> int:
        return int(self.counts.sum())

    @property
    def n_patterns(self) -> int:
        return len(self.counts)

    def expand(self) -> tuple[np.ndarray, Optional[np.ndarray]]:
        """The label matrix (and gold) these counts stand for, rows in pattern order."""
        L = np.repeat(self.patterns.astype(np.int64), self.counts, axis=0)
        return L, (None if self.gold is None else np.repeat(self.gold.astype(np.int64), self.counts))


@dataclass
class Moments:
    """What is left of a split past the pattern cap: exact additive statistics."""

    n_rows: int
    overlap: np.ndarray  # [m*k, m*k] float64 counts: O = onehot(L).T @ onehot(L), column j*k + c
    votes: np.ndarray  # [m, k] int64: rows where LF j voted c

    @property
    def n_lfs(self) -> int:
        return self.votes.shape[0]


def _onehot(patterns: np.ndarray, k: int) -> np.ndarray:
    """[P, m*k] indicator of "LF j voted c" at column j*k + c (Snorkel's layout)."""
    P, m = patterns.shape
    out = np.zeros((P, m * k))
    rows, lfs = np.nonzero(patterns != ABSTAIN)
    out[rows, lfs * k + patterns[rows, lfs]] = 1.0
    return out


def moments_of(pc: PatternCounts, k: int) -> Moments:
    """The moments of pattern counts (exact: integer counts in float64)."""
    X = _onehot(pc.patterns, k)
    overlap = (X * pc.counts[:, None]).T @ X
    votes = (X * pc.counts[:, None]).sum(axis=0).round().astype(np.int64).reshape(pc.patterns.shape[1], k)
    return Moments(pc.n_rows, overlap, votes)


def merge_moments(a: Moments, b: Moments) -> Moments:
    return Moments(a.n_rows + b.n_rows, a.overlap + b.overlap, a.votes + b.votes)


def _codes(patterns: np.ndarray, gold: Optional[np.ndarray], k: int) -> Optional[np.ndarray]:
    """One int64 per pattern (base k+1 digits, gold as a last base-k digit), or None
    when (k+1)^m * k does not fit in 62 bits."""
    m = patterns.shape[1]
    if m * np.log2(k + 1) + np.log2(k) > 62:
        return None
    base = np.int64(k + 1) ** np.arange(m, dtype=np.int64)
    code = (patterns.astype(np.int64) + 1) @ base
    if gold is not None:
        code = code + gold.astype(np.int64) * (np.int64(k + 1) ** m)
    return code


def _unique(patterns: np.ndarray, counts: np.ndarray, gold: Optional[np.ndarray], k: int) -> PatternCounts:
    code = _codes(patterns, gold, k)
    if code is not None:
        _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    else:
        rows = patterns if gold is None else np.column_stack([patterns, gold])
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    summed = np.bincount(inverse, weights=counts, minlength=len(first)).round().astype(np.int64)
    return PatternCounts(patterns[first], summed, None if gold is None else gold[first])


def count_patterns(L: np.ndarray, cardinality: int, gold: Optional[Iterable] = None,
                   split: str = "?") -> PatternCounts:
    """The distinct rows of ``L`` (``[n, m]``, -1 = abstain) with their counts.

    Votes outside -1..cardinality-1 and gold labels outside 0..cardinality-1 are
    refused (the applier names the LF and the example before this is reached; this
    check keeps the statistics sound whoever calls it)."""
    L = np.asarray(L)
    if L.ndim != 2:
        raise ValueError(f"split {split!r}: a label matrix must be 2-D, got shape {L.shape}")
    bad = (L < ABSTAIN) | (L >= cardinality)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise ValueError(f"split {split!r}: labeling function #{j} voted {int(L[i, j])} on row {i}, "
                         f"outside -1..{cardinality - 1} (cardinality {cardinality})")
    g = None
    if gold is not None:
        g = np.asarray(list(gold) if not isinstance(gold, np.ndarray) else gold)
        if len(g) != len(L):
            raise ValueError(f"split {split!r}: {len(g)} gold labels for {len(L)} rows")
        if len(g) and (g.min() < 0 or g.max() >= cardinality):
            i = int(np.nonzero((g < 0) | (g >= cardinality))[0][0])
            raise ValueError(f"split {split!r}: gold label {g[i]!r} on row {i}, outside 0..{cardinality - 1}")
        g = g.astype(np.int16)
    return _unique(L.astype(np.int16), np.ones(len(L), np.int64), g, cardinality)


def merge_counts(a: PatternCounts, b: PatternCounts, cardinality: int) -> PatternCounts:
    if (a.gold is None) != (b.gold is None):
        raise ValueError("cannot merge pattern counts with gold labels and without")
    gold = None if a.gold is None else np.concatenate([a.gold, b.gold])
    return _unique(np.concatenate([a.patterns, b.patterns]), np.concatenate([a.counts, b.counts]), gold,
                   cardinality)


@dataclass
class _Split:
    counts: Optional[PatternCounts] = None  # compacted
    pending: list = field(default_factory=list)  # PatternCounts not yet merged in
    moments: Optional[Moments] = None  # set once the split went past the cap (counts is then None)

    def pending_patterns(self) -> int:
        return sum(p.n_patterns for p in self.pending)


@dataclass
class VoteStats:
    """The CombineFn accumulator: per split, pattern counts (or moments past the cap)."""

    cardinality: int
    n_lfs: int
    max_patterns: int = MAX_PATTERNS
    splits: dict = field(default_factory=dict)  # split -> _Split

    def counts(self, split: str) -> Optional[PatternCounts]:
        s = self.splits.get(split)
        if s is None:
            return None
        _compact(self, split, s, force=True)
        return s.counts

    def moments(self, split: str) -> Optional[Moments]:
        s = self.splits.get(split)
        if s is None:
            return None
        _compact(self, split, s, force=True)
        return s.moments if s.moments is not None else moments_of(s.counts, self.cardinality)

    def split_names(self) -> list[str]:
        return sorted(self.splits)

    def n_rows(self, split: str) -> int:
        s = self.splits.get(split)
        if s is None:
            return 0
        done = s.moments.n_rows if s.moments is not None else (s.counts.n_rows if s.counts is not None else 0)
        return done + sum(p.n_rows for p in s.pending)


def empty_stats(cardinality: int, n_lfs: int, max_patterns: int = MAX_PATTERNS) -> VoteStats:
    if cardinality < 2:
        raise ValueError(f"cardinality must be >= 2, got {cardinality}")
    return VoteStats(cardinality, n_lfs, max_patterns)


def _compact(stats: VoteStats, split: str, s: _Split, force: bool = False) -> None:
    if not s.pending:
        return
    current = s.counts.n_patterns if s.counts is not None else 0
    if not force and s.pending_patterns() < max(current, _COMPACT_MIN):
        return
    k = stats.cardinality
    parts = ([s.counts] if s.counts is not None else []) + s.pending
    s.pending = []
    if s.moments is not None:
        for p in parts:
            s.moments = merge_moments(s.moments, moments_of(p, k))
        return
    gold = None if parts[0].gold is None else np.concatenate([p.gold for p in parts])
    merged = _unique(np.concatenate([p.patterns for p in parts]), np.concatenate([p.counts for p in parts]),
                     gold, k)
    if merged.n_patterns > stats.max_patterns:
        if merged.gold is not None:
            raise TooManyPatterns(
                f"split {split!r} (with gold labels) has {merged.n_patterns:,} distinct (votes, gold) patterns, "
                f"more than max_patterns={stats.max_patterns:,} ({stats.n_lfs} LFs, {k} classes: up to "
                f"{float(k + 1) ** stats.n_lfs * k:.3g} possible); use a smaller dev split or raise max_patterns")
        s.counts, s.moments = None, moments_of(merged, k)
        return
    s.counts = merged


def add_batch(stats: VoteStats, L: np.ndarray, split: str, gold: Optional[Iterable] = None) -> VoteStats:
    """Add a batch of label-matrix rows of one split (with gold labels on a dev split)."""
    L = np.asarray(L)
    if L.ndim == 2 and L.shape[1] != stats.n_lfs:
        raise ValueError(f"split {split!r}: batch has {L.shape[1]} LF columns, expected {stats.n_lfs}")
    pc = count_patterns(L.reshape(-1, stats.n_lfs) if L.size == 0 else L, stats.cardinality, gold, split)
    s = stats.splits.setdefault(split, _Split())
    first = s.counts if s.counts is not None else (s.pending[0] if s.pending else None)
    if first is not None and (first.gold is None) != (pc.gold is None):
        raise ValueError(f"split {split!r}: some batches have gold labels and some do not")
    s.pending.append(pc)
    _compact(stats, split, s)
    return stats


def merge_stats(a: VoteStats, b: VoteStats) -> VoteStats:
    """Merge ``b`` into ``a`` (both from :func:`empty_stats` with the same shape)."""
    if (a.cardinality, a.n_lfs) != (b.cardinality, b.n_lfs):
        raise ValueError(f"cannot merge statistics of {a.n_lfs} LFs x {a.cardinality} classes with "
                         f"{b.n_lfs} LFs x {b.cardinality} classes")
    for split, sb in b.splits.items():
        sa = a.splits.setdefault(split, _Split())
        if sb.moments is not None:
            sa.moments = sb.moments if sa.moments is None else merge_moments(sa.moments, sb.moments)
            if sa.counts is not None:
                sa.pending.append(sa.counts)
                sa.counts = None
        elif sb.counts is not None:
            sa.pending.append(sb.counts)
        sa.pending.extend(sb.pending)
        _compact(a, split, sa)
    return a


def compact_stats(stats: VoteStats) -> VoteStats:
    """Merge every pending batch (the CombineFn's ``extract_output``)."""
    for split, s in stats.splits.items():
        _compact(stats, split, s, force=True)
    return stats


def stats_of(L: np.ndarray, splits: Iterable[str], cardinality: int, gold: Optional[dict] = None,
             max_patterns: int = MAX_PATTERNS) -> VoteStats:
    """Statistics of a whole label matrix with one split name per row; ``gold`` maps a
    split to its rows' gold labels (in row order), e.g. ``{"dev": y_dev}``."""
    L = np.asarray(L)
    splits = np.asarray(list(splits))
    stats = empty_stats(cardinality, L.shape[1], max_patterns)
    for split in sorted(set(splits.tolist())):
        m = splits == split
        add_batch(stats, L[m], split, None if not gold or split not in gold else np.asarray(gold[split]))
    return compact_stats(stats)


def split_counts(stats: VoteStats, splits: Iterable[str]) -> Optional[PatternCounts] | Moments:
    """Pattern counts of several splits together (votes only; gold dropped), or their
    moments when any of them went past the cap; None when none of them has rows."""
    parts = [s for s in splits if s in stats.splits]
    if not parts:
        return None
    if any(stats.counts(s) is None for s in parts):
        total = None
        for s in parts:
            m = stats.moments(s)
            total = m if total is None else merge_moments(total, m)
        return total
    counts = [stats.counts(s) for s in parts]
    merged = _unique(np.concatenate([c.patterns for c in counts]), np.concatenate([c.counts for c in counts]),
                     None, stats.cardinality)
    return merged
