"""Spans and versions of an input folder: TFX's placeholders, latest / given / last K,
the _SUCCESS / settle-time rule for a folder still being written, bad input named,
content hashes that change when a span is re-written (pure: no TFX), and the executor's
span inputs (lineage custom properties, a span changed after the build refused)."""
import datetime as dt
import json
import os

import pytest

from datalife.components.arrow_example_gen.spans import (SpanConfig, SpanError, content_sha256, find_spans,
                                                         pattern_regex, select_spans)


def _span(base, folder, rows, marker=True):
    d = base / folder
    d.mkdir(parents=True)
    (d / "part-0.csv").write_text("a,b\n" + "".join(f"{i},{i * 2}\n" for i in rows))
    if marker:
        (d / "_SUCCESS").write_text("")
    return d


@pytest.fixture
def spans(tmp_path):
    _span(tmp_path, "span-1/v1", range(3))
    _span(tmp_path, "span-1/v2", range(4))
    _span(tmp_path, "span-2/v1", range(5))
    _span(tmp_path, "span-3/v1", range(6), marker=False)  # still being written
    (tmp_path / "README.txt").write_text("not a span")
    return tmp_path


def test_find_and_select_latest_given_and_last(spans):
    cfg = SpanConfig(pattern="span-{SPAN}/v{VERSION}/*.csv")
    found = find_spans(str(spans), cfg)
    assert list(zip(found.span, found.version, found.complete)) == [(1, 1, True), (1, 2, True), (2, 1, True),
                                                                   (3, 1, False)]
    assert found.reason.iloc[3] == "no _SUCCESS in span-3/v1/ (still being written?)"
    assert found.files.iloc[0] == [str(spans / "span-1/v1/part-0.csv")]
    latest = select_spans(found, cfg)
    assert list(zip(latest.span, latest.version)) == [(2, 1)]  # span 3 is not complete: not taken
    given = select_spans(found, SpanConfig(pattern=cfg.pattern, select="given", span=1))
    assert list(zip(given.span, given.version)) == [(1, 2)]  # its highest version
    last = select_spans(found, SpanConfig(pattern=cfg.pattern, select="last", last=2))
    assert list(zip(last.span, last.version)) == [(1, 2), (2, 1)]
    with pytest.raises(SpanError, match=r"last 3 spans asked, 2 complete \(found: span 1 v1; span 1 v2; span 2 v1; "
                                        r"span 3 v1 \(no _SUCCESS in span-3/v1/ \(still being written\?\)\)\)"):
        select_spans(found, SpanConfig(pattern=cfg.pattern, select="last", last=3))
    with pytest.raises(SpanError, match="span 3 is not there complete"):
        select_spans(found, SpanConfig(pattern=cfg.pattern, select="given", span=3))


def test_settle_time_instead_of_a_marker(spans):
    cfg = SpanConfig(pattern="span-{SPAN}/v{VERSION}/*.csv", marker=None, settle_seconds=60)
    mtime = os.path.getmtime(spans / "span-3/v1/part-0.csv")
    found = find_spans(str(spans), cfg, now=mtime + 10)
    assert not found.complete.any() and found.reason.iloc[0] == "changed 10 s ago (settle_seconds 60)"
    assert find_spans(str(spans), cfg, now=mtime + 61).complete.all()
    assert list(select_spans(find_spans(str(spans), cfg, now=mtime + 61), cfg).span) == [3]


def test_date_spans_are_days_since_the_epoch_and_bad_dates_are_named(tmp_path):
    _span(tmp_path, "2014-01-02", range(2))
    _span(tmp_path, "2014-01-03", range(2))
    cfg = SpanConfig(pattern="{YYYY}-{MM}-{DD}/*.csv")
    found = find_spans(str(tmp_path), cfg)
    assert list(found.span) == [(dt.date(2014, 1, 2) - dt.date(1970, 1, 1)).days, 16073]
    assert list(found.date) == ["2014-01-02", "2014-01-03"]
    _span(tmp_path, "2014-02-30", range(2))
    with pytest.raises(SpanError, match=r"2014-02-30/part-0.csv: date 2014-02-30 does not parse"):
        find_spans(str(tmp_path), cfg)


def test_a_pattern_that_matches_nothing_lists_what_is_there(spans):
    with pytest.raises(SpanError, match=r"pattern 'day-\{SPAN\}/\*.csv' matches no file; found 8 files: "
                                        r"\['README.txt', 'span-1/v1/_SUCCESS', 'span-1/v1/part-0.csv'"):
        find_spans(str(spans), SpanConfig(pattern="day-{SPAN}/*.csv"))


def test_bad_patterns_are_refused_at_config_time():
    with pytest.raises(ValueError, match=r"needs \{SPAN\} or the date"):
        SpanConfig(pattern="data/*.csv")
    with pytest.raises(ValueError, match=r"a date needs all of"):
        SpanConfig(pattern="{YYYY}-{MM}/*.csv")
    with pytest.raises(ValueError, match="give 'span' exactly when select is 'given'"):
        SpanConfig(pattern="s{SPAN}/*", select="given")
    assert pattern_regex("s-{SPAN}/*.csv").fullmatch("s-12/a.csv").group("span") == "12"
    assert pattern_regex("s-{SPAN}/*.csv").fullmatch("s-12/x/a.csv") is None  # * stays in one folder


def test_content_hash_changes_when_a_span_is_rewritten(spans):
    files = [str(spans / "span-2/v1/part-0.csv")]
    before = content_sha256(files)
    assert before == content_sha256(files)
    (spans / "span-2/v1/part-0.csv").write_text("a,b\n0,0\n")
    assert content_sha256(files) != before


def test_build_records_spans_and_the_executor_refuses_a_changed_one(spans):
    from tfx.types import standard_artifacts

    from datalife.components.arrow_example_gen.executor import span_inputs as executor_inputs
    from datalife.components.arrow_example_gen.spec import ArrowExampleGenConfig
    from datalife.pipeline.build import span_inputs

    cfg = SpanConfig(pattern="span-{SPAN}/v{VERSION}/*.csv", select="last", last=2)
    spec, input_config, ranges = span_inputs(str(spans), cfg, ArrowExampleGenConfig())
    assert [(s["span"], s["version"], s["files"]) for s in spec.spans] == [
        (1, 2, ["span-1/v2/part-0.csv"]), (2, 1, ["span-2/v1/part-0.csv"])]
    assert input_config.splits[0].pattern == cfg.pattern and ranges.static_range.start_span_number == 2
    examples = standard_artifacts.Examples()
    files = executor_inputs(str(spans), spec.spans, examples)
    assert [f[2] for f in files] == ["span-1/v2/part-0.csv", "span-2/v1/part-0.csv"]
    assert (examples.span, examples.version) == (2, 1)
    recorded = json.loads(examples.get_string_custom_property("spans"))
    assert recorded == [{"span": 1, "version": 2, "sha256": content_sha256([str(spans / "span-1/v2/part-0.csv")])},
                        {"span": 2, "version": 1, "sha256": content_sha256([str(spans / "span-2/v1/part-0.csv")])}]
    (spans / "span-2/v1/part-0.csv").write_text("a,b\n9,9\n")  # re-written after the build
    with pytest.raises(SpanError, match=r"span 2 version 1 changed since the pipeline was built"):
        executor_inputs(str(spans), spec.spans, standard_artifacts.Examples())
    again, _, _ = span_inputs(str(spans), cfg, ArrowExampleGenConfig())
    assert again.spans[1]["sha256"] != spec.spans[1]["sha256"]  # a new cache key: not served from the cache


def test_span_history_flags_a_span_rewritten_under_the_same_number():
    from ml_metadata import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    from datalife.pipeline.spans import format_rewritten, span_history

    config = metadata_store_pb2.ConnectionConfig()
    config.fake_database.SetInParent()
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(metadata_store_pb2.ArtifactType(name="Examples"))

    def put(uri, spans):
        a = metadata_store_pb2.Artifact(type_id=type_id, uri=uri)
        a.custom_properties["spans"].string_value = json.dumps(spans)
        return store.put_artifacts([a])[0]

    put("run1", [{"span": 1, "version": None, "sha256": "a" * 64}])
    put("run2", [{"span": 1, "version": None, "sha256": "a" * 64}, {"span": 2, "version": None, "sha256": "b" * 64}])
    last = put("run3", [{"span": 2, "version": None, "sha256": "c" * 64}])
    history = span_history(store)
    assert list(zip(history.uri, history.span, history.rewritten)) == [
        ("run1", 1, False), ("run2", 1, False), ("run2", 2, False), ("run3", 2, True)]
    assert format_rewritten(history) == (f"span 2 version None was re-written: artifact {last} read sha256 "
                                         f"cccccccccccc, an earlier one bbbbbbbbbbbb")


def test_spans_with_different_columns_are_refused_naming_both_files(spans):
    """The last two spans read together, the newer one with a column more: a clear error
    naming both span files and both headers (never rows with a column silently missing)."""
    from tfx.types import standard_artifacts

    from datalife.components.arrow_example_gen.executor import column_plan
    from datalife.components.arrow_example_gen.executor import span_inputs as executor_inputs
    from datalife.components.arrow_example_gen.spec import ArrowExampleGenConfig
    from datalife.pipeline.build import span_inputs

    (spans / "span-2/v1/part-0.csv").write_text("a,b,c\n1,2,3\n")
    cfg = SpanConfig(pattern="span-{SPAN}/v{VERSION}/*.csv", select="last", last=2)
    spec, _, _ = span_inputs(str(spans), cfg, ArrowExampleGenConfig())
    files = executor_inputs(str(spans), spec.spans, standard_artifacts.Examples())
    with pytest.raises(ValueError, match=r"span-2/v1/part-0.csv: its header \['a', 'b', 'c'\] differs from "
                                         r"span-1/v2/part-0.csv's \['a', 'b'\]"):
        column_plan(files, ArrowExampleGenConfig())
