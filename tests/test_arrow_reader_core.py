"""The Arrow ExampleGen's reader core, without TensorFlow: TFX's type rules against
tfx_bsl's own ``_InferValueType``, chunk cutting against whole-file reads and Python's
csv module, hash splits against TFX's own ``_PartitionFn`` rule, and bad rows (each
reason, exact line numbers, in = out + quarantined) on literal small files."""
import csv
import hashlib
import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datalife.components.arrow_example_gen import chunks as chunking
from datalife.components.arrow_example_gen.column_types import Kind, convert, infer_kind, value_kind
from datalife.components.arrow_example_gen.reader import InvalidRowError, read_frame, write_chunk, ColumnPlan
from datalife.components.arrow_example_gen.shards import GzipShard, crc32c_of
from datalife.components.arrow_example_gen.spec import ReadOptions
from datalife.components.arrow_example_gen.splits import HashSplit
from datalife.common.tfrecords import iter_tfrecords

EDGE_CELLS = ["5", "+5", "-5", "05", " 5", "5 ", "1_0", "0x10", "0X1f", "1e5", "1E5", "1.", "1.5", ".5", "-.5",
              "+.5", "inf", "-inf", "Infinity", "nan", "NaN", "1e400", "9223372036854775807", "9223372036854775808",
              "-9223372036854775808", "-9223372036854775809", "12345678901234567890123", "１", "٥", "1,5", "-",
              "+", ".", "e5", "1e", "True", "false", "NA", "\t5", "0b1", "1__0", "_1", "1" * 5000, "é", "a b"]


def tfx_kind(cell: str) -> Kind:
    from tfx_bsl.coders import csv_decoder

    return Kind(int(csv_decoder._InferValueType(cell.encode())))  # TFX 1.16's own rule


# ----------------------------------------------------------------------------- types
@pytest.mark.parametrize("cell", EDGE_CELLS)
def test_value_kind_is_tfx_bsl_rule(cell):
    assert value_kind(cell.encode()) == tfx_kind(cell)


def _column(cells):
    return pa.array([c.encode() for c in cells], pa.binary())


@pytest.mark.parametrize("cells,expected", [
    (["1", "2", "3"], Kind.INT),
    (["1", "2", "1.0"], Kind.FLOAT),  # "1.0" in an int column: float
    (["1", "2", "True"], Kind.STRING),  # booleans are strings
    (["1.5", "NA"], Kind.STRING),  # a null marker TFX does not know
    (["1", "0x10"], Kind.STRING),  # Arrow reads hex, TFX does not
    (["1", "+5", " 7"], Kind.INT),  # Python's int() reads these, Arrow does not
    (["1.5", "9223372036854775808"], Kind.STRING),  # an int beyond int64 is a string for TFX
    (["1.5", "nan", "inf"], Kind.FLOAT),
    ([], Kind.UNKNOWN),
])
def test_infer_kind_examples(cells, expected):
    assert infer_kind(_column(cells)) == expected
    assert expected == max([tfx_kind(c) for c in cells], default=Kind.UNKNOWN)


cell_text = st.one_of(st.sampled_from(EDGE_CELLS[:-2]), st.integers(-10**20, 10**20).map(str),
                      st.floats(allow_nan=True, allow_infinity=True).map(repr),
                      st.from_regex(r"[ +\-]?[0-9_]{1,4}(\.[0-9]{0,3})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
                      st.text(alphabet="0123456789.ex+- abc", min_size=1, max_size=6))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(cell_text, min_size=1, max_size=80))
def test_infer_and_convert_agree_with_tfx_and_python(cells):
    cells = [c for c in cells if c]
    column = _column(cells)
    kind = infer_kind(column)
    assert kind == max([tfx_kind(c) for c in cells], default=Kind.UNKNOWN)
    values, bad = convert(column, kind)
    assert bad is None  # an inferred kind parses every cell of its column
    if kind == Kind.INT:
        assert values.to_pylist() == [int(c) for c in cells]
    elif kind == Kind.FLOAT:
        with np.errstate(over="ignore"):  # beyond float32: inf, as tf.train.FloatList stores it
            expected = np.array([float(c) for c in cells], np.float64).astype(np.float32)
        np.testing.assert_array_equal(values.to_numpy(zero_copy_only=False), expected)


def test_convert_marks_cells_that_are_not_the_fixed_kind():
    values, bad = convert(_column(["1", "x", "+2", "2.5"]), Kind.INT)
    assert bad.tolist() == [False, True, False, True] and values.to_pylist()[::2] == [1, 2]
    values, bad = convert(_column(["1", "x", "1e3"]), Kind.FLOAT)
    assert bad.tolist() == [False, True, False] and values.to_pylist()[2] == 1000.0


# ----------------------------------------------------------------------------- chunks
def _arrow_rows(data: bytes, opts=ReadOptions()):
    t = pacsv.read_csv(io.BytesIO(data), parse_options=pacsv.ParseOptions(newlines_in_values=True),
                       convert_options=pacsv.ConvertOptions(strings_can_be_null=False, null_values=[],
                                                            column_types={"a": pa.binary(), "b": pa.binary()}))
    return list(zip(*[t.column(n).to_pylist() for n in t.column_names]))


field = st.one_of(st.text(alphabet="ab1", max_size=3),
                  st.text(alphabet='ab,"\n\r ', max_size=6).map(lambda s: '"' + s.replace('"', '""') + '"'))
row = st.tuples(field, field)


@settings(max_examples=150, deadline=None)
@given(st.lists(row, min_size=0, max_size=40), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans(),
       st.integers(1, 40))
def test_chunks_cut_between_records_and_count_lines(rows, eol, bom, blank, chunk_bytes):
    lines = ["a,b"] + [f"{x},{y}" for x, y in rows]
    if blank and lines:
        lines.insert(len(lines) // 2 + 1, "")
    data = (b"\xef\xbb\xbf" if bom else b"") + eol.join(lines).encode() + eol.encode()
    chunks, scan = chunking.plan_chunks(io.BytesIO(data), "f.csv", "f.csv", 0, ReadOptions(), "csv",
                                        chunk_bytes=chunk_bytes)
    assert scan.splittable
    # Python's csv module: the records and the line each one starts on
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    starts, consumed = [], 0
    for rec in reader:
        if rec:
            starts.append(consumed + 1)
        consumed = reader.line_num
    assert scan.records == len(starts) - 1 == sum(c.records for c in chunks)
    pieces, got_lines = [], []
    for c in chunks:
        piece = data[c.start: c.end if c.end >= 0 else None]
        pieces.append(piece)
        got_lines += list(chunking.record_lines(piece, ReadOptions(), c.first_line, True)[1 if c.has_header else 0:])
    assert b"".join(pieces) == data
    assert got_lines == starts[1:]
    # every chunk parses on its own into the rows of the whole file
    whole = _arrow_rows(data)
    parts = []
    for c, piece in zip(chunks, pieces):
        parts += _arrow_rows((b"a,b\n" if not c.has_header else b"") + piece) if piece.strip(b"\r\n\xef\xbb\xbf") \
            else []
    assert parts == whole


def test_stray_quote_or_escape_char_reads_the_file_whole():
    data = b'a,b\n1,5\'11"\n2,"x\ny"\n'
    chunks, scan = chunking.plan_chunks(io.BytesIO(data), "f", "f", 0, ReadOptions(), "csv", chunk_bytes=4)
    assert not scan.splittable and len(chunks) == 1 and "RFC 4180" in scan.why_whole
    _, scan = chunking.plan_chunks(io.BytesIO(b"a,b\n1,2\n"), "f", "f", 0, ReadOptions(escape_char="\\"), "csv")
    assert not scan.splittable and scan.why_whole == "escape_char is set"


def test_unbalanced_quote_names_the_line():
    data = b'a,b\n1,2\n3,"never\nclosed\n4,5\n'
    with pytest.raises(chunking.UnbalancedQuote, match="line 3: a quoted field opened on this line is never closed"):
        chunking.plan_chunks(io.BytesIO(data), "f", "f", 0, ReadOptions(), "csv")


def test_jsonl_chunks_cut_at_line_breaks():
    data = b"".join(json.dumps({"i": i}).encode() + b"\n" for i in range(100))
    chunks, _ = chunking.plan_chunks(io.BytesIO(data), "f", "f", 0, ReadOptions(), "jsonl", chunk_bytes=50)
    assert b"".join(data[c.start: c.end if c.end >= 0 else None] for c in chunks) == data
    assert [c.first_line for c in chunks] == [1 + data[: c.start].count(b"\n") for c in chunks]
    assert len(chunks) > 10 and all(c.end - c.start >= 50 for c in chunks[:-1])


def test_header_with_bom_quotes_and_duplicates():
    assert chunking.csv_header(io.BytesIO('\ufeff"a,1",b\n'.encode()), ReadOptions(), "f") == ["a,1", "b"]
    with pytest.raises(ValueError, match=r"f: the header names \['a'\] more than once"):
        chunking.csv_header(io.BytesIO(b"a,b,a\n"), ReadOptions(), "f")
    with pytest.raises(ValueError, match="f: the file is empty"):
        chunking.csv_header(io.BytesIO(b"\n\n"), ReadOptions(), "f")


# ----------------------------------------------------------------------------- splits
class _Records:  # what a split rule reads of an encoded batch
    def __init__(self, records):
        self.records = pa.array(records, pa.binary())

    def values(self):
        return self.records.to_numpy(zero_copy_only=False)

    def __len__(self):
        return len(self.records)


def test_hash_split_is_tfx_partition_rule():
    """TFX 1.16 (base_example_gen_executor._PartitionFn): bucket =
    int(sha256(record).hexdigest(), 16) % total; split = bisect(cumulative buckets, bucket).
    (TFX's own function is the oracle in test_arrow_example_gen_tfx.py.)"""
    import bisect

    from datalife.components.arrow_example_gen.splits import RowBatch

    records = [hashlib.md5(str(i).encode()).digest() * (i % 7 + 1) for i in range(3000)]
    ours = HashSplit((("train", 7), ("eval", 2), ("test", 1))).assign(RowBatch({}, _Records(records)))
    theirs = [bisect.bisect([7, 9, 10], int(hashlib.sha256(r).hexdigest(), 16) % 10) for r in records]
    assert ours.tolist() == theirs and set(theirs) == {0, 1, 2}


# ----------------------------------------------------------------------------- shards
def test_gzip_shard_reads_back_with_checksums(tmp_path):
    records = [bytes([i % 256]) * (i % 300) for i in range(1000)]
    arr = pa.array(records, pa.binary())
    path = tmp_path / "s.gz"
    shard = GzipShard(open(path, "wb"), level=1)
    shard.write(arr.slice(0, 400), crc32c_of(arr.slice(0, 400).to_numpy(zero_copy_only=False)))
    shard.write(arr.slice(400), crc32c_of(arr.slice(400).to_numpy(zero_copy_only=False)))
    shard.close()
    assert list(iter_tfrecords(str(path))) == records


# ----------------------------------------------------------------------------- bad rows
BAD_CSV = (b"id,age,name\n"
           b"1,30,ann\n"
           b"2,31\n"  # line 3: a field short
           b'3,32,"multi\nline"\n'  # lines 4-5
           b"\n"  # line 6: blank, not a record
           b"4,abc,bob\n"  # line 7: not an int (age fixed to int)
           b"5,33,\xff\xfe\n"  # line 8: invalid UTF-8
           b"6,34,cy,extra\n"  # line 9: a field too many
           b"7,35,dee\n")


def _write(data: bytes, opts: ReadOptions, fixed=None, fmt="csv", tmp=None, name="bad.csv"):
    stream = io.BytesIO(data)
    names = chunking.csv_header(stream, opts, name) if fmt == "csv" else []
    [chunk], _ = chunking.plan_chunks(io.BytesIO(data), name, name, 0, opts, fmt, chunk_bytes=len(data) + 1)
    plan = ColumnPlan(names, fixed or {}, {k: "config" for k in (fixed or {})})
    sinks = {}

    def open_shard(split):
        sinks[split] = io.BytesIO()
        sinks[split].close = lambda: None
        return sinks[split]

    result = write_chunk(chunk, data, plan, opts, fmt, HashSplit((("train", 1),)), open_shard)
    return result, sinks


def test_each_bad_row_is_quarantined_with_file_line_and_column():
    result, sinks = _write(BAD_CSV, ReadOptions(), fixed={"age": Kind.INT})
    got = [(q.file, q.record, q.field, q.reason) for q in result.quarantined]
    assert got == [("bad.csv", 3, None, "field_count"), ("bad.csv", 7, "age", "not_int"),
                   ("bad.csv", 8, "name", "invalid_utf8"), ("bad.csv", 9, None, "field_count")]
    messages = [q.message for q in result.quarantined]
    assert messages[0] == "bad.csv:3: expected 3 fields, found 2: '2,31'"
    assert messages[1] == "bad.csv:7: column 'age': 'abc' is not an int64 (column type int from column_types)"
    assert messages[2] == "bad.csv:8: column 'name': bytes b'\\xff\\xfe' are not valid UTF-8"
    assert messages[3] == "bad.csv:9: expected 3 fields, found 4: '6,34,cy,extra'"
    c = result.counts
    assert (c["rows_in"], c["rows_out"], c["rows_quarantined"]) == (7, 3, 4)
    assert c["rows_in"] == c["rows_out"] + c["rows_quarantined"]
    assert c["reason:field_count"] == 2 and c["split:train"] == 3
    buf = sinks["train"].getvalue()
    import gzip

    assert len(list(iter_tfrecords_bytes(gzip.decompress(buf)))) == 3


def iter_tfrecords_bytes(data: bytes):
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".tfrecord") as f:
        f.write(data)
        f.flush()
        return list(iter_tfrecords(f.name))


def test_on_invalid_fail_stops_at_the_first_with_the_same_message():
    with pytest.raises(InvalidRowError) as info:
        _write(BAD_CSV, ReadOptions(on_invalid="fail"), fixed={"age": Kind.INT})
    assert str(info.value).startswith("bad.csv:3: expected 3 fields, found 2: '2,31' [field_count]")


def test_line_numbers_hold_after_quoted_newlines_crlf_and_a_stray_quote():
    data = b'a,b\r\n"x\r\ny",1\r\n\r\n2\r\n3,4\r\n'
    result, _ = _write(data, ReadOptions())
    assert [(q.record, q.reason) for q in result.quarantined] == [(5, "field_count")]
    stray = b'a,b\n5\'11",1\n"q\nq",2\nlonely\n'  # not RFC 4180: read whole, lines by Python's csv
    result, _ = _write(stray, ReadOptions())
    assert [(q.record, q.reason) for q in result.quarantined] == [(5, "field_count")]


def test_null_markers_delimiter_and_quote_char(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_bytes("\ufeffid;score;note\n1;NA;'a;b'\n2;2.5;''\n3;;'it''s'\n".encode())
    rows, quarantine = read_frame(str(path), ReadOptions(delimiter=";", quote_char="'", null_values=["", "NA"]))
    assert list(rows.columns) == ["id", "score", "note"] and quarantine.empty
    assert rows.attrs["kinds"] == {"id": "int", "score": "float", "note": "bytes"}
    assert rows["id"].tolist() == [1, 2, 3]
    assert rows["score"].tolist()[1] == 2.5 and rows["score"].isna().tolist() == [True, False, True]
    assert rows["note"].tolist() == [b"a;b", None, b"it's"]


JSONL = (b'{"id": 1, "x": 1.5, "flag": true, "tags": ["a", "b"], "geo": {"lat": 1.25}}\n'
         b'{"id": 2, "x": null, "flag": false}\n'
         b"\n"
         b'{"id": 3, "x": 2,}\n'  # line 4: not JSON
         b"[1, 2]\n"  # line 5: not an object
         b'{"id": 4, "x": "\xff"}\n'  # line 6: invalid UTF-8
         b'{"id": 5, "x": 7}\n')


def test_jsonl_refuses_nested_values_with_a_clear_message(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(JSONL)
    rows, quarantine = read_frame(str(path), ReadOptions(), fmt="jsonl")
    assert quarantine[["record", "field", "reason"]].values.tolist() == [
        [1, "tags", "nested_value"], [4, None, "invalid_json"], [5, None, "not_an_object"], [6, None, "invalid_utf8"]]
    assert quarantine["message"][0] == ("r.jsonl:1: column 'tags': holds a JSON array; nested: flatten would make "
                                        "it a list of values")
    # x's only float is on a quarantined line: quarantined rows do not widen a type
    assert rows["id"].tolist() == [2, 5] and rows.attrs["kinds"]["x"] == "int"
    assert rows["x"].isna().tolist() == [True, False] and rows["x"][1] == 7
    assert rows["flag"].isna().tolist() == [False, True] and rows["flag"][0] == 0  # booleans are 1 / 0, as TFX's dict-to-Example makes them


def test_jsonl_flatten_makes_dotted_columns_and_value_lists(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(JSONL)
    rows, quarantine = read_frame(str(path), ReadOptions(nested="flatten"), fmt="jsonl")
    assert list(quarantine["reason"]) == ["invalid_json", "not_an_object", "invalid_utf8"]
    assert list(rows.columns) == ["flag", "geo.lat", "id", "tags", "x"]
    assert rows["tags"].tolist() == [[b"a", b"b"], None, None] and rows["geo.lat"].tolist()[0] == 1.25
    assert rows.attrs["kinds"] == {"flag": "int", "geo.lat": "float", "id": "int", "tags": "bytes", "x": "float"}
