"""Timing helpers shared by the benchmarks."""
from __future__ import annotations

import json
import os
import time
from typing import Callable


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def single_core() -> None:
    """Pin this process to one core so per-core figures mean what they say."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def report(name: str, rows: list[dict]) -> None:
    print(f"\n== {name} ==")
    for row in rows:
        print("  " + ", ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()))
    print("JSON " + json.dumps({"benchmark": name, "rows": rows}))
