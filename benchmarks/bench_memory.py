"""Peak RSS against data size (issue 18, item 2): does a component's memory grow with
the rows? Each size runs in a fresh process (peak RSS of that size alone).

- the time-series windower at 1M and 10M rows (``BENCH_MEM_WINDOW_ROWS``, comma
  separated), through its executor on the DirectRunner (1 worker, in_memory), the
  generated hourly series of ``bench_windows``;
- the weak labeler's LF step on the DirectRunner, multi_processing with 1 and 2
  workers (``BENCH_MEM_LF_ROWS``), the read + apply path of ``bench_labeling``.

What it cannot separate: the DirectRunner keeps every PCollection between two stages
in the process's memory (it is a test runner), so its process RSS includes whole
stages' data even when no DoFn holds more than a block; the figure that stays flat is
the largest group a worker holds (reported beside it). A distributed runner (Flink,
Spark, Dataflow) streams bundles between stages instead.
"""
from __future__ import annotations

import os
import time

WINDOW_ROWS = [int(n) for n in os.environ.get("BENCH_MEM_WINDOW_ROWS", "1000000,10000000").split(",") if n]
LF_ROWS = [int(n) for n in os.environ.get("BENCH_MEM_LF_ROWS", "").split(",") if n]


def windower() -> list[dict]:
    from benchmarks.bench_windows import _component_once

    rows = []
    for n in WINDOW_ROWS:
        t0 = time.perf_counter()
        r = _component_once(n)
        r["process_seconds"] = time.perf_counter() - t0
        rows.append(r)
    if len(rows) >= 2:
        for r in rows:
            r["rss_vs_smallest"] = r["peak_rss_mb"] / rows[0]["peak_rss_mb"]
    return rows


def lf_step() -> list[dict]:
    import tempfile

    from benchmarks.bench_labeling import bench_beam, make_frame

    rows = []
    for n in LF_ROWS:
        df = make_frame(n)
        tmp = tempfile.mkdtemp()
        t1 = bench_beam(df, 1, tmp, "multi_processing")  # also writes the TFRecord file, reused below
        t1 = bench_beam(df, 1, tmp, "multi_processing")
        t2 = bench_beam(df, 2, tmp, "multi_processing")
        rows.append({"rows": n, "seconds_1_worker": t1, "seconds_2_workers": t2, "speedup": t1 / t2})
    return rows


def main() -> list[dict]:
    from benchmarks.common import report

    out = []
    if WINDOW_ROWS:
        w = windower()
        report("windower peak RSS by rows (DirectRunner, 1 worker, fresh process per size)", w)
        out += w
    if LF_ROWS:
        lf = lf_step()
        report("weak labeler LF step, DirectRunner multi_processing: 1 vs 2 workers", lf)
        out += lf
    return out


if __name__ == "__main__":
    main()
