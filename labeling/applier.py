"""Apply labeling functions to a batch of rows, giving rows of the label matrix.

A batch is columnar: ``{field: list of values}`` plus a parallel list of example
keys. Building-block LFs (``BatchLF``) label the whole batch at once; any other LF
(Snorkel's ``@labeling_function`` included) is called per row on a light row object
with one attribute per field. This is the per-batch core the Beam DoFn calls.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Sequence

import numpy as np

from datalife.labeling.lfs import ABSTAIN, BatchLF

__all__ = ["LFError", "apply_batch"]


class LFError(RuntimeError):
    """A labeling function raised; the message names it and the example's key."""


def _rows(columns: dict, n: int) -> list[SimpleNamespace]:
    names = list(columns)
    return [SimpleNamespace(**{k: columns[k][i] for k in names}) for i in range(n)]


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
