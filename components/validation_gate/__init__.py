"""ValidationGate: turns ExampleValidator's anomalies into a stop (or a warning)."""
from datalife.components.validation_gate.anomalies import Anomaly, format_anomalies, read_anomalies
from datalife.components.validation_gate.component import AnomaliesFound, ValidationGate

__all__ = ["Anomaly", "AnomaliesFound", "ValidationGate", "format_anomalies", "read_anomalies"]
