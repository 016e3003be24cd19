"""Read a TFDV ``ExampleAnomalies`` artifact into readable rows."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from tensorflow_metadata.proto.v0 import anomalies_pb2

__all__ = ["Anomaly", "read_anomalies", "anomalies_from_proto", "format_anomalies"]


@dataclass(frozen=True)
class Anomaly:
    split: str
    feature: str
    kind: str
    description: str

    def as_dict(self) -> dict:
        return asdict(self)


def anomalies_from_proto(split: str, data: bytes) -> list[Anomaly]:
    """The anomalies of one split's serialized ``SchemaDiff.pb`` (no TFX, no TensorFlow)."""
    proto, found = anomalies_pb2.Anomalies(), []
    proto.ParseFromString(data)
    for feature, info in proto.anomaly_info.items():
        for reason in info.reason:
            kind = anomalies_pb2.AnomalyInfo.Type.Name(reason.type)
            found.append(Anomaly(split, feature, kind, reason.description or reason.short_description))
    for reason in proto.dataset_anomaly_info.reason:
        kind = anomalies_pb2.AnomalyInfo.Type.Name(reason.type)
        found.append(Anomaly(split, "<dataset>", kind, reason.description or reason.short_description))
    return found


def read_anomalies(artifact) -> list[Anomaly]:
    """Every anomaly of every split of an ExampleAnomalies artifact, sorted."""
    from tfx.dsl.io import fileio
    from tfx.types import artifact_utils

    found = []
    for split in artifact_utils.decode_split_names(artifact.split_names):
        path = f"{artifact_utils.get_split_uri([artifact], split)}/SchemaDiff.pb"
        if not fileio.exists(path):
            continue
        with fileio.open(path, "rb") as f:
            found += anomalies_from_proto(split, f.read())
    return sorted(found, key=lambda a: (a.split, a.feature, a.kind))


def format_anomalies(anomalies: list[Anomaly]) -> str:
    lines = [f"{len(anomalies)} anomalies found by ExampleValidator:"]
    for a in anomalies:
        lines.append(f"  [{a.split}] {a.feature}: {a.kind}: {a.description}")
    return "\n".join(lines)
