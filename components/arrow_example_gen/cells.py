"""One chunk of a CSV or JSON-lines file -> text cells per column.

Both formats end in the same :class:`Cells`: per column a ``large_list<binary>`` array
(one list per row; a missing cell is an empty list, a JSON array of scalars several
cells), the data-record number of each row, and the records the parser refused. From
there typing, checking, encoding and splitting are one code path.

CSV goes through pyarrow's reader (quoted line breaks, BOM, delimiter, quote and escape
characters); every column is read as raw bytes, so typing follows TFX's rules, not
Arrow's. A row with the wrong number of fields is refused by Arrow's
``invalid_row_handler``. JSON lines are parsed one line at a time (orjson when present):
numbers keep their JSON kind (``5`` -> ``b"5"``, ``5.0`` -> ``b"5.0"``), booleans
become 1 / 0 (as TFX's own dict-to-Example conversion does), null is missing, and
objects / arrays are refused or flattened per ``nested``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from datalife.components.arrow_example_gen.spec import ReadOptions

__all__ = ["Cells", "Problem", "csv_cells", "jsonl_cells", "CELL_TYPE"]

CELL_TYPE = pa.large_list(pa.binary())

try:  # 3-10x faster; the standard library's json is the fallback and gives the messages
    import orjson

    _fast_loads = orjson.loads
    _FastError = orjson.JSONDecodeError
except ImportError:  # pragma: no cover
    _fast_loads, _FastError = json.loads, ValueError


@dataclass
class Problem:
    """A record that cannot become an example: ``record`` is its data-record number in
    the chunk (0-based), ``field`` the column (None for the whole record)."""

    record: int
    field: Optional[str]
    reason: str
    detail: str


@dataclass
class Cells:
    columns: dict[str, pa.Array]  # name -> large_list<binary>, one entry per row
    records: np.ndarray  # data-record number of each row
    problems: list[Problem]  # records the parser refused
    n_records: int  # data records in the chunk (rows + refused)
    lines: Optional[np.ndarray] = None  # line offset of every data record, when the parser knows it
    extra: dict = field(default_factory=dict)

    @property
    def num_rows(self) -> int:
        return len(self.records)


def _as_lists(col: pa.Array, null_values: list[str]) -> pa.Array:
    """Binary cells -> list<binary> with the null markers removed (empty lists)."""
    if null_values == [""]:
        missing = pc.equal(pc.binary_length(col), 0)
    elif null_values:
        missing = pc.is_in(col, value_set=pa.array([v.encode() for v in null_values], pa.binary()))
    else:
        missing = None
    if missing is None:
        values, present = col, np.ones(len(col), np.int64)
    else:
        keep = pc.invert(missing)
        values = pc.filter(col, keep)
        present = keep.to_numpy(zero_copy_only=False).astype(np.int64)
    offsets = np.zeros(len(col) + 1, np.int64)
    np.cumsum(present, out=offsets[1:])
    return pa.LargeListArray.from_arrays(pa.array(offsets), values.cast(pa.binary()))


def csv_cells(data: bytes, names: list[str], opts: ReadOptions, has_header: bool, where: str) -> Cells:
    """Parse a chunk of CSV. ``has_header``: the chunk starts the file and its first
    record is the header (checked against ``names``)."""
    if not data.strip(b"\r\n\xef\xbb\xbf"):
        return Cells({n: pa.array([], CELL_TYPE) for n in names}, np.zeros(0, np.int64), [], 0)
    refused = []

    def on_invalid(row):
        refused.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    read = pacsv.ReadOptions(use_threads=False, block_size=max(1 << 20, min(len(data) + 1, 1 << 30)),
                             column_names=None if has_header else names)
    parse = pacsv.ParseOptions(delimiter=opts.delimiter, quote_char=opts.quote_char or False,
                               double_quote=opts.double_quote, escape_char=opts.escape_char or False,
                               newlines_in_values=True, ignore_empty_lines=True, invalid_row_handler=on_invalid)
    convert = pacsv.ConvertOptions(column_types={n: pa.binary() for n in names}, null_values=[],
                                   strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=False)
    try:
        table = pacsv.read_csv(pa.BufferReader(data), read, parse, convert)
    except pa.ArrowInvalid as exc:
        raise ValueError(f"{where}: the CSV reader stopped: {exc}") from None
    if has_header and table.column_names != names:
        raise ValueError(f"{where}: the header {table.column_names} differs from the expected columns {names}")
    first = 2 if has_header else 1  # Arrow numbers records from 1, the header included
    bad_idx = np.array([number - first for number, *_ in refused], np.int64)
    n_records = table.num_rows + len(refused)
    records = np.setdiff1d(np.arange(n_records), bad_idx) if len(refused) else np.arange(n_records)
    problems = [Problem(number - first, None, "field_count",
                        f"expected {expected} fields, found {actual}: {_snippet(text)}")
                for number, expected, actual, text in refused]
    columns = {n: _as_lists(table.column(n).combine_chunks(), opts.null_values) for n in names}
    return Cells(columns, records, problems, n_records)


def _snippet(text, limit: int = 80) -> str:
    text = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


class _Nested(Exception):
    def __init__(self, field: str, detail: str):
        self.field, self.detail = field, detail


def _scalar(v) -> bytes:
    if isinstance(v, str):
        return v.encode("utf-8", errors="surrogatepass")
    if v is True or v is False:
        return b"1" if v else b"0"
    if isinstance(v, int):
        return str(v).encode()
    return repr(v).encode()  # float: the shortest text that reads back as the same double


def _flatten(obj: dict, prefix: str, opts: ReadOptions, out: list) -> None:
    for key, value in obj.items():
        name = prefix + key
        if isinstance(value, dict):
            if opts.nested == "refuse":
                raise _Nested(name, "holds a JSON object; nested: flatten would make it columns "
                                    f"{name}{opts.flatten_separator}<key>")
            _flatten(value, name + opts.flatten_separator, opts, out)
        elif isinstance(value, list):
            if opts.nested == "refuse":
                raise _Nested(name, "holds a JSON array; nested: flatten would make it a list of values")
            if any(isinstance(v, (dict, list)) for v in value):
                raise _Nested(name, "holds an array of objects or arrays, which nested: flatten does not flatten")
            out.append((name, [_scalar(v) for v in value if v is not None]))
        else:
            out.append((name, [] if value is None else [_scalar(value)]))


def _loads(line: bytes):
    """(object, None) or (None, (reason, detail))."""
    try:
        return _fast_loads(line), None
    except (_FastError, ValueError):
        pass
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, ("invalid_utf8", f"bytes {line[max(exc.start - 10, 0): exc.end + 10]!r} are not valid UTF-8")
    try:
        return json.loads(text), None  # e.g. integers beyond 64 bits, NaN
    except ValueError as exc:
        return None, ("invalid_json", f"not valid JSON ({exc}): {_snippet(text)}")


def jsonl_cells(data: bytes, opts: ReadOptions) -> Cells:
    """Parse a chunk of JSON lines: one object per line, blank lines skipped."""
    nulls = {v.encode() for v in opts.null_values}
    values: dict[str, list] = {}
    rows_of: dict[str, list] = {}
    problems, records, lines = [], [], []
    n_records = 0
    for i, raw in enumerate(data.split(b"\n")):
        line = raw.strip()
        if not line:
            continue
        rec = n_records
        n_records += 1
        lines.append(i)
        obj, err = _loads(line)
        if err is None and not isinstance(obj, dict):
            err = ("not_an_object", f"a JSON line must hold an object, found {type(obj).__name__}: {_snippet(line)}")
        if err is not None:
            problems.append(Problem(rec, None, *err))
            continue
        flat = []
        try:
            _flatten(obj, "", opts, flat)
        except _Nested as exc:
            problems.append(Problem(rec, exc.field, "nested_value", exc.detail))
            continue
        if len({name for name, _ in flat}) != len(flat):
            dup = sorted({n for n, _ in flat if sum(m == n for m, _ in flat) > 1})
            problems.append(Problem(rec, dup[0], "duplicate_field", "flattening gives this column twice"))
            continue
        row = len(records)
        records.append(rec)
        for name, cells in flat:
            cells = [c for c in cells if c not in nulls] if nulls else cells
            if name not in values:
                values[name], rows_of[name] = [], []
            values[name].extend(cells)
            rows_of[name].extend([row] * len(cells))
    n_rows = len(records)
    columns = {}
    for name in values:
        counts = np.bincount(np.array(rows_of[name], np.int64), minlength=n_rows) if rows_of[name] else \
            np.zeros(n_rows, np.int64)
        offsets = np.zeros(n_rows + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        columns[name] = pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(values[name], pa.binary()))
    return Cells(columns, np.array(records, np.int64), problems, n_records, lines=np.array(lines, np.int64))
