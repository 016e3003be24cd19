"""The audio augmenter's Beam graph and report."""
from __future__ import annotations

import json

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.audio_augmenter.beam_glue import COUNTS, QUARANTINE, AugmentAudio
from datalife.components.audio_augmenter.spec import AudioAugmenterConfig
from datalife.components.examples_beam import gather, read_gathered, read_split_batches, same_splits, write_split
from datalife.components.report import write_report

__all__ = ["run", "input_fingerprint"]


def input_fingerprint(cfg: AudioAugmenterConfig) -> str:
    """Name, size and modification time of the noise clips (``noise_dir``), "" without."""
    if not cfg.noise_dir:
        return ""
    from datalife.components.audio_augmenter.beam_glue import noise_files
    from datalife.components.fingerprint import files_fingerprint

    return files_fingerprint(noise_files(cfg))


def run(examples, augmented, report, config_json: str, pipeline) -> None:
    cfg = AudioAugmenterConfig.model_validate_json(config_json)
    splits = same_splits(examples, augmented, cfg.splits, "audio_augmenter")
    with pipeline as p:
        out = (read_split_batches(p, examples, splits, batch_size=cfg.batch_size)
               | beam.ParDo(AugmentAudio(config_json)).with_outputs(COUNTS, QUARANTINE, *splits))
        for s in splits:
            write_split(out[s], augmented, s)
        gather(out[COUNTS] | beam.CombinePerKey(sum_counts), report.uri, "counts")
        gather(out[QUARANTINE], report.uri, "quarantine")
    counts = dict(sorted((split, c) for split, c in read_gathered(report.uri, "counts")))
    rules = cfg.rules()
    checked = {split: check_accounting(c, rules, component=f"audio_augmenter [{split}]") for split, c in counts.items()}
    policy = {"ops": cfg.ops, "spec_augment": cfg.spec_augment, "copies": cfg.copies}
    write_report(report.uri, "Audio augmentation",
                 {"counts": counts, "config": json.loads(cfg.model_dump_json())},
                 sections=[("Counts per split", counts), ("Policy", policy)],
                 quarantine=read_gathered(report.uri, "quarantine"), accounting=(rules, checked))
