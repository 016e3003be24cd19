"""ValidationGate: turns ExampleValidator's anomalies, and drift / skew against a baseline,
into a stop (or a warning).

Imports nothing itself (reading anomalies must not load TFX): take the component from
``.component`` and the readers from ``.anomalies``; the names below resolve lazily."""
import importlib

__all__ = ["Anomaly", "AnomaliesFound", "ValidationGate", "format_anomalies", "read_anomalies"]
_HOME = {"Anomaly": "anomalies", "format_anomalies": "anomalies", "read_anomalies": "anomalies",
         "AnomaliesFound": "component", "ValidationGate": "component"}


def __getattr__(name):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
