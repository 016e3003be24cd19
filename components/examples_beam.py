"""Beam glue shared by the components: read an Examples artifact's splits, decode
tf.train.Examples into plain rows, write Examples splits back."""
from __future__ import annotations

import hashlib

import apache_beam as beam
import tensorflow as tf
from tfx.components.util import examples_utils
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils

__all__ = ["read_splits", "write_split", "example_key", "decode_value", "mark_examples"]


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
