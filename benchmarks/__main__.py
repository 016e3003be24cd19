"""Run every benchmark: python -m benchmarks [name ...]."""
import importlib
import sys

BENCHMARKS = ["bench_labeling", "bench_windows", "bench_audio", "bench_labels", "bench_augment", "bench_audio_augment", "bench_example_gen"]

if __name__ == "__main__":
    for name in sys.argv[1:] or BENCHMARKS:
        importlib.import_module(f"benchmarks.{name}").main()
