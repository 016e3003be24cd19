"""Where a CSV or JSON-lines file can be cut into chunks that are read in parallel, and
which line each record starts on.

A CSV file is cut only between records. With RFC 4180 quoting a line break ends a
record exactly when an even number of quote characters precede it, so one pass of
NumPy over the bytes finds every record end, counts records and lines, and checks the
rule's premise: each quote that opens a quoted field follows a delimiter, a line break,
another quote (``""`` inside a field) or the start of the file, and each quote that
closes one precedes a delimiter, a line break, another quote or the end. A file where
that premise fails (a quote inside an unquoted field, text after a closing quote), a
file read with an ``escape_char`` or ``double_quote: false``, and a compressed file are
read whole, as one chunk. JSON lines cannot hold a raw line break inside a value, so
they are cut at any line break.

Pure: bytes in, offsets out (no Beam, no TFX). Line breaks are ``\\n``, ``\\r\\n`` or a lone
``\\r``, as Arrow's and Python's CSV readers count them; blank lines are not records.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from typing import BinaryIO, Optional

import numpy as np

from datalife.components.arrow_example_gen.spec import ReadOptions

__all__ = ["Chunk", "FileScan", "scan_csv", "scan_jsonl", "plan_chunks", "csv_header", "record_lines",
           "UnbalancedQuote"]

BOM = b"\xef\xbb\xbf"
CR, LF = 13, 10
BLOCK = 16 << 20


class UnbalancedQuote(ValueError):
    """A quoted field that is never closed: the records after it cannot be delimited."""


@dataclass(frozen=True)
class Chunk:
    """A byte range of one input file, read by one worker.

    ``first_line`` is the 1-based line its first byte is on; ``has_header`` is true for
    the range that starts the file (the header is its first record); ``records`` is the
    number of data records the scan counted (None when the file is read whole without a
    scan); ``end`` = -1 reads to the end of the file. ``split`` is the output split when
    the input split fixes it (``input_splits``), else None (assigned per row).
    """

    path: str
    name: str
    file_index: int
    index: int
    start: int
    end: int
    first_line: int
    has_header: bool
    records: Optional[int]
    split: Optional[str] = None
    compressed: bool = False
    rfc: bool = True  # the file passed the quote rule (record lines by NumPy, else by Python's csv)

    def with_split(self, split: Optional[str]) -> "Chunk":
        return replace(self, split=split)


@dataclass(frozen=True)
class FileScan:
    size: int
    splittable: bool
    why_whole: str  # why the file is read as one chunk ("" when it is cut)
    ranges: tuple  # (start, end, first_line, records, has_header) per chunk
    records: Optional[int]


def _quote_rule_ok(block: np.ndarray, q: np.ndarray, parity0: int, prev: int, nxt: int, delim: int,
                   quote: int, at_bof: int) -> bool:
    """RFC 4180 premise for the quotes at positions ``q`` of ``block``."""
    if not len(q):
        return True
    before = np.empty(len(q), np.int16)
    before[q > 0] = block[q[q > 0] - 1]
    before[q == 0] = prev
    after = np.empty(len(q), np.int16)
    inside = q < len(block) - 1
    after[inside] = block[q[inside] + 1]
    after[~inside] = nxt
    opening = ((parity0 + np.arange(len(q))) & 1) == 0
    ok_before = np.isin(before, (delim, LF, CR, quote, -1)) | (q == at_bof)
    ok_after = np.isin(after, (delim, LF, CR, quote, -1))
    return bool(np.all(np.where(opening, ok_before, ok_after)))


def scan_csv(stream: BinaryIO, opts: ReadOptions, chunk_bytes: Optional[int] = None) -> FileScan:
    """Cut a CSV file (an uncompressed, seekable byte stream) into chunks of about
    ``chunk_bytes``, each ending after a record; count its records and lines."""
    chunk_bytes = chunk_bytes or opts.chunk_bytes
    quoting = opts.quote_char is not None
    if quoting and (opts.escape_char is not None or not opts.double_quote):
        why = "escape_char is set" if opts.escape_char is not None else "double_quote is false"
        return _whole(stream, why)
    quote = ord(opts.quote_char) if quoting else -2
    delim = ord(opts.delimiter)
    head = stream.read(3)
    bom = 3 if head == BOM else 0
    stream.seek(0)

    ranges, offset, quotes, lines = [], 0, 0, 0
    last_term = bom - 1  # the previous record end (a virtual one before the first byte)
    records, chunk_start, chunk_line, chunk_records, header_done = 0, 0, 1, 0, False
    last_open_line = 0
    prev_byte = -1
    block = np.frombuffer(stream.read(BLOCK), np.uint8)
    while len(block):
        nxt_raw = stream.read(BLOCK)
        nxt_block = np.frombuffer(nxt_raw, np.uint8)
        nxt = int(nxt_block[0]) if len(nxt_block) else -1
        n = len(block)
        q = np.flatnonzero(block == quote) if quoting else np.empty(0, np.int64)
        if quoting and not _quote_rule_ok(block, q, quotes, prev_byte, nxt, delim, quote, bom - offset):
            stream.seek(0)
            return _whole(stream, "a quote character is not RFC 4180 field quoting (e.g. inside an unquoted "
                                  "field or followed by text)")
        lf = np.flatnonzero(block == LF)
        cr = np.flatnonzero(block == CR)
        if len(cr):
            follow = np.where(cr < n - 1, block[np.minimum(cr + 1, n - 1)], nxt)
            lone_cr = cr[follow != LF]
        else:
            lone_cr = cr
        breaks = np.sort(np.concatenate([lf, lone_cr]))  # one per line
        ends = np.sort(np.concatenate([lf, cr]))  # every byte that can end a record
        if quoting:
            even = ((quotes + np.searchsorted(q, ends)) & 1) == 0
            ends = ends[even]
            opening = q[((quotes + np.arange(len(q))) & 1) == 0]
            if len(opening):
                last_open_line = lines + int(np.searchsorted(breaks, opening[-1])) + 1
        glob_ends = ends + offset
        prev_ends = np.concatenate([[last_term], glob_ends[:-1]])
        nonempty = (glob_ends - prev_ends) > 1
        cum = np.cumsum(nonempty)  # records ended so far in this block (header included)
        # cut after a LF record end once the chunk has chunk_bytes
        lf_ends = np.isin(ends, lf)
        i0 = 0
        while True:
            if not header_done:
                first = np.flatnonzero(nonempty[i0:])
                if not len(first):
                    break
                header_done = True
                i0 += int(first[0]) + 1
                records_before = int(cum[i0 - 1])
                chunk_records = -records_before  # the header is not a data record
                continue
            target = chunk_start + chunk_bytes - 1
            j = int(np.searchsorted(glob_ends, target))
            cand = np.flatnonzero(lf_ends[j:])
            if not len(cand):
                break
            k = j + int(cand[0])
            end = int(glob_ends[k]) + 1
            n_rec = chunk_records + int(cum[k])
            ranges.append((chunk_start, end, chunk_line, n_rec, chunk_start == 0))
            chunk_start, chunk_records = end, -int(cum[k])
            chunk_line = lines + int(np.searchsorted(breaks, end - offset)) + 1
        chunk_records += int(cum[-1]) if len(cum) else 0
        records += int(cum[-1]) if len(cum) else 0
        if len(glob_ends):
            last_term = int(glob_ends[-1])
        quotes += len(q)
        lines += len(breaks)
        prev_byte = int(block[-1])
        offset += n
        block = nxt_block
    size = offset
    if quoting and quotes % 2:
        raise UnbalancedQuote(f"line {last_open_line}: a quoted field opened on this line is never closed "
                              f"(the quote count of the file is odd)")
    if size - 1 - last_term > 0:  # a last record without a line break
        records += 1
        chunk_records += 1
    if not header_done and records:
        header_done = True
        chunk_records -= 1
    data_records = max(records - 1, 0)
    if chunk_start < size or not ranges:
        ranges.append((chunk_start, -1, chunk_line, max(chunk_records, 0), chunk_start == 0))
    return FileScan(size=size, splittable=True, why_whole="", ranges=tuple(ranges), records=data_records)


def _whole(stream: BinaryIO, why: str) -> FileScan:
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    return FileScan(size=size, splittable=False, why_whole=why, ranges=((0, -1, 1, None, True),), records=None)


def scan_jsonl(stream: BinaryIO, chunk_bytes: int) -> FileScan:
    """Cut a JSON-lines file after a line break once a chunk has ``chunk_bytes``."""
    ranges, offset, lines, chunk_start, chunk_line = [], 0, 0, 0, 1
    block = np.frombuffer(stream.read(BLOCK), np.uint8)
    while len(block):
        lf = np.flatnonzero(block == LF) + offset
        i = 0
        while True:
            j = int(np.searchsorted(lf[i:], chunk_start + chunk_bytes - 1)) + i
            if j >= len(lf):
                break
            end = int(lf[j]) + 1
            ranges.append((chunk_start, end, chunk_line, None, False))
            chunk_line = lines + j + 2
            chunk_start, i = end, j + 1
        lines += len(lf)
        offset += len(block)
        block = np.frombuffer(stream.read(BLOCK), np.uint8)
    if chunk_start < offset or not ranges:
        ranges.append((chunk_start, -1, chunk_line, None, False))
    return FileScan(size=offset, splittable=True, why_whole="", ranges=tuple(ranges), records=None)


def plan_chunks(stream: Optional[BinaryIO], path: str, name: str, file_index: int, opts: ReadOptions, fmt: str,
                split: Optional[str] = None, chunk_bytes: Optional[int] = None) -> tuple[list[Chunk], FileScan]:
    """The chunks of one file. ``stream``: the file's bytes, seekable; None for a
    compressed file, which is read whole through a decompressing stream."""
    if stream is None:
        scan = FileScan(size=-1, splittable=False, why_whole="the file is compressed", ranges=((0, -1, 1, None, True),),
                        records=None)
    elif fmt == "jsonl":
        scan = scan_jsonl(stream, chunk_bytes or opts.chunk_bytes)
    else:
        scan = scan_csv(stream, opts, chunk_bytes)
    has_header = fmt == "csv"
    out = [Chunk(path=path, name=name, file_index=file_index, index=i, start=start, end=end, first_line=line,
                 has_header=has_header and head, records=records, split=split, compressed=stream is None,
                 rfc=scan.splittable)
           for i, (start, end, line, records, head) in enumerate(scan.ranges)]
    return out, scan


def _dialect(opts: ReadOptions) -> dict:
    if opts.quote_char is None:
        return {"delimiter": opts.delimiter, "quoting": csv.QUOTE_NONE, "escapechar": opts.escape_char}
    return {"delimiter": opts.delimiter, "quotechar": opts.quote_char, "doublequote": opts.double_quote,
            "escapechar": opts.escape_char}


def csv_header(stream: BinaryIO, opts: ReadOptions, name: str) -> list[str]:
    """The column names: the file's first record (a UTF-8 BOM is dropped)."""
    raw = stream.read(1 << 20)
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    for row in csv.reader(io.StringIO(text, newline=""), **_dialect(opts)):
        if not row:
            continue
        bad = [c for c in row if c != c.encode("utf-8", "surrogateescape").decode("utf-8", "replace")]
        if bad:
            raise ValueError(f"{name}: the header is not valid UTF-8: {bad[0].encode('utf-8', 'surrogateescape')!r}")
        if any(not c for c in row):
            raise ValueError(f"{name}: column {row.index('') + 1} of the header has no name")
        dupes = sorted({c for c in row if row.count(c) > 1})
        if dupes:
            raise ValueError(f"{name}: the header names {dupes} more than once")
        return row
    raise ValueError(f"{name}: the file is empty (a CSV file needs a header line)")


def record_lines(data: bytes, opts: ReadOptions, first_line: int, rfc: bool) -> np.ndarray:
    """The 1-based line each record of ``data`` (a chunk) starts on, header included.
    ``rfc``: the chunk's file passed the quote rule (NumPy); else Python's csv module."""
    if not rfc:
        return _record_lines_csv(data, opts, first_line)
    buf = np.frombuffer(data, np.uint8)
    n = len(buf)
    lf, cr = np.flatnonzero(buf == LF), np.flatnonzero(buf == CR)
    lone_cr = cr[np.where(cr < n - 1, buf[np.minimum(cr + 1, max(n - 1, 0))], -1) != LF] if len(cr) else cr
    breaks = np.sort(np.concatenate([lf, lone_cr]))
    ends = np.sort(np.concatenate([lf, cr]))
    if opts.quote_char is not None:
        q = np.flatnonzero(buf == ord(opts.quote_char))
        ends = ends[(np.searchsorted(q, ends) & 1) == 0]
    start = 3 if data[:3] == BOM else 0
    bounds = np.concatenate([[start - 1], ends, [n]])
    starts = bounds[:-1] + 1
    nonempty = (bounds[1:] - bounds[:-1]) > 1
    starts = starts[nonempty]
    return first_line + np.searchsorted(breaks, starts)


def _record_lines_csv(data: bytes, opts: ReadOptions, first_line: int) -> np.ndarray:
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), **_dialect(opts))
    starts, consumed = [], 0
    for row in reader:  # a blank line comes as [] (not a record) and is consumed too
        if row:
            starts.append(consumed)
        consumed = reader.line_num
    return first_line + np.array(starts, np.int64)
