"""The pii_masker executor run directly (Beam DirectRunner, no TFX orchestration) on
Examples written with ``common.tfrecords``: literal rows, and a YouTube comments slice
whose counts and texts must equal the core's ``mask_text`` (itself pinned against
scrubadub in test_pii.py)."""
from collections import Counter
import glob
import json

import apache_beam as beam
import pandas as pd
import pytest

from datalife.common.codec import Columns, encode_example
from datalife.common.tfrecords import iter_tfrecords, write_tfrecords
from datalife.components.pii_masker.spec import PiiMaskerConfig
from datalife.labeling.quality.pii import PiiSpec, mask_text
from conftest import shared_dataset

pytest.importorskip("tfx")


def _artifacts(tmp_path, splits: dict):
    from tfx.types import artifact_utils, standard_artifacts

    ex, out, rep = standard_artifacts.Examples(), standard_artifacts.Examples(), standard_artifacts.Examples()
    ex.uri, out.uri, rep.uri = str(tmp_path / "in"), str(tmp_path / "out"), str(tmp_path / "report")
    ex.split_names = artifact_utils.encode_split_names(list(splits))
    for split, records in splits.items():
        (tmp_path / "in" / f"Split-{split}").mkdir(parents=True)
        write_tfrecords(str(tmp_path / "in" / f"Split-{split}" / "data.gz"), records)
    return ex, out, rep


def _read(uri, split):
    return [r for p in sorted(glob.glob(f"{uri}/Split-{split}/*")) for r in iter_tfrecords(p)]


def _run(tmp_path, splits, **cfg):
    from datalife.components.pii_masker.executor import run

    ex, out, rep = _artifacts(tmp_path, splits)
    summary = run(ex, out, rep, PiiMaskerConfig(**cfg).model_dump_json(), beam.Pipeline())
    return summary, out, rep


def test_literal_rows_masked_counted_and_gone_from_the_bytes(tmp_path):
    rows = [encode_example({"text": "mail joe@example.com or call +1 415-555-2671", "label": [1]}),
            encode_example({"text": "see https://example.org/x", "note": "IBAN GB82 WEST 1234 5698 7654 32"}),
            encode_example({"label": [0]}),  # no text field: passed on, counted as absent
            encode_example({"text": b"\xff\xfe joe@example.com"})]  # not UTF-8: never passed on unmasked
    summary, out, rep = _run(tmp_path, {"train": rows}, fields=["text", "note"])
    got = _read(out.uri, "train")
    cols = Columns(got)
    assert sorted(map(str, cols["text"])) == sorted(["None", "mail <EMAIL> or call <PHONE>", "see <URL>"])
    assert "IBAN <IBAN>" in cols["note"]
    blob = b"".join(got)
    for secret in (b"joe@example.com", b"555-2671", b"example.org", b"GB82"):
        assert secret not in blob  # re-encoded: the original text is not left in the record
    c = summary["counts"]["train"]
    assert (c["rows_in"], c["rows_out"], c["rows_quarantined"], c["rows_masked"]) == (4, 3, 1, 2)
    assert summary["replacements"] == {"email": 1, "iban": 1, "phone": 1, "url": 1}
    assert (c["text:email"], c["note:iban"], c["text:absent"], c["note:absent"]) == (1, 1, 1, 2)
    [q] = [json.loads(line) for line in open(f"{rep.uri}/quarantine.jsonl")]
    assert (q["reason"], q["field"]) == ("not_text", "text") and "not UTF-8" in q["message"]
    assert "joe@example.com" not in open(f"{rep.uri}/report.html").read()


def test_keyed_hash_needs_its_secret(monkeypatch):
    with pytest.raises(ValueError, match="mask.mode 'hash' needs key_env"):
        PiiMaskerConfig(fields=["text"], mask=PiiSpec(mode="hash"))
    cfg = PiiMaskerConfig(fields=["text"], mask=PiiSpec(mode="hash"), key_env="DATALIFE_TEST_PII_KEY")
    monkeypatch.delenv("DATALIFE_TEST_PII_KEY", raising=False)
    with pytest.raises(ValueError, match="'DATALIFE_TEST_PII_KEY' \\(key_env\\) is empty or unset"):
        cfg.key()
    monkeypatch.setenv("DATALIFE_TEST_PII_KEY", "s3cret")
    assert cfg.key() == b"s3cret"


def test_youtube_slice_equals_the_core(tmp_path):
    df = pd.concat([pd.read_csv(p) for p in sorted(shared_dataset("youtube_spam").glob("*.csv"))],
                   ignore_index=True).iloc[::4]
    texts = df["CONTENT"].astype(str).tolist()
    half = len(texts) // 2
    records = [encode_example({"CONTENT": t, "label": [int(c)]}) for t, c in zip(texts, df["label"])]
    summary, out, _ = _run(tmp_path, {"train": records[:half], "eval": records[half:]}, fields=["CONTENT"],
                           batch_size=97)
    expect, per_type = Counter(), Counter()
    for t in texts:
        m, c = mask_text(t)
        expect[m] += 1
        per_type.update(c)
    got = Counter(Columns(_read(out.uri, "train") + _read(out.uri, "eval"))["CONTENT"])
    assert got == expect
    assert summary["replacements"] == dict(sorted(per_type.items())) and per_type["url"] > 40
    assert sum(c["rows_out"] for c in summary["counts"].values()) == len(texts)


def test_cli_mask_pii_and_errors(tmp_path, capsys):
    from datalife.cli import main

    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["mail joe@example.com now", "call +1 415-555-2671", None], "label": [0, 1, 1]}
                 ).to_csv(src, index=False)
    assert main(["labels", "mask-pii", str(src), str(tmp_path / "out.csv"), "--fields", "text"]) == 0
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["text"].tolist()[:2] == ["mail <EMAIL> now", "call <PHONE>"] and pd.isna(out["text"][2])
    assert "masked 2 values in 3 rows" in capsys.readouterr().out
    assert main(["labels", "errors", str(src), "--text", "nope", "--label", "label"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err
