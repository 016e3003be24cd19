"""Apply labeling functions to a batch of rows, giving rows of the label matrix.

A batch is columnar: ``{field: list of values}`` plus a parallel list of example
keys. Building-block LFs (``BatchLF``) label the whole batch at once; any other LF
(Snorkel's ``@labeling_function`` included) is called per row on a light row object
with one attribute per field. This is the per-batch core the Beam DoFn calls.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from datalife.labeling.lfs import ABSTAIN, BatchLF

__all__ = ["LFError", "LFVoteError", "apply_batch", "coerce_vote"]


class LFError(RuntimeError):
    """A labeling function raised; the message names it and the example's key."""


class LFVoteError(LFError):
    """A labeling function returned something that is not a vote (names LF, example, value)."""


def _vote_error(lf_name: str, key, value, cardinality) -> LFVoteError:
    allowed = f"0..{cardinality - 1}" if cardinality else "a class id >= 0"
    return LFVoteError(f"labeling function {lf_name!r} returned {value!r} ({type(value).__name__}) on example "
                       f"{key!r}: a vote must be an integer class id {allowed}, or -1 / None to abstain")


def coerce_vote(value, lf_name: str, key, cardinality: int | None = None) -> int:
    """One LF return value as a vote. ``None`` and ``-1`` abstain; an int (or NumPy
    integer, or a float with an integral value such as ``1.0``) is a class id. A bool,
    a non-integral number (``1.7``, NaN), a string or anything else, and a class id
    outside ``0..cardinality-1``, are an :class:`LFVoteError` naming the LF and the
    example: never silently truncated or kept."""
    if value is None:
        return ABSTAIN
    if isinstance(value, (bool, np.bool_)):
        raise _vote_error(lf_name, key, value, cardinality)
    if isinstance(value, (int, np.integer)):
        vote = int(value)
    elif isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        vote = int(value)
    else:
        raise _vote_error(lf_name, key, value, cardinality)
    if vote < ABSTAIN or (cardinality is not None and vote >= cardinality):
        raise _vote_error(lf_name, key, value, cardinality)
    return vote


def _check_column(lf_name: str, column: np.ndarray, keys, cardinality: int | None) -> None:
    bad = column < ABSTAIN if cardinality is None else (column < ABSTAIN) | (column >= cardinality)
    if bad.any():
        i = int(np.nonzero(bad)[0][0])
        raise _vote_error(lf_name, keys[i], int(column[i]), cardinality)


class Row:
    """One example as an object with one attribute per field (``x.text``, also
    ``x["text"]``), read from the batch's columns on first access."""

    __slots__ = ("_columns", "_i")

    def __init__(self, columns, i: int):
        self._columns, self._i = columns, i

    def __getattr__(self, name):
        try:
            return self._columns[name][self._i]
        except KeyError:
            raise AttributeError(f"the example has no field {name!r}") from None

    __getitem__ = __getattr__

    def __repr__(self) -> str:
        return f"Row({ {k: self._columns[k][self._i] for k in self._columns} })"


def _rows(columns, n: int) -> list[Row]:
    return [Row(columns, i) for i in range(n)]


def apply_batch(lfs: Sequence, columns: dict, keys: Sequence, fault_tolerant: bool = False,
                cardinality: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Label matrix rows ``[len(keys), len(lfs)]`` (int64, ABSTAIN = -1) and a boolean
    matrix of the same shape marking the votes that are abstains because the LF raised.

    An LF that raises, or returns something that is not a vote (see
    :func:`coerce_vote`; with ``cardinality``, a class id out of range too), stops
    with :class:`LFError` naming the LF and the example key, unless
    ``fault_tolerant``: then its vote is ABSTAIN and the fault is marked.
    """
    n = len(keys)
    L = np.full((n, len(lfs)), ABSTAIN, dtype=np.int64)
    faulted = np.zeros((n, len(lfs)), dtype=bool)
    rows = None
    for j, lf in enumerate(lfs):
        if isinstance(lf, BatchLF):
            try:
                column = lf.apply_batch(columns)
                _check_column(lf.name, column, keys, cardinality)
                L[:, j] = column
                continue
            except KeyError:
                raise
            except Exception:
                pass  # find the failing row below, one by one
        if rows is None:
            rows = _rows(columns, n)
        for i, row in enumerate(rows):
            try:
                value = lf(row)
            except Exception as exc:
                if not fault_tolerant:
                    raise LFError(f"labeling function {lf.name!r} raised {type(exc).__name__}: {exc} "
                                  f"on example {keys[i]!r}") from exc
                faulted[i, j] = True
                continue
            try:
                L[i, j] = coerce_vote(value, lf.name, keys[i], cardinality)
            except LFVoteError:
                if not fault_tolerant:
                    raise
                faulted[i, j] = True
    return L, faulted
