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

__all__ = ["LFError", "apply_batch"]


class LFError(RuntimeError):
    """A labeling function raised; the message names it and the example's key."""


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


def apply_batch(lfs: Sequence, columns: dict, keys: Sequence,
                fault_tolerant: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Label matrix rows ``[len(keys), len(lfs)]`` (int64, ABSTAIN = -1) and a boolean
    matrix of the same shape marking the votes that are abstains because the LF raised.

    An LF that raises stops with :class:`LFError` naming the LF and the example key,
    unless ``fault_tolerant``: then its vote is ABSTAIN and the fault is marked.
    """
    n = len(keys)
    L = np.full((n, len(lfs)), ABSTAIN, dtype=np.int64)
    faulted = np.zeros((n, len(lfs)), dtype=bool)
    rows = None
    for j, lf in enumerate(lfs):
        if isinstance(lf, BatchLF):
            try:
                L[:, j] = lf.apply_batch(columns)
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
            L[i, j] = ABSTAIN if value is None else int(value)
    return L, faulted
