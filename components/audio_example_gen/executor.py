"""The audio ExampleGen's Beam graph and report."""
from __future__ import annotations

import glob
import json
import os

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.audio_example_gen.beam_glue import COUNTS, QUARANTINE, ReadClip
from datalife.components.audio_example_gen.spec import RULES, AudioExampleGenConfig
from datalife.components.examples_beam import gather, mark_examples, read_gathered, write_split
from datalife.components.fingerprint import files_fingerprint
from datalife.components.report import write_report

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
    """The clips' and the labels CSV's names (relative to ``input``), sizes and times."""
    rels = list_files(cfg) + ([cfg.labels_csv] if cfg.labels_csv else [])
    return files_fingerprint([os.path.join(cfg.input, rel) for rel in rels],
                             name=lambda path: os.path.relpath(path, cfg.input))


def run(examples, report, config_json: str, pipeline) -> None:
    cfg = AudioExampleGenConfig.model_validate_json(config_json)
    splits = list(cfg.splits)
    mark_examples(examples, splits)
    files = list_files(cfg)
    with pipeline as p:
        out = (p | "Files" >> beam.Create(files) | beam.Reshuffle()
               | beam.ParDo(ReadClip(config_json)).with_outputs(COUNTS, QUARANTINE, *splits))
        for s in splits:
            write_split(out[s], examples, s)
        gather(out[COUNTS] | beam.CombineGlobally(sum_counts), report.uri, "counts")
        gather(out[QUARANTINE], report.uri, "quarantine")
    [c] = read_gathered(report.uri, "counts")
    quarantine = sorted(read_gathered(report.uri, "quarantine"), key=lambda q: q["file"])
    terms = check_accounting(c, RULES, component="audio_example_gen")
    empty = [s for s in cfg.splits if not c.get(f"split:{s}")]
    if empty:
        raise ValueError(f"audio ExampleGen: split(s) {empty} received no clips (with group_pattern, a few groups "
                         f"may all hash to one split; change the bucket counts {cfg.splits})")
    summary = {"counts": {k: v for k, v in sorted(c.items()) if ":" not in k},
               "splits": {k[6:]: v for k, v in sorted(c.items()) if k.startswith("split:")},
               "labels": {k[6:]: v for k, v in sorted(c.items()) if k.startswith("label:")},
               "config": json.loads(cfg.model_dump_json())}
    write_report(report.uri, "Audio ExampleGen", summary,
                 sections=[("Clips", f"{cfg.sample_rate} Hz, {cfg.seconds} s clips"), ("Counts", summary["counts"]),
                           ("Splits", summary["splits"]), ("Labels", summary["labels"])],
                 quarantine=quarantine, accounting=(RULES, {"all": terms}))
