"""ValidationGate: turns ExampleValidator's anomalies, and drift / skew against a baseline, into a stop (or a warning); imports nothing (see component.py, executor.py, spec.py)."""
