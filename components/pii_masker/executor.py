"""The PII masker's Beam graph and its report (replacements per type and field, masked
samples, a bar chart)."""
from __future__ import annotations

import json

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.examples_beam import gather, read_gathered, read_split_batches, same_splits, write_split
from datalife.components.pii_masker.beam_glue import COUNTS, QUARANTINE, SAMPLES, MaskPii
from datalife.components.pii_masker.spec import RULES, PiiMaskerConfig
from datalife.components.report import Picture, draw_pictures, write_report

__all__ = ["run", "replacements_table"]


def replacements_table(counts: dict) -> list[dict]:
    """Rows ``split, field, type, replacements`` from the per-split counts."""
    rows = []
    for split, c in sorted(counts.items()):
        for name, n in sorted(c.items()):
            field, _, kind = name.rpartition(":")
            if field and field != "pii" and kind != "absent":
                rows.append({"split": split, "field": field, "type": kind, "replacements": n})
    return rows


def _chart(counts: dict) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    splits = sorted(counts)
    kinds = sorted({k[4:] for c in counts.values() for k in c if k.startswith("pii:")})
    fig, ax = plt.subplots(figsize=(6, 3))
    width = 0.8 / max(1, len(splits))
    for j, split in enumerate(splits):
        ax.bar([i + j * width for i in range(len(kinds))], [counts[split].get(f"pii:{k}", 0) for k in kinds],
               width, label=split)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(kinds))], kinds)
    ax.set_ylabel("replacements")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def run(examples, masked, report, config_json: str, pipeline) -> dict:
    cfg = PiiMaskerConfig.model_validate_json(config_json)
    cfg.key()  # fail before the graph when the secret is missing
    splits = same_splits(examples, masked, [], "pii_masker")
    with pipeline as p:
        out = (read_split_batches(p, examples, splits, cfg.batch_size)
               | beam.ParDo(MaskPii(config_json)).with_outputs(COUNTS, QUARANTINE, SAMPLES, *splits))
        for s in splits:
            write_split(out[s], masked, s)
        gather(out[COUNTS] | beam.CombinePerKey(sum_counts), report.uri, "counts")
        gather(out[QUARANTINE], report.uri, "quarantine")
        gather(out[SAMPLES], report.uri, "samples")
    counts = {s: {"rows_in": 0, "rows_out": 0, "rows_quarantined": 0} for s in splits}
    for split, c in read_gathered(report.uri, "counts"):
        counts[split] = {**counts[split], **c}
    quarantine = read_gathered(report.uri, "quarantine")
    samples = sorted(read_gathered(report.uri, "samples"), key=json.dumps)[:cfg.samples]
    checked = {s: check_accounting(c, RULES, component=f"pii_masker [{s}]") for s, c in counts.items()}
    per_type = {k[4:]: sum(c.get(k, 0) for c in counts.values())
                for k in sorted({k for c in counts.values() for k in c if k.startswith("pii:")})}
    table = replacements_table(counts)
    pictures = draw_pictures({"pii_types.png": lambda: _chart(counts)} if per_type else {})
    return write_report(report.uri, "PII masking",
                        {"counts": counts, "replacements": per_type, "fields": cfg.fields,
                         "config": json.loads(cfg.model_dump_json())},
                        sections=[("Replacements per type", per_type or {"none": 0}),
                                  ("Replacements per split, field and type", table),
                                  ("Counts per split", counts),
                                  ("Masked samples (never the originals)",
                                   [{"split": s, **{f: json.dumps(v) for f, v in row.items()}} for s, row in samples]),
                                  ("Replacements per type and split", Picture("pii_types.png", "replacements per type"))
                                  ],
                        pictures=pictures, quarantine=quarantine, accounting=(RULES, checked))
