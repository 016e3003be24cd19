"""What every executor does with Beam and Examples artifacts (runs in the TFX process
that builds the graph; the DoFns it adds come from ``beam_glue``, which workers import):

- :func:`read_split_batches`: an Examples artifact's splits as one PCollection of
  ``(split, [serialized, ...])`` batches;
- :func:`write_split` / :func:`mark_examples`: write one split, mark the output artifact's
  splits and payload format;
- :func:`gather` / :func:`read_gathered`: hand a small PCollection (counts, quarantined
  records) from the graph to the executor, which writes the report after the graph ran;
- :func:`split_records`: read back what a split holds (for the report's sample pictures).
"""
from __future__ import annotations

import json

import apache_beam as beam
from tfx.components.util import examples_utils
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils

from datalife.components.beam_glue import FirstRecords, ReadShard, write_json

__all__ = ["split_names", "same_splits", "read_split_batches", "write_split", "mark_examples", "gather",
           "gather_first", "read_gathered", "split_records"]


def split_names(examples_artifact) -> list[str]:
    return artifact_utils.decode_split_names(examples_artifact.split_names)


def same_splits(examples_artifact, output_artifact, required, component: str) -> list[str]:
    """The input's splits, marked on the output (which has the same ones); raises naming
    the ``required`` splits (e.g. those to augment) the input does not have."""
    splits = split_names(examples_artifact)
    missing = sorted(set(required) - set(splits))
    if missing:
        raise ValueError(f"{component}: splits {missing} are not in the input (it has {splits})")
    mark_examples(output_artifact, splits)
    return splits


def read_split_batches(pipeline, examples_artifact, splits, batch_size: int, shards_per_file: int = 1,
                       spread_batches: bool = True):
    """One PCollection of (split, [serialized examples]) batches over all ``splits``: the
    files are spread over the workers, and so are the batches once read (reading a
    gzipped file as ``shards_per_file`` interleaved shards decompresses it that many
    times: slower, see ``common/tfrecords.py``). ``spread_batches=False`` leaves the
    batches on the worker that read them: no shuffle, so a runner that materialises
    shuffles in memory (the DirectRunner) does not hold the whole input."""
    tasks = []
    for split in splits:
        uri = artifact_utils.get_split_uri([examples_artifact], split)
        for path in sorted(fileio.glob(f"{uri}/*")):
            tasks += [(split, path, i, shards_per_file) for i in range(shards_per_file)]
    batches = (pipeline | "ShardTasks" >> beam.Create(tasks) | "Spread" >> beam.Reshuffle()
               | "ReadShards" >> beam.ParDo(ReadShard(batch_size)))
    return batches | "SpreadBatches" >> beam.Reshuffle() if spread_batches else batches


def write_split(pcoll, examples_artifact, split: str):
    uri = artifact_utils.get_split_uri([examples_artifact], split)
    return pcoll | f"Write[{split}]" >> beam.io.WriteToTFRecord(f"{uri}/data_tfrecord", file_name_suffix=".gz")


def mark_examples(examples_artifact, splits) -> None:
    examples_artifact.split_names = artifact_utils.encode_split_names(list(splits))
    examples_utils.set_payload_format(examples_artifact, example_gen_pb2.PayloadFormat.FORMAT_TF_EXAMPLE)


def _gathered_path(uri: str, name: str) -> str:
    return f"{uri}/.{name}.gathered.json"


def gather(pcoll, uri: str, name: str):
    """Collect ``pcoll``'s elements into one list and write it under ``uri`` (read it back
    with :func:`read_gathered` once the graph has run)."""
    return (pcoll | f"Gather[{name}]" >> beam.combiners.ToList()
            | f"Write[{name}]" >> beam.Map(write_json, _gathered_path(uri, name)))


def gather_first(pcoll, uri: str, name: str, limit: int, fields: tuple):
    """Like :func:`gather`, for records that may grow with the data (notes per image):
    only their count and the first ``limit`` by ``fields`` reach one worker; read back
    ``[{"total": n, "first": [...]}]``."""
    return (pcoll | f"First[{name}]" >> beam.CombineGlobally(FirstRecords(limit, fields))
            | f"ToList[{name}]" >> beam.combiners.ToList()
            | f"Write[{name}]" >> beam.Map(write_json, _gathered_path(uri, name)))


def read_gathered(uri: str, name: str) -> list:
    """The list :func:`gather` wrote (the file is removed once read)."""
    path = _gathered_path(uri, name)
    with fileio.open(path, "r") as f:
        value = json.load(f)
    fileio.remove(path)
    return value


def split_records(examples_uri: str, split: str, limit: int | None = None):
    """The serialized examples of one split of an Examples artifact (read in the executor,
    e.g. to draw a report's sample pictures from what was written), at most ``limit``."""
    from datalife.common.tfrecords import iter_tfrecords

    n = 0
    for path in sorted(fileio.glob(f"{examples_uri}/Split-{split}/*")):
        for record in iter_tfrecords(path, opener=fileio.open):
            if limit is not None and n >= limit:
                return
            yield record
            n += 1
