"""The Example codec and TFRecord files without TensorFlow, checked against TensorFlow
itself: TFRecord reading (plain and gzip, sharded, corruption detected), column and
DataFrame decoding, encoding (canonical bytes, equal to TensorFlow's parse), features
added to serialized Examples, and bytes that depend on the row alone."""
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from datalife.common.codec import (Columns, add_features, encode_columns, encode_example, encode_rows, example_key,
                                   to_dataframe)
from datalife.common.tfrecords import CorruptRecord, iter_tfrecords, write_tfrecords


def _example(i):
    f = {"i": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
         "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[f"row {i} \u00e9".encode()])),
         "x": tf.train.Feature(float_list=tf.train.FloatList(value=[i / 2, -1.5]))}
    if i % 3 == 0:
        f["label"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 2]))
    return tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString()


def _parsed(raw):
    return {k: list(getattr(v, v.WhichOneof("kind")).value) if v.WhichOneof("kind") else None
            for k, v in tf.train.Example.FromString(raw).features.feature.items()}


@pytest.mark.parametrize("suffix,options", [(".tfrecord", None), (".gz", "GZIP")])
def test_reads_what_tensorflow_wrote_in_shards(tmp_path, suffix, options):
    path = str(tmp_path / f"r{suffix}")
    records = [_example(i) for i in range(23)]
    with tf.io.TFRecordWriter(path, options=options) as w:
        for r in records:
            w.write(r)
    assert list(iter_tfrecords(path)) == records
    shards = [list(iter_tfrecords(path, s, 4)) for s in range(4)]
    assert sorted(sum(shards, [])) == sorted(records) and shards[1] == records[1::4]


@pytest.mark.parametrize("suffix,compression", [(".tfrecord", ""), (".gz", "GZIP")])
def test_tensorflow_reads_what_we_wrote(tmp_path, suffix, compression):
    path = str(tmp_path / f"w{suffix}")
    records = [_example(i) for i in range(7)]
    assert write_tfrecords(path, records) == 7
    assert [r.numpy() for r in tf.data.TFRecordDataset(path, compression_type=compression)] == records


def test_corruption_is_detected_with_the_record_number(tmp_path):
    path = tmp_path / "r.tfrecord"
    with tf.io.TFRecordWriter(str(path)) as w:
        for i in range(3):
            w.write(_example(i))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptRecord, match=r"r.tfrecord: bad .*checksum.* at record 1"):
        list(iter_tfrecords(str(path)))
    path.write_bytes(bytes(data[:30]))
    with pytest.raises(CorruptRecord, match="truncated"):
        list(iter_tfrecords(str(path)))


def test_columns_decode_like_tensorflow():
    raws = [_example(i) for i in range(4)]
    cols = Columns(raws)
    assert cols["i"] == [0, 1, 2, 3] and cols["text"][1] == "row 1 \u00e9"
    assert cols["x"][2] == [1.0, -1.5] and cols["label"] == [0, None, None, 1]
    assert cols.values("label") == [[0], None, None, [1]] and cols.kind("label") == "int"
    assert cols.values("text")[0] == ["row 0 \u00e9".encode()] and cols.kind("text") == "bytes"
    assert cols.values("x")[1] == [0.5, -1.5] and cols.kind("x") == "float"
    assert cols.values("nope") == [None] * 4 and cols.kind("nope") is None
    with pytest.raises(KeyError):
        cols["nope"]


def test_dataframe_holds_the_plain_values():
    raws = [_example(i) for i in range(4)] + [encode_example({"i": 9, "image": b"\xff\xd8\xff"})]
    df = to_dataframe(raws)
    assert list(df.columns) == ["i", "image", "label", "text", "x"]
    assert df["i"].tolist() == [0, 1, 2, 3, 9] and str(df["i"].dtype) == "Int64"
    assert df["label"].isna().tolist() == [False, True, True, False, True] and df["label"][3] == 1
    assert df["text"][2] == "row 2 \u00e9" and df["x"][1] == [0.5, -1.5]
    assert df["image"][4] == b"\xff\xd8\xff"  # bytes that are not UTF-8 text stay bytes


def test_encoding_is_what_tensorflow_parses_in_a_canonical_form():
    rows = [{"i": 3, "neg": -2**40, "t": "\u00e9", "b": b"\x00\xff", "x": [0.5, -1.5], "arr": np.arange(3),
             "flag": True, "empty": []},
            {"i": 4, "x": np.array([1.25], np.float64), "t": ["a", "bc"]}]
    raws = encode_rows(rows, kinds={"empty": "float"})
    assert _parsed(raws[0]) == {"i": [3], "neg": [-2**40], "t": ["\u00e9".encode()], "b": [b"\x00\xff"],
                                "x": [0.5, -1.5], "arr": [0, 1, 2], "flag": [1], "empty": []}
    assert _parsed(raws[1]) == {"i": [4], "x": [1.25], "t": [b"a", b"bc"]}
    reordered = encode_rows([dict(reversed(list(rows[0].items())))], kinds={"empty": "float"})
    assert reordered[0] == raws[0]  # canonical: the features' order in the input does not matter
    assert encode_example({}) == b""
    with pytest.raises(ValueError, match="feature 'z': every value is empty, so its kind cannot be inferred"):
        encode_example({"z": []})
    with pytest.raises(ValueError, match=r"2 rows, but features \{'b': 1\} have other lengths"):
        encode_columns({"a": [1, 2], "b": [1]})


def test_bytes_depend_on_the_row_alone_not_the_batch_or_the_process():
    rows = [{"a": i, "b": f"t{i}", "c": [0.5] * (i % 3), "d": i if i % 2 else None} for i in range(20)]
    kinds = {"c": "float"}
    whole = encode_rows(rows, kinds)
    assert whole == [encode_example({k: v for k, v in r.items() if v is not None}, kinds) for r in rows]
    assert whole[5:9] == encode_rows(rows[5:9], kinds)
    code = ("from datalife.common.codec import encode_rows; import hashlib, sys; "
            "rows = [{'zeta': i, 'alpha': 'x', 'mid': [1.5, 2.5], 'b': b'q'} for i in range(50)]; "
            "sys.stdout.write(hashlib.sha256(b''.join(encode_rows(rows))).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
               for _ in range(2)}
    assert len(digests) == 1  # tfx_bsl orders a map by hash, differently per process; ours does not


def test_added_features_merge_into_the_example():
    raws = [_example(3), _example(4)]
    out = add_features(raws, {"label": [-7, None], "probs": [[0.25, 0.75], [1.0, 0.0]],
                              "tag": [[b"a", "b"], None]})
    ex = _parsed(out[0])
    assert ex["label"] == [-7]  # replaced
    assert ex["probs"] == [0.25, 0.75] and ex["tag"] == [b"a", b"b"]
    assert ex["x"] == [1.5, -1.5] and ex["i"] == [3]
    other = _parsed(out[1])
    assert "label" not in other and "tag" not in other and other["probs"] == [1.0, 0.0]
    assert out[1].startswith(raws[1])  # appended, the original bytes untouched


def test_example_key_is_stable_and_names_the_id():
    assert example_key(b"abc", "c1") == "c1|" + __import__("hashlib").sha256(b"abc").hexdigest()[:16]
    assert example_key(b"abc") == example_key(b"abc") != example_key(b"abd")


def test_content_keys_ignore_the_order_features_were_serialized_in():
    import hashlib

    from datalife.common.codec import canonical, content_keys, encode_typed

    feats = {"label": ("bytes", [b"yes"]), "log_mel": ("float", [0.5, -1.25]), "label_id": ("int", [3])}

    def in_order(items):  # one Example per feature, concatenated: protobuf merges them (as appended features do)
        return b"".join(encode_typed({k: v}) for k, v in items)

    forward, backward = in_order(feats.items()), in_order(reversed(list(feats.items())))
    assert forward != backward  # the same example, two byte strings (as Transform writes them)
    other = encode_typed({**feats, "log_mel": ("float", [0.5, -1.0])})
    replaced = forward + encode_typed({"log_mel": ("float", [0.5, -1.0])})  # the appended value wins
    k = content_keys([forward, backward, other, replaced])
    assert k[0] == k[1] and k[2] == k[3] and k[0] != k[2]
    canon = encode_typed(dict(sorted(feats.items())))
    assert canonical([backward]) == [canon]
    assert k[0] == hashlib.sha256(canon).hexdigest()[:16]
