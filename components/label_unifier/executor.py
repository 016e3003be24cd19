"""The label unifier's Beam graph: list the sources' files, parse, unify, split, write."""
from __future__ import annotations

import json

import apache_beam as beam
import tensorflow as tf

from datalife.components.examples_beam import mark_examples, write_split
from datalife.components.label_unifier.beam_glue import COUNTS, PROBLEMS, ParseFile, Unify
from datalife.components.label_unifier.report import summarize, write_pictures, write_report
from datalife.components.label_unifier.spec import LabelUnifierConfig
from datalife.labeling.formats import get_format
from datalife.labeling.unify import check_output
from datalife.splits import sum_counts

__all__ = ["run", "input_fingerprint"]


def _tasks(cfg: LabelUnifierConfig) -> list[tuple[int, str]]:
    return [(i, f) for i, s in enumerate(cfg.sources) for f in get_format(s.format).list_files(s.path)]


def input_fingerprint(cfg: LabelUnifierConfig) -> str:
    """Name, size and modification time of every annotation file and of the image
    folders' files (as TFX's file-based ExampleGen fingerprints its inputs), so a
    changed input is never served from the cache."""
    import hashlib
    import os

    h = hashlib.sha256()
    folders = set()
    for i, path in _tasks(cfg):
        folders.add(cfg.source(i).images)
        st = os.stat(path)
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    for folder in sorted(folders):
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_file():
                st = entry.stat()
                h.update(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def run(examples, report, config_json: str, pipeline) -> None:
    cfg = LabelUnifierConfig.model_validate_json(config_json)
    splits = list(cfg.splits)
    mark_examples(examples, splits)
    tasks = _tasks(cfg)
    with pipeline as p:
        parsed = (p | "Files" >> beam.Create(tasks) | "SpreadFiles" >> beam.Reshuffle()
                  | "Parse" >> beam.ParDo(ParseFile(config_json)).with_outputs(COUNTS, PROBLEMS, main="records"))
        unified = (parsed.records | "SpreadImages" >> beam.Reshuffle()
                   | "Unify" >> beam.ParDo(Unify(config_json)).with_outputs(COUNTS, PROBLEMS, *splits))
        for s in splits:
            write_split(unified[s], examples, s)
        counts = ((parsed[COUNTS], unified[COUNTS]) | "AllCounts" >> beam.Flatten()
                  | beam.CombinePerKey(sum_counts) | "CountsList" >> beam.combiners.ToList())
        problems = ((parsed[PROBLEMS], unified[PROBLEMS]) | "AllProblems" >> beam.Flatten()
                    | "ProblemsList" >> beam.combiners.ToList())
        _ = (counts | beam.Map(lambda c, probs: summarize(c, probs, cfg), beam.pvalue.AsSingleton(problems))
             | beam.Map(write_report, report.uri))
    with tf.io.gfile.GFile(f"{report.uri}/report.json") as f:
        summary = json.load(f)
    check_output(summary["counts"])  # a source with input but no image out fails the run (report written)
    write_pictures(summary, examples.uri, splits[0], cfg.sample_images, report.uri)

