"""Run benchmarks: ``python -m benchmarks [name ...]`` (default: every ``bench_*.py``
in this folder, in alphabetical order)."""
import importlib
import sys
from pathlib import Path

BENCHMARKS = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))

if __name__ == "__main__":
    unknown = sorted(set(sys.argv[1:]) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {', '.join(BENCHMARKS)}")
    for name in sys.argv[1:] or BENCHMARKS:
        importlib.import_module(f"benchmarks.{name}").main()
