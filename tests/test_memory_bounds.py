"""Steps that replace a full gather (issue 18, item 2): the bounded sample of records a
report shows (``FirstRecords``: the count and the first ``limit`` records by fields),
equal to sorting everything, whatever the parallelism."""
import json
import random

import pytest

beam = pytest.importorskip("apache_beam")


def _records(n):
    rng = random.Random(0)
    return [{"source": rng.choice("abc"), "file": f"f{rng.randrange(10_000):05d}", "kind": "size_mismatch", "i": i}
            for i in range(n)]


@pytest.mark.parametrize("workers", [1, 2])
def test_first_records_equal_a_full_sort(tmp_path, workers):
    from apache_beam.options.pipeline_options import PipelineOptions

    from datalife.components.beam_glue import FirstRecords

    recs = _records(3000)
    fields = ("source", "file", "kind")
    want = sorted(recs, key=lambda r: tuple(str(r[f]) for f in fields) + (json.dumps(r, sort_keys=True),))[:50]
    opts = PipelineOptions(direct_num_workers=workers, direct_running_mode="multi_threading" if workers > 1
                           else "in_memory")
    out = tmp_path / "out.json"
    with beam.Pipeline(options=opts) as p:
        _ = (p | beam.Create(recs, reshuffle=True) | beam.Reshuffle()
             | beam.CombineGlobally(FirstRecords(50, fields))
             | beam.Map(lambda v: out.write_text(json.dumps(v))))
    got = json.loads(out.read_text())
    assert got["total"] == 3000 and got["first"] == want


def test_first_records_of_nothing_is_an_empty_sample():
    from datalife.components.beam_glue import FirstRecords

    fn = FirstRecords(5, ("file",))
    assert fn.extract_output(fn.create_accumulator()) == {"total": 0, "first": []}


def test_unifier_report_counts_all_notes_and_shows_a_sample():
    from types import SimpleNamespace

    from datalife.components.label_unifier.report import NOTES_SHOWN, sections, summarize

    notes = _records(NOTES_SHOWN)
    cfg = SimpleNamespace(sources=[SimpleNamespace(name="a", format="coco", box_format=None, origin=None,
                                                   class_map={})], classes=["car"], box_format="xyxy:normalized")
    counts = [("a", {"files_in": 1, "images_in": 5, "images_out": 5})]
    summary, _ = summarize(counts, {"total": 12_345, "first": notes}, cfg)
    assert summary["notes_total"] == 12_345 and len(summary["notes"]) == NOTES_SHOWN
    title = [t for t, _ in sections(summary) if t.startswith("Notes")][0]
    assert title == f"Notes (12345; the first {NOTES_SHOWN} shown)"
