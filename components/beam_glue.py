"""Beam glue shared by the components: what a Beam worker runs. It imports neither
TensorFlow nor TFX (a worker that imports TensorFlow spends ~15 s of CPU on it):
records are read with ``common.tfrecords`` and decoded with ``common.codec``, small
results are written with Beam's own file system layer.

- :class:`ConfigDoFn`: the base of every component's DoFns: built with the JSON of the
  component's config, which each worker parses once (``self.cfg``);
- :class:`ReadShard`: ``(split, path, shard, num_shards)`` -> ``(split, [serialized,
  ...])`` batches (why not Beam's ``ReadFromTFRecord``: see ``common/tfrecords.py``);
- :class:`FirstRecords`: a combiner keeping a count and the first ``limit`` records by
  some fields (a report's sample of notes), so no worker gathers them all;
- :func:`bundle_end_output`: a value a DoFn's ``finish_bundle`` emits to a tagged
  output (counts summed over the bundle), in the global window;
- :func:`write_json`: a small value (counts, quarantined records) as a JSON file, the
  way the executors hand results from the graph to the report (``examples_beam.gather``).
"""
from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from datalife.common.tfrecords import iter_tfrecords
from datalife.components import progress

__all__ = ["ConfigDoFn", "ReadShard", "bundle_end_output", "write_json", "FirstRecords"]


class ConfigDoFn(beam.DoFn):
    """A DoFn configured by its component's config: pickled as the JSON string, parsed
    once per worker in ``setup`` into ``self.cfg`` (set ``config_type`` in the subclass)."""

    config_type: type = None

    def __init__(self, config_json: str):
        self.config_json = config_json

    def setup(self):
        self.cfg = self.config_type.model_validate_json(self.config_json)


class ReadShard(beam.DoFn):
    """(split, path, shard, num_shards) -> (split, [serialized, ...]) batches of ``batch_size``."""

    def __init__(self, batch_size: int):
        self.batch_size = batch_size

    def process(self, task):
        split, path, shard, num_shards = task
        batch = []
        for record in iter_tfrecords(path, shard, num_shards):
            batch.append(record)
            if len(batch) == self.batch_size:
                progress.add(len(batch))  # the progress line of `datalife run`
                yield split, batch
                batch = []
        if batch:
            progress.add(len(batch))
            yield split, batch


def bundle_end_output(tag: str, value):
    """``value`` for the ``tag`` output, yielded from ``finish_bundle`` (which has no
    element to take a window from: the global one, as the whole graph uses)."""
    return beam.pvalue.TaggedOutput(tag, WindowedValue(value, MIN_TIMESTAMP, [GlobalWindow()]))


def write_json(value, path: str) -> str:
    """Write ``value`` as JSON to ``path`` (any file system Beam knows: local, gs://, ...)."""
    from apache_beam.io.filesystems import FileSystems

    with FileSystems.create(path) as f:
        f.write(json.dumps(value, default=str).encode())
    return path


class FirstRecords(beam.CombineFn):
    """``{"total": n, "first": [the limit smallest records by fields]}``: bounded by
    ``limit`` records whatever the number of inputs (a report shows a sample and the count)."""

    def __init__(self, limit: int, fields: tuple):
        self.limit, self.fields = limit, tuple(fields)

    def _key(self, record):
        return tuple(str(record.get(f, "")) for f in self.fields) + (json.dumps(record, sort_keys=True, default=str),)

    def create_accumulator(self):
        return 0, []

    def add_input(self, acc, record):
        return self.merge_accumulators([acc, (1, [record])])

    def merge_accumulators(self, accs):
        import heapq

        accs = list(accs)
        first = heapq.nsmallest(self.limit, (r for _, rs in accs for r in rs), key=self._key)
        return sum(n for n, _ in accs), first

    def extract_output(self, acc):
        return {"total": acc[0], "first": acc[1]}
