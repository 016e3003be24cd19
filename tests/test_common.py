"""The shared pieces every component is built on: accounting rules, the quarantine
record, the split type, and the one report writer (files, page, quarantine lines)."""
import json

import pytest
from pydantic import ValidationError

from datalife.common.accounting import AccountingError, Rule, check_accounting, describe, sum_counts
from datalife.common.quarantine import from_error, quarantine_record
from datalife.common.strict import HashSplits, StrictModel, default_splits

RULES = [Rule("rows_in", ("rows_out", "rows_quarantined")), Rule("copies_out", ("rows_out",), times=3),
         Rule("originals_out", ())]


def test_rules_hold_or_name_the_rule_and_the_numbers():
    counts = {"rows_in": 10, "rows_out": 8, "rows_quarantined": 2, "copies_out": 24, "other": 5}
    assert check_accounting(counts, RULES, component="c") == {"rows_in": 10, "rows_out": 8, "rows_quarantined": 2,
                                                              "copies_out": 24, "originals_out": 0}
    assert describe(RULES) == ["rows_in = rows_out + rows_quarantined", "copies_out = 3 x rows_out",
                               "originals_out = 0"]
    with pytest.raises(AccountingError, match=r"^c \[train\]: rows_in = rows_out \+ rows_quarantined does not "
                                              r"hold: 10 != 7 \+ 2 = 9 \(counts: "):
        check_accounting({**counts, "rows_out": 7, "copies_out": 21}, RULES, component="c [train]")
    with pytest.raises(AccountingError, match=r"copies_out = 3 x rows_out does not hold: 23 != 3 x \(8\) = 24"):
        check_accounting({**counts, "copies_out": 23}, RULES)
    assert not issubclass(AccountingError, AssertionError)
    assert sum_counts([{"a": 1}, {"a": 2, "b": 1}, {}]) == {"a": 3, "b": 1}


def test_quarantine_records_have_the_standard_keys():
    from datalife.labeling.formats.base import AnnotationError

    assert quarantine_record("a.wav", "empty", "a.wav: no samples", split="train") == {
        "file": "a.wav", "record": None, "field": None, "reason": "empty", "message": "a.wav: no samples",
        "split": "train"}
    exc = AnnotationError("x.json", "image id 3", "bbox", "needs 4 numbers", reason="malformed")
    assert from_error(exc, source="s") == {
        "file": "x.json", "record": "image id 3", "field": "bbox", "reason": "malformed",
        "message": "x.json: image id 3: bbox: needs 4 numbers", "source": "s"}


def test_hash_splits_are_one_type():
    class C(StrictModel):
        splits: HashSplits = default_splits()

    assert C().splits == {"train": 4, "eval": 1} and C(splits={"a": 1}).splits == {"a": 1}
    for bad in ({}, {"train": 0}):
        with pytest.raises(ValidationError, match="'splits' maps split names to positive hash-bucket counts"):
            C(splits=bad)
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        C(splitz={"a": 1})


def test_one_report_writer(tmp_path):
    from datalife.components.report import Picture, write_report
    from datalife.pipeline.report import _component_report_html

    png = b"\x89PNG\r\n\x1a\n" + b"0" * 20
    quarantine = [quarantine_record(f"f{i}.wav", "empty", f"f{i}.wav: no samples <b>", split="train") for i in range(3)]
    summary = write_report(str(tmp_path), "Thing <report>", {"rows": 5, "per_split": {"train": {"rows_in": 5}}},
                           sections=[("Counts", {"train": {"rows_in": 5, "rows_out": 2}}),
                                     ("Items", [{"a": 1, "b": 0.123456}, {"a": 2, "c": [1, 2]}]),
                                     ("Notes", ["one", "two"]), ("Sample", Picture("s.png", "a sample"))],
                           pictures={"s.png": png, "extra.png": png}, quarantine=quarantine,
                           accounting=([Rule("rows_in", ("rows_out", "rows_quarantined"))],
                                       {"train": {"rows_in": 5, "rows_out": 2, "rows_quarantined": 3}}))
    written = json.loads((tmp_path / "report.json").read_text())
    assert written == summary and written["quarantined"] == 3 and written["rows"] == 5
    assert written["accounting"] == {"rules": ["rows_in = rows_out + rows_quarantined"],
                                     "checked": {"train": {"rows_in": 5, "rows_out": 2, "rows_quarantined": 3}}}
    lines = [json.loads(line) for line in (tmp_path / "quarantine.jsonl").read_text().splitlines()]
    assert lines == quarantine and list(lines[0])[:5] == ["file", "record", "field", "reason", "message"]
    assert (tmp_path / "s.png").read_bytes() == png == (tmp_path / "extra.png").read_bytes()
    page = (tmp_path / "report.html").read_text()
    assert "<h1>Thing &lt;report&gt;</h1>" in page and "no samples &lt;b&gt;" in page
    assert "<td>0.1235</td>" in page and "<li>two</li>" in page and "<h2>Quarantined (3)</h2>" in page
    assert page.count("<img") == 2 and "src='s.png'" in page and "src='extra.png'" in page
    inlined = _component_report_html(str(tmp_path))  # the run report inlines the pictures
    assert inlined.count("src='data:image/png;base64,") == 2 and "<h1>" in inlined
