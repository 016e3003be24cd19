"""The label unifier's Beam graph: list the sources' files, parse, unify, split, write;
then the report."""
from __future__ import annotations

import apache_beam as beam
from tfx.dsl.io import fileio

from datalife.common.accounting import sum_counts
from datalife.components.examples_beam import (gather, gather_first, mark_examples, read_gathered, split_records,
                                               write_split)
from datalife.components.fingerprint import files_fingerprint, tree_files
from datalife.components.label_unifier import report as unifier_report
from datalife.components.label_unifier.beam_glue import (COUNTS, IMAGES, MERGE_COUNTS, NOTES, PAIRS, QUARANTINE,
                                                         REVIEW, VIEWS, WORST, MergeImage, ParseFile, Unify,
                                                         source_files)
from datalife.components.label_unifier.spec import LabelUnifierConfig
from datalife.components.report import draw_pictures, write_report
from datalife.labeling.formats import get_format
from datalife.labeling.quality.review import labeling_config, tasks_json
from datalife.labeling.unify import RULES, check_output

__all__ = ["run", "input_fingerprint"]

REVIEW_TILES = 6  # images drawn in the report's disagreement picture (the lowest agreement first)


def _tasks(cfg: LabelUnifierConfig) -> list[tuple[int, str]]:
    return [(i, f) for i, s in enumerate(cfg.sources) for f in get_format(s.format).list_files(s.path)]


def input_fingerprint(cfg: LabelUnifierConfig) -> str:
    """Name, size and modification time of every annotation file and of every file
    under the image folders, sub-folders included (as TFX's file-based ExampleGen
    fingerprints its inputs), so a changed input is never served from the cache."""
    tasks = _tasks(cfg)
    folders = sorted({cfg.source(i).images for i, _ in tasks})
    images = [path for folder in folders for path in tree_files(folder)]
    return files_fingerprint([path for _, path in tasks] + images)


def run(examples, report, config_json: str, pipeline) -> None:
    cfg = LabelUnifierConfig.model_validate_json(config_json)
    splits = list(cfg.splits)
    mark_examples(examples, splits)
    with pipeline as p:  # files listed in a worker, one source each: no path list in the launcher or graph
        parsed = (p | "Sources" >> beam.Create(range(len(cfg.sources)))
                  | "Files" >> beam.FlatMap(source_files, config_json) | "SpreadFiles" >> beam.Reshuffle()
                  | "Parse" >> beam.ParDo(ParseFile(config_json)).with_outputs(COUNTS, QUARANTINE, main="records"))
        unified = (parsed.records | "SpreadImages" >> beam.Reshuffle()
                   | "Unify" >> beam.ParDo(Unify(config_json)).with_outputs(COUNTS, QUARANTINE, NOTES, VIEWS, *splits))
        quarantined = [parsed[QUARANTINE], unified[QUARANTINE]]
        outputs = unified
        if cfg.merge is not None:  # one example per image bytes across sources and annotators
            outputs = (unified[VIEWS] | "ByImage" >> beam.GroupByKey()
                       | "Merge" >> beam.ParDo(MergeImage(config_json)).with_outputs(MERGE_COUNTS, QUARANTINE, PAIRS,
                                                                                      IMAGES, REVIEW, WORST, *splits))
            quarantined.append(outputs[QUARANTINE])
            gather(outputs[REVIEW], report.uri, "review")  # one Label Studio task per image to settle
            gather(outputs[WORST] | "WorstImages" >> beam.combiners.Top.Smallest(REVIEW_TILES, key=lambda t: t[:2]),
                   report.uri, "worst")  # only the drawn tiles of the REVIEW_TILES lowest reach one worker
            gather(outputs[MERGE_COUNTS] | "MergeCounts" >> beam.CombinePerKey(sum_counts), report.uri, "merge")
            gather(outputs[PAIRS], report.uri, "pairs")
            gather(outputs[IMAGES], report.uri, "images")
        for s in splits:
            write_split(outputs[s], examples, s)
        counts = ((parsed[COUNTS], unified[COUNTS]) | "AllCounts" >> beam.Flatten()
                  | beam.CombinePerKey(sum_counts))
        gather(counts, report.uri, "counts")
        gather(tuple(quarantined) | "AllQuarantined" >> beam.Flatten(), report.uri, "quarantine")
        # notes can be one per image: only their count and the first NOTES_SHOWN reach one worker
        gather_first(unified[NOTES], report.uri, "notes", unifier_report.NOTES_SHOWN, ("source", "file", "kind"))
    summary, checked = unifier_report.summarize(read_gathered(report.uri, "counts"),
                                                read_gathered(report.uri, "notes")[0], cfg)
    quarantine = sorted(read_gathered(report.uri, "quarantine"),
                        key=lambda q: (q.get("source", ""), str(q["file"]), q["reason"]))
    pictures = draw_pictures({
        "classes.png": lambda: unifier_report.class_histogram(summary),
        "samples.png": lambda: unifier_report.samples(split_records(examples.uri, splits[0], cfg.sample_images),
                                                      cfg.box_format)})
    sections, rules = unifier_report.sections(summary), RULES
    if cfg.merge is not None:
        merged = unifier_report.merge_summary(read_gathered(report.uri, "merge"), read_gathered(report.uri, "pairs"),
                                              read_gathered(report.uri, "images"), cfg)
        summary["merge"] = merged
        checked = {**checked, "merge": merged["counts"]}
        rules = [*RULES, *unifier_report.MERGE_RULES]
        sections += unifier_report.merge_sections(merged)
        tasks = read_gathered(report.uri, "review")
        worst = (read_gathered(report.uri, "worst") or [[]])[0]
        summary["merge"]["review_tasks"] = len(tasks)
        if tasks:  # the review queue as a file Label Studio imports, with the project's labeling config
            tasks.sort(key=lambda t: (t["data"]["agreement"], t["data"]["key"]))
            with fileio.open(f"{report.uri}/review_tasks.json", "w") as f:
                f.write(tasks_json(tasks))
            with fileio.open(f"{report.uri}/review_label_config.xml", "w") as f:
                f.write(labeling_config(list(cfg.classes), "boxes"))
            sections.append((f"Review tasks for Label Studio: review_tasks.json ({len(tasks)} images, "
                             f"with review_label_config.xml)", {"tasks": len(tasks), "below": cfg.review_below}))
        if worst:
            pictures.update(draw_pictures({"disagreements.png": lambda: unifier_report.tiles_grid([w[2] for w in worst])}))
    write_report(report.uri, "Label unification", summary, sections=sections,
                 pictures=pictures, quarantine=quarantine, accounting=(rules, checked))
    check_output(summary["counts"])  # a source with input but no image out fails the run (report written)
