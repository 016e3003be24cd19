"""Run a component's executor directly (no TFX orchestration) on Examples written with
``common.tfrecords``: hand-made artifacts, an in-process Beam pipeline."""
from __future__ import annotations

from pathlib import Path


def examples_artifact(root: Path, splits: dict[str, list[bytes]] | None = None):
    """An Examples artifact at ``root``; with ``splits``, their records written to it."""
    from tfx.types import standard_artifacts

    from datalife.common.tfrecords import write_tfrecords
    from datalife.components.examples_beam import mark_examples

    art = standard_artifacts.Examples()
    art.uri = str(root)
    if splits is not None:
        mark_examples(art, list(splits))
        for split, records in splits.items():
            (root / f"Split-{split}").mkdir(parents=True, exist_ok=True)
            write_tfrecords(str(root / f"Split-{split}" / "data.tfrecord.gz"), records)
    return art


def report_artifact(root: Path):
    from datalife.components.artifacts import ComponentReport

    art = ComponentReport()
    art.uri = str(root)
    root.mkdir(parents=True, exist_ok=True)
    return art


def read_split(art, split: str) -> list[bytes]:
    from datalife.components.examples_beam import split_records

    return list(split_records(art.uri, split))


def run_executor(run, tmp: Path, splits: dict[str, list[bytes]], config_json: str, extra_outputs=()):
    """``run(examples, output, *extra, report, config_json, pipeline)`` -> (output, report dict)."""
    import json

    import apache_beam as beam

    examples = examples_artifact(tmp / "in", splits)
    output = examples_artifact(tmp / "out")
    report = report_artifact(tmp / "report")
    run(examples, output, *extra_outputs, report, config_json, beam.Pipeline())
    return output, json.loads((tmp / "report" / "report.json").read_text())
