"""Moved: TFRecord files are ``datalife.common.tfrecords``, Examples ``datalife.common.codec``.

This shim keeps the old names for ``labeling/formats/tfod.py`` (another branch owns
``labeling/formats`` now); delete it once that module imports ``datalife.common``.
"""
from __future__ import annotations

from datalife.common.codec import encode_example as _encode
from datalife.common.tfrecords import CorruptRecord, iter_tfrecords, write_tfrecords

__all__ = ["iter_tfrecords", "write_tfrecords", "encode_example", "CorruptRecord"]


def encode_example(features: dict) -> bytes:
    """The old form: ``{name: (kind, values)}`` -> a serialized tf.train.Example."""
    return _encode({k: v for k, (_, v) in features.items()}, kinds={k: kind for k, (kind, _) in features.items()})
