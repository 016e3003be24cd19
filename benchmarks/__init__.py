"""datalife benchmarks: each module measures our code against the reference library in
the same run and prints ratios. Run all with `make bench` (python -m benchmarks)."""
