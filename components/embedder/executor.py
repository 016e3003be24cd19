"""The embedder's Beam graph (fit the text state when needed, embed batches, write
every split) and its report (counts, quarantine, a 2-D projection of what was written)."""
from __future__ import annotations

import json
import time

import apache_beam as beam

from datalife.common.accounting import check_accounting, sum_counts
from datalife.components.embedder.beam_glue import COUNTS, QUARANTINE, Embed, fit_text, text_sample_items
from datalife.components.embedder.spec import RULES, EmbedderConfig
from datalife.components.examples_beam import (gather, mark_examples, read_gathered, read_split_batches,
                                               split_names, split_records, write_split)
from datalife.components.report import Picture, draw_pictures, write_report

__all__ = ["run", "model_summary"]

PICTURE_ROWS = 2000


def model_summary(cfg: EmbedderConfig) -> dict:
    """What produced the vectors (shown in the report and kept in report.json)."""
    if cfg.kind == "image":
        from datalife.transforms.embeddings.image import EMBEDDING_DIM, WEIGHTS_SHA256

        return {"model": "EfficientNet-Lite0 (ImageNet), penultimate layer", "dim": EMBEDDING_DIM,
                "weights_sha256": WEIGHTS_SHA256, "resize": cfg.image_resize}
    if cfg.kind == "audio":
        from datalife.transforms.embeddings.audio import embedding_dim

        return {"model": "log-mel MFCC clip statistics", "dim": embedding_dim(cfg.audio),
                "sample_rate": cfg.audio.features.sample_rate}
    return {"model": "hashed word+char n-gram TF-IDF, randomized SVD", "dim": cfg.text.dim,
            "sample_rows": cfg.text.sample_rows}


def _projection(output_uri: str, split: str, cfg: EmbedderConfig) -> bytes:
    import numpy as np

    from datalife.common.codec import Columns
    from datalife.labeling.propagation.plots import projection_png

    raws = list(split_records(output_uri, split, PICTURE_ROWS))
    cols = Columns(raws)
    x = np.asarray(cols.values(cfg.output_feature), dtype=np.float32)
    labels = cols["label"] if "label" in cols else [None] * len(raws)
    return projection_png(x, labels, title=f"{cfg.output_feature} of {len(raws)} {split} examples "
                                           "(PCA), coloured by label")


def run(examples, embedded, report, config_json: str, pipeline) -> None:
    cfg = EmbedderConfig.model_validate_json(config_json)
    splits = split_names(examples)
    mark_examples(embedded, splits)
    started = time.perf_counter()
    with pipeline as p:
        batches = read_split_batches(p, examples, splits, cfg.batch_size)
        side = {}
        if cfg.kind == "text":
            state = (batches | "TextSample" >> beam.FlatMap(text_sample_items, config_json)
                     | beam.combiners.Top.Smallest(cfg.text.sample_rows)
                     | beam.Map(fit_text, config_json))
            side["text_state"] = beam.pvalue.AsSingleton(state)
        out = batches | beam.ParDo(Embed(config_json), **side).with_outputs(COUNTS, QUARANTINE, *splits)
        for s in splits:
            write_split(out[s], embedded, s)
        gather(out[COUNTS] | beam.CombinePerKey(sum_counts), report.uri, "counts")
        gather(out[QUARANTINE], report.uri, "quarantine")
    seconds = time.perf_counter() - started
    counts = dict(sorted((s, c) for s, c in read_gathered(report.uri, "counts")))
    quarantine = read_gathered(report.uri, "quarantine")
    checked = {s: check_accounting(c, RULES, component=f"embedder [{s}]") for s, c in counts.items()}
    model = model_summary(cfg)
    rows = sum(c["rows_in"] for c in counts.values())
    timing = {"seconds": round(seconds, 2), "rows_per_second": round(rows / seconds, 1) if seconds > 0 else None}
    shown = next((s for s in splits if counts.get(s, {}).get("rows_out")), None)
    pictures = draw_pictures({"projection.png": lambda: _projection(embedded.uri, shown, cfg)} if shown else {})
    sections = [("Embedding", {"kind": cfg.kind, "input": cfg.input_feature, "output": cfg.output_feature, **model}),
                ("Counts per split", counts), ("Time (whole graph, this run)", timing)]
    if pictures:
        sections.append((f"2-D projection of the {shown} embeddings",
                         Picture("projection.png", "PCA of the embeddings, coloured by label")))
    write_report(report.uri, "Embeddings",
                 {"counts": counts, "model": model, "timing": timing, "config": json.loads(cfg.model_dump_json())},
                 sections=sections, pictures=pictures, quarantine=quarantine, accounting=(RULES, checked))
