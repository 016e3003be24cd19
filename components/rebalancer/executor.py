"""The rebalancer's Beam graph (steps in ``beam_glue``) and its report: class counts
before and after per rebalanced split, as a table and a chart, with the accounting."""
from __future__ import annotations

import json

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.examples_beam import gather, read_gathered, read_split_batches, same_splits, write_split
from datalife.components.rebalancer.beam_glue import (BOUNDARY, COUNTS, SMOTE, ClassCut, Decide, Histogram,
                                                      KeyExamples, Settle, Synthesize, class_count, priority_of,
                                                      split_plan)
from datalife.components.rebalancer.spec import RULES, RebalancerConfig
from datalife.components.report import Picture, draw_pictures, write_report

__all__ = ["run", "class_report"]

KINDS = ("original", "duplicate", "synthetic")


def class_report(plan: dict, counts: dict) -> dict:
    """A rebalanced split's report (the shape of the pandas API's ``attrs["rebalance"]``)
    from the counts the graph measured as it wrote, checked against the plan: per class
    in = out - added + removed and out = the planned count."""
    from datalife.transforms.rebalance.plan import Plan, check_accounting as check_plan

    p = Plan.from_dict(plan)
    classes = list(p.classes)
    by_kind = {c: {k: int(counts.get(f"out/{c}/{k}", 0)) for k in KINDS} for c in classes}
    counts_in = {c: int(counts.get(f"in/{c}", 0)) for c in classes}
    counts_out = {c: sum(by_kind[c].values()) for c in classes}
    added = {c: by_kind[c]["duplicate"] + by_kind[c]["synthetic"] for c in classes}
    removed = {c: int(counts.get(f"removed/{c}", 0)) for c in classes}
    check_plan(p, counts_out, added, removed)
    return {"strategy": p.strategy, "counts_in": counts_in, "counts_out": counts_out, "added": added,
            "removed": removed, "by_kind": by_kind, "weights": p.weights,
            "table": [dict(row, **by_kind[row["class"]]) for row in p.table()]}


def run(examples, output, report, config_json: str, pipeline) -> None:
    cfg = RebalancerConfig.model_validate_json(config_json)
    splits = same_splits(examples, output, cfg.splits, "rebalancer")
    with pipeline as p:
        batches = read_split_batches(p, examples, splits, batch_size=cfg.batch_size)
        keyed = batches | "Key" >> beam.ParDo(KeyExamples(config_json)).with_outputs(COUNTS, *splits, main="keyed")
        hists = keyed.keyed | "Priority" >> beam.Map(priority_of) | "Histogram" >> beam.CombinePerKey(Histogram())
        plans = (hists | "ClassCount" >> beam.Map(class_count) | "PerSplit" >> beam.GroupByKey()
                 | "Plan" >> beam.Map(split_plan, config_json))
        cuts = beam.pvalue.AsDict(hists | "Cut" >> beam.ParDo(ClassCut(), beam.pvalue.AsDict(plans)))
        decided = keyed.keyed | "Decide" >> beam.ParDo(Decide(config_json), beam.pvalue.AsDict(plans), cuts
                                                        ).with_outputs(COUNTS, BOUNDARY, SMOTE, *splits)
        settled = (decided[BOUNDARY] | "GroupBoundary" >> beam.GroupByKey()
                   | "Settle" >> beam.ParDo(Settle(config_json), beam.pvalue.AsDict(plans), cuts
                                            ).with_outputs(COUNTS, *splits))
        synth = (decided[SMOTE] | "GroupClass" >> beam.GroupByKey()
                 | "Synthesize" >> beam.ParDo(Synthesize(config_json), beam.pvalue.AsDict(plans)
                                              ).with_outputs(COUNTS, *splits))
        stages = (keyed, decided, settled, synth)
        for s in splits:
            write_split(tuple(st[s] for st in stages) | f"Merge[{s}]" >> beam.Flatten(), output, s)
        counts = tuple(st[COUNTS] for st in stages) | "MergeCounts" >> beam.Flatten()
        gather(counts | "SumCounts" >> beam.CombinePerKey(sum_counts), report.uri, "counts")
        gather(plans, report.uri, "plans")
    counts = dict(sorted((s, c) for s, c in read_gathered(report.uri, "counts")))
    plans = dict(read_gathered(report.uri, "plans"))
    checked = {s: check_accounting(c, RULES, component=f"rebalancer [{s}]") for s, c in counts.items()}
    classes = {s: class_report(plans[s], counts.get(s, {})) for s in sorted(plans)}
    write_rebalance_report(report.uri, cfg, counts, classes, checked)


def write_rebalance_report(uri: str, cfg: RebalancerConfig, counts: dict, classes: dict, checked: dict) -> None:
    from datalife.transforms.rebalance.chart import class_counts_png

    totals = {s: {k: v for k, v in c.items() if "/" not in k} for s, c in counts.items()}
    pictures = draw_pictures({f"classes_{s}.png": (lambda r=r, s=s: class_counts_png(r, f"{s}: class counts"))
                              for s, r in classes.items()})
    sections = [("Rows per split", totals)]
    for s, r in classes.items():
        sections += [(f"Classes of split {s!r}: before and after ({r['strategy']})", r["table"]),
                     (f"Class balance of split {s!r}", Picture(f"classes_{s}.png", f"{s}: class counts before and after"))]
        if r["weights"]:
            sections.append((f"Sample weights of split {s!r} ({cfg.weighting})", r["weights"]))
    write_report(uri, "Class rebalancing",
                 {"counts": totals, "classes": {s: {k: v for k, v in r.items() if k != "table"} for s, r in classes.items()},
                  "config": json.loads(cfg.model_dump_json())},
                 sections=sections, pictures=pictures, accounting=(RULES, checked))
