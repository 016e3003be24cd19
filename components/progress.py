"""Rows read so far by the running component, for the progress line ``datalife run``
prints while a component works. The shared reader (``beam_glue.ReadShard``) adds each
batch it reads; the run's log handler resets the count when a component starts and
reads it on a timer. It counts in the process that reads: with the DirectRunner in
memory (the default) that is the run's own process; on multi_processing, portable or
cluster runners the workers count in their own processes and the line shows only the
elapsed time. Standard TFX components (StatisticsGen, Transform) are not counted."""
from __future__ import annotations

import threading

__all__ = ["add", "rows", "reset"]

_lock = threading.Lock()
_rows = 0


def add(n: int) -> None:
    global _rows
    with _lock:
        _rows += n


def rows() -> int:
    return _rows


def reset() -> None:
    global _rows
    with _lock:
        _rows = 0
