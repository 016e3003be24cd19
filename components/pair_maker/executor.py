"""The pair maker's Beam graph (steps in ``beam_glue``) and its report: pairs per kind
and per (label a, label b) for each split, as a table and a picture."""
from __future__ import annotations

import json

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.examples_beam import gather, read_gathered, read_split_batches, same_splits, write_split
from datalife.components.pair_maker.beam_glue import (COUNTS, Anchor, Join, KeyExamples, bucket_offsets, by_bucket,
                                                      plan_dict, rank_group, split_plan)
from datalife.components.pair_maker.spec import RULES, PairMakerConfig
from datalife.components.rebalancer.beam_glue import Histogram, class_count, priority_of
from datalife.components.report import Picture, draw_pictures, write_report

__all__ = ["run", "split_report"]


def split_report(plan: dict, counts: dict) -> dict:
    """One split's report in the pandas API's shape (``pairs.attrs["pairs"][split]``)."""
    from datalife.transforms.pairs.spec import PAIR_KINDS

    matrix = [{"label_a": k.split("/")[1], "label_b": k.split("/")[2], "pairs": v}
              for k, v in sorted(counts.items()) if k.startswith("labels/")]
    return {"plan": plan, "pairs": int(counts.get("pairs_out", 0)),
            "by_kind": {k: int(counts.get(k, 0)) for k in PAIR_KINDS}, "label_matrix": matrix}


def run(examples, pairs, report, config_json: str, pipeline) -> None:
    cfg = PairMakerConfig.model_validate_json(config_json)
    splits = same_splits(examples, pairs, [], "pair_maker")
    with pipeline as p:
        keyed = (read_split_batches(p, examples, splits, batch_size=cfg.batch_size)
                 | "Key" >> beam.ParDo(KeyExamples(config_json)).with_outputs(COUNTS, main="keyed"))
        hists = keyed.keyed | "Priority" >> beam.Map(priority_of) | "Histogram" >> beam.CombinePerKey(Histogram())
        plans = (hists | "ClassCount" >> beam.Map(class_count) | "PerSplit" >> beam.GroupByKey()
                 | "Plan" >> beam.Map(split_plan, config_json))
        offsets = hists | "Offsets" >> beam.FlatMap(bucket_offsets)
        grouped = keyed.keyed | "ByBucket" >> beam.Map(by_bucket)
        ranked = ({"offset": offsets, "examples": grouped} | "GroupBucket" >> beam.CoGroupByKey()
                  | "Rank" >> beam.FlatMap(rank_group))
        requests = ranked | "Anchor" >> beam.ParDo(Anchor(config_json), beam.pvalue.AsDict(plans))
        joined = ({"example": ranked, "request": requests} | "GroupPartner" >> beam.CoGroupByKey()
                  | "Join" >> beam.ParDo(Join(config_json)).with_outputs(COUNTS, *splits))
        for s in splits:
            write_split(joined[s], pairs, s)
        counts = (keyed[COUNTS], joined[COUNTS]) | "MergeCounts" >> beam.Flatten()
        gather(counts | "SumCounts" >> beam.CombinePerKey(sum_counts), report.uri, "counts")
        gather(plans | "PlanDicts" >> beam.Map(plan_dict), report.uri, "plans")
    counts = dict(read_gathered(report.uri, "counts"))
    plans = dict(read_gathered(report.uri, "plans"))
    reports = {s: split_report(plans[s], counts.get(s, {})) for s in sorted(plans)}
    for s, r in reports.items():
        counts[s]["pairs_planned"] = sum(r["plan"]["totals"].values())
    rules = RULES
    checked = {s: check_accounting(counts[s], rules, component=f"pair_maker [{s}]") for s in reports}
    for s, r in reports.items():
        planned = r["plan"]["totals"]
        if r["by_kind"] != planned:
            raise AssertionError(f"pair_maker [{s}]: pairs per kind {r['by_kind']} differ from the plan {planned}")
    from datalife.transforms.pairs.chart import pairs_png

    pictures = draw_pictures({f"pairs_{s}.png": (lambda r=r, s=s: pairs_png(r, f"{s}: contrastive pairs"))
                              for s, r in reports.items()})
    sections = [("Pairs per split", {s: {"pairs": r["pairs"], **r["by_kind"]} for s, r in reports.items()})]
    sections += [(f"Pairs of split {s!r}", Picture(f"pairs_{s}.png", f"{s}: pairs per kind and per label pair"))
                 for s in reports]
    write_report(report.uri, "Contrastive pairs",
                 {"counts": counts, "pairs": reports, "config": json.loads(cfg.model_dump_json())},
                 sections=sections, pictures=pictures, accounting=(rules, checked))
