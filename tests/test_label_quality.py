"""The label_quality executor run directly (DirectRunner, no TFX orchestration) on the
YouTube spam comments written as Examples with 5% of the gold labels flipped (seeded),
two splits, in several batches: its review table must equal the core's
``find_label_errors`` on the same rows (whose oracle is the flips, test_label_errors.py)."""
import io
import json

import apache_beam as beam
import numpy as np
import pandas as pd
import pytest

from datalife.common.codec import content_keys, encode_example
from datalife.common.tfrecords import write_tfrecords
from datalife.components.label_quality.spec import LabelQualityConfig
from datalife.labeling.quality.label_errors import LabelErrorSpec, find_label_errors
from conftest import shared_dataset

pytest.importorskip("tfx")


def test_youtube_flipped_labels_reviewed(tmp_path):
    from tfx.types import artifact_utils, standard_artifacts

    from datalife.components.label_quality.executor import run

    df = pd.concat([pd.read_csv(p) for p in sorted(shared_dataset("youtube_spam").glob("*.csv"))], ignore_index=True)
    rng = np.random.default_rng(15)
    idx = rng.choice(len(df), round(0.05 * len(df)), replace=False)
    noisy = df["label"].to_numpy().copy()
    noisy[idx] = 1 - noisy[idx]
    raws = [encode_example({"CONTENT": t, "COMMENT_ID": c, "label": [int(y)], "row": [i]})
            for i, (t, c, y) in enumerate(zip(df["CONTENT"], df["COMMENT_ID"], noisy))]
    raws[0] = encode_example({"CONTENT": "not labelled", "row": [0]})  # left out, counted
    ex, rep = standard_artifacts.Examples(), standard_artifacts.Examples()
    ex.uri, rep.uri = str(tmp_path / "in"), str(tmp_path / "report")
    ex.split_names = artifact_utils.encode_split_names(["train", "eval"])
    for split, part in (("train", raws[:1500]), ("eval", raws[1500:])):
        (tmp_path / "in" / f"Split-{split}").mkdir(parents=True)
        write_tfrecords(str(tmp_path / "in" / f"Split-{split}" / "data.gz"), part)
    cfg = LabelQualityConfig(text_field="CONTENT", id_field="COMMENT_ID", classes=["ham", "spam"],
                             splits=["train", "eval"], model={"seed": 0}, batch_size=300)
    assert cfg.model.features == "tfidf"
    summary = run(ex, rep, cfg.model_dump_json(), beam.Pipeline())
    table = pd.read_csv(io.StringIO(open(f"{rep.uri}/review.csv").read()))
    keys = content_keys(raws)
    oracle = find_label_errors(df["CONTENT"].tolist()[1:], noisy[1:], keys=keys[1:], classes=["ham", "spam"],
                               spec=LabelErrorSpec(seed=0))
    assert table.key.tolist() == oracle.key.tolist()
    assert table.is_issue.tolist() == oracle.is_issue.tolist()
    assert np.allclose(table.score, oracle.score)
    c = summary["counts"]
    assert (c["rows_in"], c["rows_rated"], c["rows_unlabeled"], c["label_issues"]) == (1956, 1955, 1, oracle.is_issue.sum())
    flipped = {keys[i] for i in idx if i != 0}
    found = table[table.is_issue].key.isin(flipped)
    assert found.mean() >= 0.65 and found.sum() / len(flipped) >= 0.75  # cleanlab finds the flips
    assert set(table.split) == {"train", "eval"} and table.id.notna().all()
    with pytest.raises(ValueError, match="give exactly one of text_field"):
        LabelQualityConfig()
    with pytest.raises(ValueError, match="model.features 'tfidf' does not fit the input"):
        LabelQualityConfig(feature_fields=["x"], model={"features": "tfidf"})
