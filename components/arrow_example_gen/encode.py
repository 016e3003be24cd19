"""Typed Arrow columns -> serialized tf.train.Examples, byte for byte the deterministic
serialization TFX hashes to split rows.

tfx_bsl's C++ ``RecordBatchToExamplesEncoder`` builds the Examples, but its feature
order is the order of a C++ hash map (it differs from example to example). TFX's
ExampleGen assigns a row to a split by the SHA-256 of
``example.SerializeToString(deterministic=True)``, whose features are sorted by name.
So each column is encoded on its own (an Example with one feature is deterministic),
the outer message header is cut off, and the features are joined in name order under a
new header: the result is exactly the deterministic serialization, so rows land in the
same split as with TFX's CsvExampleGen. Cutting and joining are NumPy / Arrow kernels
over whole batches; nothing runs per row in Python.

A missing cell is an empty value list (``int64_list {}``), a column with no value at
all is an empty ``Feature()`` in every example: as TFX's CsvExampleGen writes them.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["encode_examples", "Encoded", "varints", "strip_header"]

_ENCODER = None


def _encoder():
    global _ENCODER
    if _ENCODER is None:
        from tfx_bsl.coders import example_coder

        _ENCODER = example_coder.RecordBatchToExamplesEncoder()
    return _ENCODER


_VARINT_EDGES = np.array([1 << (7 * k) for k in range(1, 10)], np.uint64)


def _varint_len(x: np.ndarray) -> np.ndarray:
    """Bytes of each non-negative integer's protobuf varint."""
    return np.searchsorted(_VARINT_EDGES, np.asarray(x, np.uint64), side="right").astype(np.int64) + 1


def varints(x: np.ndarray, prefix: bytes = b"") -> pa.BinaryArray:
    """``prefix`` + the protobuf varint of each non-negative integer, one binary value each."""
    x = np.asarray(x, np.uint64)
    lens = _varint_len(x)
    width = int(lens.max()) if len(x) else 1
    p = len(prefix)
    mat = np.empty((len(x), p + width), np.uint8)
    mat[:, :p] = np.frombuffer(prefix, np.uint8)
    v = x.copy()
    for k in range(width):
        mat[:, p + k] = (v & np.uint64(0x7F)).astype(np.uint8) | np.where(k < lens - 1, 0x80, 0).astype(np.uint8)
        v >>= np.uint64(7)
    data = mat[np.arange(p + width)[None, :] < (lens + p)[:, None]]
    offsets = np.zeros(len(x) + 1, np.int32)
    np.cumsum(lens + p, out=offsets[1:])
    return pa.Array.from_buffers(pa.binary(), len(x), [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _payload_len(total: np.ndarray) -> np.ndarray:
    """For length-delimited fields of ``total`` bytes (one tag byte, a varint length,
    the payload): the payload's length."""
    total = np.asarray(total, np.int64)
    out = total - 2  # one-byte length: payload < 128
    for v in range(2, 6):
        m = total - 1 - v
        fits = m >= (1 << (7 * (v - 1)))
        if not fits.any():
            break
        out = np.where(fits, m, out)
    return out


def strip_header(values, cut: np.ndarray | None = None):
    """Cut each value's leading length-delimited field header (tag + varint length), or
    its first ``cut`` bytes. ``values``: a list of bytes or a binary array. Returns the
    binary array of the rest and its lengths."""
    if isinstance(values, list) and cut is None:
        lens = np.fromiter(map(len, values), np.int64, len(values))
        if len(values) and 2 <= lens.min() and lens.max() <= 129:  # every header is "tag, one-byte length"
            return pc.binary_replace_slice(pa.array(values, pa.binary()), start=0, stop=2, replacement=b""), lens - 2
    if isinstance(values, list):
        lens = np.fromiter(map(len, values), np.int64, len(values))
        buf = np.frombuffer(b"".join(values), np.uint8)
        starts = np.zeros(len(values), np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
    else:
        offsets = np.frombuffer(values.buffers()[1], np.int32)[values.offset: values.offset + len(values) + 1]
        buf = np.frombuffer(values.buffers()[2], np.uint8)[offsets[0]: offsets[-1]]
        starts = (offsets[:-1] - offsets[0]).astype(np.int64)
        lens = np.diff(offsets).astype(np.int64)
    if cut is None:
        cut = lens - _payload_len(lens)
    mask = np.ones(len(buf), bool)
    for k in range(int(cut.max()) if len(cut) else 0):
        sel = cut > k
        mask[starts[sel] + k] = False
    new_lens = lens - cut
    offsets = np.zeros(len(lens) + 1, np.int32)
    np.cumsum(new_lens, out=offsets[1:])
    return (pa.Array.from_buffers(pa.binary(), len(lens), [None, pa.py_buffer(offsets), pa.py_buffer(buf[mask])]),
            new_lens)


class Encoded:
    """A batch of serialized Examples and, per column, its map entries (to get one
    feature's bytes for a key split without decoding)."""

    def __init__(self, records: pa.BinaryArray, entries: dict[str, tuple[pa.BinaryArray, np.ndarray]]):
        self.records = records
        self._entries = entries
        self._values = None

    def values(self) -> np.ndarray:
        """The records as an object array of ``bytes`` (made once)."""
        if self._values is None:
            self._values = self.records.to_numpy(zero_copy_only=False)
        return self._values

    def __len__(self) -> int:
        return len(self.records)

    def feature_bytes(self, name: str) -> pa.BinaryArray:
        """Each example's ``Feature`` message of ``name`` (deterministic bytes), what
        TFX hashes for ``partition_feature_name``."""
        entry, lens = self._entries[name]
        # entry = 0x0a len [0x0a klen key 0x12 flen <Feature>]
        body = _payload_len(lens)
        head = lens - body  # tag + varint of the map entry
        key = len(name.encode())
        key_field = 1 + int(_varint_len(np.array([key]))[0]) + key
        value_field = body - key_field
        cut = head + key_field + (value_field - _payload_len(value_field))
        return strip_header(entry, cut)[0]


def _encode_column(name: str, column: pa.Array) -> tuple[pa.BinaryArray, np.ndarray]:
    """Each row's map entry of one column (Features-level field, deterministic bytes)."""
    return strip_header(_encoder().encode(pa.RecordBatch.from_arrays([column], [name])))


def column_entries(name: str, column: pa.Array) -> tuple[pa.BinaryArray, np.ndarray]:
    """The map entries of a column. When rows hold at most one value and repeat a few
    distinct ones (a category, a label, an age), only the distinct values go through the
    encoder and the rows take their entries by index: the same bytes, a fraction of the work."""
    n = len(column)
    lengths = pc.list_value_length(column)
    if n < 16 or (pc.max(lengths).as_py() or 0) > 1:
        return _encode_column(name, column)
    flat = column.flatten()
    key = flat
    if pa.types.is_floating(flat.type):  # by bits: -0.0 and the NaNs stay apart
        key = pa.array(flat.to_numpy(zero_copy_only=False).view(np.int32 if flat.type == pa.float32() else np.int64))
    encoded = pc.dictionary_encode(key)
    distinct = len(encoded.dictionary)
    if 2 * distinct > n:
        return _encode_column(name, column)
    values = encoded.dictionary
    if pa.types.is_floating(flat.type):
        values = pa.array(values.to_numpy().view(np.float32 if flat.type == pa.float32() else np.float64))
    # the distinct one-value lists, then an empty list, then a null (an empty Feature())
    offsets = pa.array(np.concatenate([np.arange(distinct + 1), [distinct, distinct]]).astype(np.int64))
    lists = pa.LargeListArray.from_arrays(offsets, values.cast(flat.type),
                                          mask=pa.array([False] * (distinct + 1) + [True]))
    table, table_lens = _encode_column(name, lists)
    present = lengths.fill_null(0).to_numpy(zero_copy_only=False).astype(bool)
    row = np.full(n, distinct, np.int64)
    row[present] = encoded.indices.to_numpy(zero_copy_only=False)
    row[~column.is_valid().to_numpy(zero_copy_only=False)] = distinct + 1
    return table.take(pa.array(row)), table_lens[row]


def encode_examples(columns: dict[str, pa.Array]) -> Encoded:
    """Serialize rows of typed list columns (``large_list<int64|float|binary>``; a null
    entry is an empty ``Feature()``) as deterministic tf.train.Example bytes."""
    names = sorted(columns)
    n = len(columns[names[0]]) if names else 0
    parts, entries = [], {}
    total = np.zeros(n, np.int64)
    for name in names:
        entry, lens = column_entries(name, columns[name])  # without "0x0a len" of Example.features
        parts.append(entry)
        entries[name] = (entry, lens)
        total += lens
    header = varints(total, prefix=b"\n")  # field 1 (Example.features), length-delimited
    records = pc.binary_join_element_wise(header, *parts, b"")
    return Encoded(records, entries)
