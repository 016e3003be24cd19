"""Beam glue shared by the components: read an Examples artifact's splits, decode
tf.train.Examples into plain rows, write Examples splits back."""
from __future__ import annotations

import apache_beam as beam
import tensorflow as tf
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils

from datalife.components.record_io import ReadShard

__all__ = ["read_split_batches", "write_split", "decode_value", "mark_examples"]


def read_split_batches(pipeline, examples_artifact, splits, batch_size: int, shards_per_file: int = 4):
    """One PCollection of (split, [serialized examples]) batches over all ``splits``.
    Each file is read as ``shards_per_file`` interleaved shards so that workers share it;
    the reading DoFn (``record_io.ReadShard``) needs no TensorFlow on the workers."""
    tasks = []
    for split in splits:
        uri = artifact_utils.get_split_uri([examples_artifact], split)
        for path in sorted(tf.io.gfile.glob(f"{uri}/*")):
            tasks += [(split, path, i, shards_per_file) for i in range(shards_per_file)]
    return (pipeline | "ShardTasks" >> beam.Create(tasks) | "Spread" >> beam.Reshuffle()
            | "ReadShards" >> beam.ParDo(ReadShard(batch_size)))


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
