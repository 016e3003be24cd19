"""The reader core: a chunk of a file -> checked, typed, encoded rows on their splits.

No Beam, no TFX: bytes in, gzipped TFRecord shards and counts out. The Beam glue calls
:func:`infer_chunk` on every chunk (first pass: column kinds, merged over all chunks
with :func:`merge_kinds`), then :func:`write_chunk` (second pass) with the merged
:class:`ColumnPlan` and a split rule. :func:`read_frame` runs both passes on one file
and returns pandas DataFrames (rows and quarantine), to look at what ExampleGen would
make of a file.

Every data record ends in exactly one place: an example on a split, or a
:class:`Quarantined` entry (file, line, column, reason, message). With
``on_invalid: fail`` the first bad record raises :class:`InvalidRowError` with the same
message instead.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import BinaryIO, Callable, Optional

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datalife.components.arrow_example_gen import chunks as chunking
from datalife.components.arrow_example_gen.cells import Cells, Problem, csv_cells, jsonl_cells
from datalife.components.arrow_example_gen.column_types import KIND_NAMES, Kind, convert, infer_kind
from datalife.components.arrow_example_gen.encode import encode_examples
from datalife.components.arrow_example_gen.shards import GzipShard, crc32c_of
from datalife.components.arrow_example_gen.spec import ReadOptions
from datalife.components.arrow_example_gen.splits import FixedSplit, RowBatch

__all__ = ["ColumnPlan", "Quarantined", "InvalidRowError", "read_cells", "infer_chunk", "merge_kinds",
           "write_chunk", "read_frame", "peek_columns", "BATCH_ROWS"]

BATCH_ROWS = 200_000  # rows encoded and written at a time (bounds memory for whole-file chunks)
_EMPTY_TYPES = {Kind.INT: pa.int64(), Kind.FLOAT: pa.float32(), Kind.STRING: pa.binary(), Kind.UNKNOWN: pa.int64()}


class InvalidRowError(ValueError):
    """``on_invalid: fail``: the first bad record, with its quarantine message."""


@dataclass(frozen=True)
class Quarantined:
    file: str
    record: int  # the line the record starts on (1-based)
    field: Optional[str]  # the column, None when the whole record is refused
    reason: str
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ColumnPlan:
    """The columns every chunk is read with: ``names`` in file order, ``fixed`` kinds
    (curated schema or ``column_types``: a cell that does not parse is quarantined) with
    their ``sources``, and ``kinds`` once inference has run."""

    names: list[str]
    fixed: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    kinds: dict = field(default_factory=dict)

    def kind(self, name: str) -> Kind:
        return self.fixed.get(name, self.kinds.get(name, Kind.UNKNOWN))

    def to_json(self) -> dict:
        return {"names": self.names, "fixed": {k: int(v) for k, v in self.fixed.items()},
                "sources": self.sources, "kinds": {k: int(v) for k, v in self.kinds.items()}}

    @classmethod
    def from_json(cls, d: dict) -> "ColumnPlan":
        return cls(list(d["names"]), {k: Kind(v) for k, v in d["fixed"].items()}, dict(d["sources"]),
                   {k: Kind(v) for k, v in d["kinds"].items()})


def read_cells(chunk: chunking.Chunk, data: bytes, plan: ColumnPlan, opts: ReadOptions, fmt: str) -> Cells:
    if fmt == "jsonl":
        return jsonl_cells(data, opts)
    where = f"{chunk.name} (bytes {chunk.start}-{chunk.end if chunk.end >= 0 else 'end'})"
    cells = csv_cells(data, plan.names, opts, chunk.has_header, where)
    if chunk.records is not None and chunk.records != cells.n_records:
        raise AssertionError(f"{where}: the quote scan counted {chunk.records} records, the CSV reader "
                             f"{cells.n_records}; please report this file")
    return cells


def _bad_utf8(values: pa.Array) -> Optional[np.ndarray]:
    try:
        pc.cast(values, pa.string())
        return None
    except pa.ArrowInvalid:
        out = np.zeros(len(values), bool)
        for i, v in enumerate(values.to_pylist()):
            try:
                v.decode("utf-8")
            except UnicodeDecodeError:
                out[i] = True
        return out


def _value_rows(lists: pa.Array) -> np.ndarray:
    offsets = lists.offsets.to_numpy()
    return np.repeat(np.arange(len(lists)), np.diff(offsets))


def _show(cell: bytes) -> str:
    text = cell.decode("utf-8", errors="replace")
    return repr(text if len(text) <= 60 else text[:60] + "...")


_SOURCE_TEXT = {"schema": "from the curated schema", "config": "from column_types"}


def _check(cells: Cells, plan: ColumnPlan) -> tuple[list[Problem], dict]:
    """Problems of the parsed rows (invalid UTF-8, a value that is not its column's
    fixed kind; the first per row, columns in file order) and the fixed columns' values."""
    first: dict[int, Problem] = {}
    converted = {}
    names = [n for n in plan.names if n in cells.columns] + sorted(set(cells.columns) - set(plan.names))
    for name in names:
        lists = cells.columns[name]
        values = lists.flatten()
        bad = _bad_utf8(values)
        if bad is not None:
            rows = _value_rows(lists)
            for row, cell in zip(rows[bad], values.filter(pa.array(bad)).to_pylist()):
                first.setdefault(int(row), Problem(int(cells.records[row]), name, "invalid_utf8",
                                                   f"bytes {cell[:60]!r} are not valid UTF-8"))
        kind = plan.fixed.get(name)
        if kind is None:
            continue
        typed, not_kind = convert(values, kind)
        converted[name] = typed
        if not_kind is not None:
            rows = _value_rows(lists)
            where = _SOURCE_TEXT.get(plan.sources.get(name), "")
            reason = "not_int" if kind == Kind.INT else "not_float"
            for row, cell in zip(rows[not_kind], values.filter(pa.array(not_kind)).to_pylist()):
                first.setdefault(int(row), Problem(
                    int(cells.records[row]), name, reason,
                    f"{_show(cell)} is not {'an int64' if kind == Kind.INT else 'a float'} (column type "
                    f"{KIND_NAMES[kind]} {where})"))
    return [first[r] for r in sorted(first)], converted


def _kept(cells: Cells, checked: list[Problem]) -> np.ndarray:
    """Row mask of the parsed rows without a problem."""
    keep = np.ones(cells.num_rows, bool)
    if checked:
        keep[np.searchsorted(cells.records, [p.record for p in checked])] = False
    return keep


def _infer(cells: Cells, plan: ColumnPlan, keep: np.ndarray) -> dict[str, int]:
    """The kind of every column in this chunk: fixed, or inferred from the rows kept."""
    mask = None if keep.all() else pa.array(keep)
    kinds = {}
    for name, lists in cells.columns.items():
        if name in plan.fixed:
            kinds[name] = int(plan.fixed[name])
        else:
            kinds[name] = int(infer_kind((lists if mask is None else lists.filter(mask)).flatten()))
    for name in plan.names:
        kinds.setdefault(name, int(plan.fixed.get(name, Kind.UNKNOWN)))
    return kinds


def _locate(problems: list[Problem], cells: Cells, chunk: chunking.Chunk, data: bytes,
            opts: ReadOptions, fmt: str) -> list[Quarantined]:
    if not problems:
        return []
    if fmt == "jsonl":
        lines = chunk.first_line + cells.lines
    else:
        starts = chunking.record_lines(data, opts, chunk.first_line, chunk.rfc)
        lines = starts[1:] if chunk.has_header else starts
    out = []
    for p in sorted(problems, key=lambda p: p.record):
        line = int(lines[p.record])
        col = f"column {p.field!r}: " if p.field else ""
        out.append(Quarantined(chunk.name, line, p.field, p.reason, f"{chunk.name}:{line}: {col}{p.detail}"))
    return out


def _fail_or_keep(quarantined: list[Quarantined], opts: ReadOptions) -> None:
    if quarantined and opts.on_invalid == "fail":
        q = quarantined[0]
        raise InvalidRowError(f"{q.message} [{q.reason}] (on_invalid: fail; 'quarantine' sets such records aside)")


def infer_chunk(chunk: chunking.Chunk, data: bytes, plan: ColumnPlan, opts: ReadOptions, fmt: str) -> dict[str, int]:
    """The kind of every column in this chunk (rows that will be quarantined do not
    count); raises with ``on_invalid: fail``."""
    cells = read_cells(chunk, data, plan, opts, fmt)
    checked, _ = _check(cells, plan)
    _fail_or_keep(_locate(cells.problems + checked, cells, chunk, data, opts, fmt), opts)
    return _infer(cells, plan, _kept(cells, checked))


def merge_kinds(kind_dicts) -> dict[str, int]:
    """The highest kind of each column over all chunks (TFX's type hierarchy)."""
    out: dict[str, int] = {}
    for kinds in kind_dicts:
        for name, kind in kinds.items():
            out[name] = max(out.get(name, -1), kind)
    return out


def _typed_lists(cells: Cells, name: str, kind: Kind, converted: dict, n: int) -> pa.Array:
    if kind == Kind.UNKNOWN:
        return pa.nulls(n, pa.large_list(pa.int64()))
    lists = cells.columns.get(name)
    if lists is None:  # a JSON key absent from this chunk: empty lists
        return pa.LargeListArray.from_arrays(pa.array(np.zeros(n + 1, np.int64)), pa.array([], _EMPTY_TYPES[kind]))
    if name not in converted:
        converted[name] = convert(lists.flatten(), kind)[0]
    return pa.LargeListArray.from_arrays(lists.offsets, converted[name])


@dataclass
class ChunkResult:
    counts: Counter
    quarantined: list
    kinds: dict  # the kind each column was written with
    splits: list  # the splits that received a shard


def write_chunk(chunk: chunking.Chunk, data: bytes, plan: ColumnPlan, opts: ReadOptions, fmt: str, rule,
                open_shard: Callable[[str], BinaryIO], kinds: Optional[dict] = None) -> ChunkResult:
    """Check, type, encode and split the chunk's rows; write one gzipped TFRecord shard
    per split that receives rows (``open_shard(split)`` gives its sink). ``kinds``: the
    column kinds to write with; None infers them from this chunk alone (the caller
    rewrites the chunk when the kinds merged over all chunks differ)."""
    cells = read_cells(chunk, data, plan, opts, fmt)
    checked, converted = _check(cells, plan)
    problems = cells.problems + checked
    _fail_or_keep(_locate(problems, cells, chunk, data, opts, fmt), opts)
    keep = _kept(cells, checked)
    used = _infer(cells, plan, keep) if kinds is None else dict(kinds)
    names = list(plan.names)
    if fmt == "jsonl" and kinds is None:  # the keys this chunk has (and the split key)
        names = sorted(set(used) | ({rule.key} if getattr(rule, "key", None) else set()))
    n = cells.num_rows
    typed = {name: _typed_lists(cells, name, Kind(used.get(name, Kind.UNKNOWN)), converted, n) for name in names}
    counts = Counter({"rows_in": cells.n_records, "chunks": 1})
    kept_idx = np.flatnonzero(keep)
    shards: dict[str, GzipShard] = {}
    unassigned: list[Problem] = []
    try:
        for lo in range(0, len(kept_idx), BATCH_ROWS):
            if len(kept_idx) == n:  # nothing quarantined: zero-copy slices
                columns = {name: arr.slice(lo, BATCH_ROWS) for name, arr in typed.items()}
            else:
                idx = pa.array(kept_idx[lo: lo + BATCH_ROWS])
                columns = {name: arr.take(idx) for name, arr in typed.items()}
            encoded = encode_examples(columns)
            split_of = rule.assign(RowBatch(columns, encoded))
            crcs = crc32c_of(encoded.values())
            for s, split in enumerate(rule.names):
                rows = np.flatnonzero(split_of == s)
                if not len(rows):
                    continue
                if split not in shards:
                    shards[split] = GzipShard(open_shard(split), opts.gzip_level)
                shards[split].write(encoded.records.take(pa.array(rows)), crcs[rows])
                counts[f"split:{split}"] += len(rows)
                counts["rows_out"] += len(rows)
            for row in np.flatnonzero(split_of < 0):
                unassigned.append(Problem(int(cells.records[kept_idx[lo + row]]), None, "no_split",
                                          "the split rule assigns this row to no split"))
    finally:
        for shard in shards.values():
            shard.close()
    quarantined = _locate(problems + unassigned, cells, chunk, data, opts, fmt)
    counts["rows_quarantined"] += len(quarantined)
    for q in quarantined:
        counts[f"reason:{q.reason}"] += 1
    counts[f"file:{chunk.name}"] += cells.n_records
    return ChunkResult(counts, quarantined, {k: int(used.get(k, Kind.UNKNOWN)) for k in names}, sorted(shards))


# ----------------------------------------------------------------------------- one file, in memory
def read_frame(path: str, opts: Optional[ReadOptions] = None, fmt: str = "csv",
               column_types: Optional[dict] = None):
    """What ExampleGen makes of one local file: (rows, quarantine) as pandas DataFrames.
    A cell is a scalar, a list (several JSON values), or missing (None, NaN or <NA>:
    int columns are pandas' nullable Int64); the rows' ``attrs['kinds']`` holds each
    column's type (int / float / bytes / unknown)."""
    import pandas as pd

    from datalife.components.arrow_example_gen.column_types import kind_from_name

    opts = opts or ReadOptions()
    types = {**opts.column_types, **(column_types or {})}
    with open(path, "rb") as f:
        data = f.read()
    name = path.rsplit("/", 1)[-1]
    names = chunking.csv_header(io.BytesIO(data), opts, name) if fmt == "csv" else []
    [chunk], _ = chunking.plan_chunks(io.BytesIO(data), path, name, 0, opts, fmt, chunk_bytes=len(data) + 1)
    fixed = {k: kind_from_name(v) for k, v in types.items()}
    plan = ColumnPlan(names, fixed, {k: "config" for k in fixed})
    cells = read_cells(chunk, data, plan, opts, fmt)
    checked, converted = _check(cells, plan)
    quarantined = _locate(cells.problems + checked, cells, chunk, data, opts, fmt)
    keep = _kept(cells, checked)
    plan.kinds = {k: Kind(v) for k, v in _infer(cells, plan, keep).items()}
    if fmt == "jsonl":
        plan.names = sorted(plan.kinds)
    frame = {}
    for name in plan.names:
        typed = _typed_lists(cells, name, plan.kind(name), converted, cells.num_rows).filter(pa.array(keep))
        column = [None if not v else (v[0] if len(v) == 1 else v) for v in typed.to_pylist()]
        scalar = all(not isinstance(c, list) for c in column)
        frame[name] = pd.array(column, "Int64") if scalar and plan.kind(name) == Kind.INT else column
    rows = pd.DataFrame(frame, columns=plan.names)
    rows.attrs["kinds"] = {n: KIND_NAMES[plan.kind(n)] for n in plan.names}
    rows.attrs["line"] = chunk.first_line
    quarantine = pd.DataFrame([q.to_dict() for q in quarantined], columns=["file", "record", "field", "reason",
                                                                            "message"])
    return rows, quarantine


def peek_columns(paths, opts: ReadOptions, fmt: str, jsonl_bytes: int = 8 << 20) -> list[str]:
    """The columns of local input files, before a run: the first CSV file's header, or
    the keys (flattened per ``nested``) in the first ``jsonl_bytes`` of every JSON-lines file."""
    if fmt == "csv":
        with open(paths[0], "rb") as f:
            return chunking.csv_header(f, opts, str(paths[0]))
    names: set = set()
    lenient = opts.model_copy(update={"on_invalid": "quarantine"})
    for path in paths:
        with open(path, "rb") as f:
            data = f.read(jsonl_bytes)
        if len(data) == jsonl_bytes:
            data = data[: data.rfind(b"\n") + 1]
        names |= set(jsonl_cells(data, lenient).columns)
    return sorted(names)
