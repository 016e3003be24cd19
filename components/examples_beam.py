"""Beam glue shared by the components: read an Examples artifact's splits, decode
tf.train.Examples into plain rows, write Examples splits back."""
from __future__ import annotations

import hashlib

import apache_beam as beam
import tensorflow as tf
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils

__all__ = ["read_splits", "read_split_batches", "write_split", "example_key", "decode_value", "mark_examples"]


def read_splits(pipeline, examples_artifact, splits=None):
    """{split: PCollection of serialized tf.train.Example bytes}."""
    names = artifact_utils.decode_split_names(examples_artifact.split_names)
    out = {}
    for split in splits or names:
        if split not in names:
            raise ValueError(f"split {split!r} is not in the examples artifact; it has {names}")
        uri = artifact_utils.get_split_uri([examples_artifact], split)
        out[split] = pipeline | f"Read[{split}]" >> beam.io.ReadFromTFRecord(f"{uri}/*")
    return out


class _ReadShard(beam.DoFn):
    """(split, file, shard, num_shards) -> (split, [serialized, ...]) batches, read by
    tf.data in C++: Beam then pays its per-element cost once per batch, not per row."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size

    def process(self, task):
        split, path, shard, num_shards = task
        compression = "GZIP" if path.endswith(".gz") else ""
        ds = tf.data.TFRecordDataset(path, compression_type=compression).shard(num_shards, shard)
        for batch in ds.batch(self.batch_size).as_numpy_iterator():
            yield split, list(batch)


def read_split_batches(pipeline, examples_artifact, splits, batch_size: int, shards_per_file: int = 4):
    """One PCollection of (split, [serialized examples]) batches over all ``splits``.
    Each file is read as ``shards_per_file`` interleaved shards so that workers share it."""
    tasks = []
    for split in splits:
        uri = artifact_utils.get_split_uri([examples_artifact], split)
        for path in sorted(tf.io.gfile.glob(f"{uri}/*")):
            tasks += [(split, path, i, shards_per_file) for i in range(shards_per_file)]
    return (pipeline | "ShardTasks" >> beam.Create(tasks) | "Spread" >> beam.Reshuffle()
            | "ReadShards" >> beam.ParDo(_ReadShard(batch_size)))


def write_split(pcoll, examples_artifact, split: str):
    uri = artifact_utils.get_split_uri([examples_artifact], split)
    return pcoll | f"Write[{split}]" >> beam.io.WriteToTFRecord(
        f"{uri}/data_tfrecord", file_name_suffix=".gz")


def mark_examples(examples_artifact, splits) -> None:
    examples_artifact.split_names = artifact_utils.encode_split_names(list(splits))
    examples_utils.set_payload_format(examples_artifact, example_gen_pb2.PayloadFormat.FORMAT_TF_EXAMPLE)


def decode_value(feature: tf.train.Feature):
    """One feature as a plain value: a scalar when it has one value, None when empty,
    a list otherwise; bytes are decoded as UTF-8 (undecodable bytes replaced)."""
    kind = feature.WhichOneof("kind")
    values = list(getattr(feature, kind).value) if kind else []
    if kind == "bytes_list":
        values = [v.decode("utf-8", errors="replace") for v in values]
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def example_key(serialized: bytes, example: tf.train.Example, id_field: str | None) -> str:
    """A stable key: the id field's value (if configured) plus a content fingerprint."""
    digest = hashlib.sha256(serialized).hexdigest()[:16]
    if id_field is None:
        return digest
    if id_field not in example.features.feature:
        raise KeyError(f"id_field {id_field!r} is missing from an example (fingerprint {digest})")
    return f"{decode_value(example.features.feature[id_field])}|{digest}"
