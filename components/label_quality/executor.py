"""label_quality's Beam graph (rows of the chosen splits), then the cleanlab fit on all
of them at once, the ranked review table (``review.csv``) and the report."""
from __future__ import annotations

import json

import apache_beam as beam

from datalife.common.accounting import check_accounting
from datalife.common.strict import seed_or_default
from datalife.components.examples_beam import gather, read_gathered, read_split_batches, split_names
from datalife.components.label_quality.beam_glue import Rows
from datalife.components.label_quality.spec import RULES, LabelQualityConfig
from datalife.components.report import Picture, draw_pictures, write_report

__all__ = ["run", "label_errors"]


def label_errors(rows: list, cfg: LabelQualityConfig):
    """Rows (key, id, split, input, label) -> (the ranked DataFrame of
    ``labeling.quality.label_errors.find_label_errors`` with ``id`` and ``split``, counts)."""
    from datalife.labeling.quality.label_errors import find_label_errors

    rows = sorted(rows, key=lambda r: r[0])
    rated = [r for r in rows if r[4] >= 0]
    counts = {"rows_in": len(rows), "rows_rated": len(rated), "rows_unlabeled": len(rows) - len(rated)}
    spec = cfg.model.model_copy(update={"seed": seed_or_default(cfg.model.seed)})
    out = find_label_errors([r[3] for r in rated], [r[4] for r in rated], keys=[r[0] for r in rated],
                            classes=cfg.classes, spec=spec)
    meta = {r[0]: (r[1], r[2]) for r in rated}
    out.insert(2, "id", out.key.map(lambda k: meta[k][0]))
    out.insert(3, "split", out.key.map(lambda k: meta[k][1]))
    counts["label_issues"] = int(out.is_issue.sum())
    return out, counts


def _histogram(table) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist([table.score[~table.is_issue], table.score[table.is_issue]], bins=30, stacked=True,
            label=["kept", "likely label error"])
    ax.set_xlabel("label quality score (cleanlab)")
    ax.set_ylabel("examples")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def run(examples, report, config_json: str, pipeline) -> dict:
    from tfx.dsl.io import fileio

    cfg = LabelQualityConfig.model_validate_json(config_json)
    missing = sorted(set(cfg.splits) - set(split_names(examples)))
    if missing:
        raise ValueError(f"label_quality: splits {missing} are not in the input (it has {split_names(examples)})")
    with pipeline as p:
        rows = read_split_batches(p, examples, cfg.splits, cfg.batch_size) | beam.ParDo(Rows(config_json))
        gather(rows, report.uri, "rows")
    table, counts = label_errors([tuple(r) for batch in read_gathered(report.uri, "rows") for r in batch], cfg)
    checked = {"all": check_accounting(counts, RULES, component="label_quality")}
    fileio.makedirs(report.uri)
    with fileio.open(f"{report.uri}/review.csv", "w") as f:
        f.write(table.to_csv(index=False))
    shown = json.loads(table.head(cfg.review_rows).to_json(orient="records"))
    pictures = draw_pictures({"scores.png": lambda: _histogram(table)})
    return write_report(report.uri, "Label quality",
                        {"counts": counts, "review_file": "review.csv", "config": json.loads(cfg.model_dump_json())},
                        sections=[("Counts", counts),
                                  ("Label quality scores", Picture("scores.png", "scores, likely errors stacked")),
                                  (f"Review: the {len(shown)} most suspect labels (all in review.csv)", shown)],
                        pictures=pictures, accounting=(RULES, checked))
