"""The audio ExampleGen's Beam graph and report."""
from __future__ import annotations

import glob
import hashlib
import html
import json
import os
from collections import Counter

import apache_beam as beam
import tensorflow as tf

from datalife.components.audio_example_gen.beam_glue import COUNTS, PROBLEMS, ReadClip
from datalife.components.audio_example_gen.spec import AudioExampleGenConfig
from datalife.components.examples_beam import mark_examples, write_split
from datalife.splits import sum_counts

__all__ = ["run", "list_files", "input_fingerprint"]


def list_files(cfg: AudioExampleGenConfig) -> list[str]:
    if not os.path.isdir(cfg.input):
        raise ValueError(f"{cfg.input}: the audio input folder does not exist")
    files = sorted(os.path.relpath(p, cfg.input) for p in glob.glob(os.path.join(cfg.input, cfg.pattern),
                                                                     recursive=True) if os.path.isfile(p))
    if not files:
        raise ValueError(f"{cfg.input}: no files match {cfg.pattern!r}")
    return files


def input_fingerprint(cfg: AudioExampleGenConfig) -> str:
    h = hashlib.sha256()
    for rel in list_files(cfg) + ([cfg.labels_csv] if cfg.labels_csv else []):
        st = os.stat(os.path.join(cfg.input, rel))
        h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _report(counts_list, problems, cfg: AudioExampleGenConfig, uri: str) -> None:
    c = Counter(sum_counts(counts_list))
    if c["files_in"] != c["clips_out"] + c["files_quarantined"]:
        raise AssertionError(f"audio ExampleGen accounting broken: {dict(c)}")
    empty = [s for s in cfg.splits if not c[f"split:{s}"]]
    if empty:
        raise ValueError(f"audio ExampleGen: split(s) {empty} received no clips (with group_pattern, a few groups "
                         f"may all hash to one split; change the bucket counts {cfg.splits})")
    summary = {"counts": {k: v for k, v in sorted(c.items()) if ":" not in k},
               "splits": {k[6:]: v for k, v in sorted(c.items()) if k.startswith("split:")},
               "labels": {k[6:]: v for k, v in sorted(c.items()) if k.startswith("label:")},
               "problems": sorted(problems, key=lambda p: p["file"]), "config": json.loads(cfg.model_dump_json())}
    tf.io.gfile.makedirs(uri)
    with tf.io.gfile.GFile(f"{uri}/report.json", "w") as f:
        f.write(json.dumps(summary, indent=2, sort_keys=True))
    table = lambda d: "<table border='1' cellpadding='3'>" + "".join(  # noqa: E731
        f"<tr><th>{html.escape(str(k))}</th><td>{v}</td></tr>" for k, v in d.items()) + "</table>"
    items = "".join(f"<li>{html.escape(p['kind'])}: {html.escape(p['message'])}</li>" for p in summary["problems"][:200])
    with tf.io.gfile.GFile(f"{uri}/report.html", "w") as f:
        f.write("<!doctype html><html><head><meta charset='utf-8'><title>Audio ExampleGen</title></head><body>"
                f"<h1>Audio ExampleGen</h1><p>{cfg.sample_rate} Hz, {cfg.seconds} s clips; files_in = clips_out + "
                f"files_quarantined</p>{table(summary['counts'])}<h2>Splits</h2>{table(summary['splits'])}"
                f"<h2>Labels</h2>{table(summary['labels'])}<h2>Quarantined</h2><ul>{items}</ul></body></html>")


def run(examples, report, config_json: str, pipeline) -> None:
    cfg = AudioExampleGenConfig.model_validate_json(config_json)
    splits = list(cfg.splits)
    mark_examples(examples, splits)
    files = list_files(cfg)
    with pipeline as p:
        out = (p | "Files" >> beam.Create(files) | beam.Reshuffle()
               | beam.ParDo(ReadClip(config_json)).with_outputs(COUNTS, PROBLEMS, *splits))
        for s in splits:
            write_split(out[s], examples, s)
        counts = out[COUNTS] | "CountsList" >> beam.combiners.ToList()
        problems = out[PROBLEMS] | "ProblemsList" >> beam.combiners.ToList()
        _ = counts | beam.Map(_report, beam.pvalue.AsSingleton(problems), cfg, report.uri)
