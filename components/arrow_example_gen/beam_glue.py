"""Beam glue of the Arrow ExampleGen: plan chunks, infer column kinds, write shards.

Files go through Beam's ``FileSystems`` (local, GCS, HDFS, ...); the DoFns only open
files and call the reader core, so workers import neither TensorFlow nor TFX.
"""
from __future__ import annotations

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from datalife.components.arrow_example_gen import chunks as chunking
from datalife.components.arrow_example_gen import reader
from datalife.components.arrow_example_gen.spec import ArrowExampleGenConfig
from datalife.components.arrow_example_gen.splits import FixedSplit

__all__ = ["PlanFile", "WriteChunk", "RewriteChunk", "merge_results", "shard_path", "is_compressed"]


def is_compressed(path: str) -> bool:
    return CompressionTypes.detect_compression_type(path) != CompressionTypes.UNCOMPRESSED


def _read(chunk: chunking.Chunk) -> bytes:
    if chunk.compressed:
        with FileSystems.open(chunk.path, compression_type=CompressionTypes.AUTO) as f:
            return f.read()
    with FileSystems.open(chunk.path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
        f.seek(chunk.start)
        return f.read() if chunk.end < 0 else f.read(chunk.end - chunk.start)


def shard_path(split_uri: str, chunk: chunking.Chunk) -> str:
    return f"{split_uri}/data_tfrecord-{chunk.file_index:05d}-{chunk.index:05d}.gz"


class PlanFile(beam.DoFn):
    """(file_index, path, name, split) -> the file's chunks."""

    def __init__(self, config_json: str):
        self.config_json = config_json

    def setup(self):
        self.cfg = ArrowExampleGenConfig.model_validate_json(self.config_json)

    def process(self, item):
        file_index, path, name, split = item
        if is_compressed(path):
            chunks, _ = chunking.plan_chunks(None, path, name, file_index, self.cfg, self.cfg.format, split)
        else:
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
                try:
                    chunks, _ = chunking.plan_chunks(f, path, name, file_index, self.cfg, self.cfg.format, split)
                except chunking.UnbalancedQuote as exc:
                    raise ValueError(f"{name}:{exc}") from None
        yield from chunks


def _plan_kinds(plan: reader.ColumnPlan) -> dict:
    return {n: int(plan.kind(n)) for n in plan.names}


class WriteChunk(beam.DoFn):
    """chunk -> its shards (one per split it feeds) and a result: counts, quarantined
    records, the column kinds it was written with.

    First pass (no side input): the kinds are inferred from the chunk alone, so a file
    is read once when its chunks agree. Second pass (``rewrite``, with the kinds merged
    over all chunks): a chunk written with other kinds is read and written again, and
    its stale shards are deleted; the others pass through unchanged."""

    def __init__(self, config_json: str, base_plan: dict, rule, split_uris: dict):
        self.config_json, self.base_plan, self.rule, self.split_uris = config_json, base_plan, rule, split_uris

    def setup(self):
        self.cfg = ArrowExampleGenConfig.model_validate_json(self.config_json)

    def _write(self, chunk: chunking.Chunk, plan: reader.ColumnPlan, kinds):
        rule = FixedSplit(chunk.split) if chunk.split is not None else self.rule

        def open_shard(split: str):
            return FileSystems.create(shard_path(self.split_uris[split], chunk), mime_type="application/octet-stream",
                                      compression_type=CompressionTypes.UNCOMPRESSED)

        result = reader.write_chunk(chunk, _read(chunk), plan, self.cfg, self.cfg.format, rule, open_shard, kinds)
        return {"chunk": chunk, "counts": dict(result.counts), "quarantined": [q.to_dict() for q in result.quarantined],
                "kinds": result.kinds, "splits": result.splits}

    def process(self, chunk: chunking.Chunk):
        yield self._write(chunk, reader.ColumnPlan.from_json(self.base_plan), None)


class RewriteChunk(WriteChunk):
    def process(self, result: dict, plan_json: dict):
        plan = reader.ColumnPlan.from_json(plan_json)
        kinds = _plan_kinds(plan)
        if result["kinds"] == kinds:
            yield result
            return
        chunk = result["chunk"]
        again = self._write(chunk, plan, kinds)
        again["counts"]["chunks_rewritten"] = 1
        stale = [shard_path(self.split_uris[s], chunk) for s in set(result["splits"]) - set(again["splits"])]
        if stale:
            FileSystems.delete(stale)
        yield again


def merge_results(results: list) -> dict:
    """The kinds merged over the first pass's results (TFX's type hierarchy)."""
    return reader.merge_kinds(r["kinds"] for r in results)
