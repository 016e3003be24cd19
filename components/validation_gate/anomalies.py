"""Read a TFDV ``ExampleAnomalies`` artifact into readable rows."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2

__all__ = ["Anomaly", "read_anomalies", "anomalies_from_proto", "format_anomalies", "columns_missing_in_splits",
           "read_split_statistics"]


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


MISSING_IN_SPLIT = "COLUMN_MISSING_IN_SPLIT"


def _present(dataset) -> dict[str, bool]:
    """{feature path: has a value in some example} of one split's statistics."""
    out = {}
    for f in dataset.features:
        name = ".".join(f.path.step) or f.name
        kind = f.WhichOneof("stats")
        common = getattr(f, kind).common_stats if kind and kind != "struct_stats" else None
        out[name] = bool(common is None or common.num_non_missing > 0)
    return out


def _optional(feature) -> bool:
    """The schema says the feature may be absent: not deprecated, and a presence that
    asks for no example (``presence { min_count: 0 }``, ``min_fraction`` 0)."""
    return (feature.lifecycle_stage != schema_pb2.DEPRECATED and feature.presence.min_count == 0
            and feature.presence.min_fraction == 0)


def columns_missing_in_splits(statistics: dict, schema) -> list[Anomaly]:
    """A column of the schema that has values in some split but none (or is absent) in
    another is an anomaly naming the split and the column, unless the schema marks it
    optional. ExampleValidator misses it when SchemaGen, seeing the column missing from
    one split, marks it DEPRECATED. ``statistics``: {split: DatasetFeatureStatistics}."""
    present = {split: _present(ds) for split, ds in statistics.items()}
    found = []
    for feature in schema.feature:
        having = sorted(s for s, p in present.items() if p.get(feature.name))
        if not having or _optional(feature):
            continue
        for split in sorted(set(present) - set(having)):
            state = "has no value" if feature.name in present[split] else "is missing"
            found.append(Anomaly(split, feature.name, MISSING_IN_SPLIT,
                                 f"column {feature.name!r} {state} in split {split!r} but has values in "
                                 f"{', '.join(repr(h) for h in having)}; the schema does not mark it optional "
                                 f"(presence {{ min_count: 0 }})"))
    return found


def read_split_statistics(artifact) -> dict:
    """{split: DatasetFeatureStatistics} of an ExampleStatistics artifact."""
    from tfx.components.statistics_gen import stats_artifact_utils
    from tfx.types import artifact_utils

    return {split: stats_artifact_utils.load_statistics(artifact, split).proto().datasets[0]
            for split in artifact_utils.decode_split_names(artifact.split_names)}
