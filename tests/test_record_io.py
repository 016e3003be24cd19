"""Worker-side record I/O without TensorFlow, checked against TensorFlow itself:
TFRecord reading (plain and gzip, sharded, corruption detected), column decoding,
and features appended to serialized Examples."""
import numpy as np
import pytest
import tensorflow as tf

from datalife.components.record_io import Columns, CorruptRecord, encode_example, example_key, iter_tfrecords


def _example(i):
    f = {"i": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
         "text": tf.train.Feature(bytes_list=tf.train.BytesList(value=[f"row {i} \u00e9".encode()])),
         "x": tf.train.Feature(float_list=tf.train.FloatList(value=[i / 2, -1.5]))}
    if i % 3 == 0:
        f["label"] = tf.train.Feature(int64_list=tf.train.Int64List(value=[i % 2]))
    return tf.train.Example(features=tf.train.Features(feature=f)).SerializeToString()


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
    assert cols.raw_column("label") == [("int", [0]), None, None, ("int", [1])]
    assert cols.raw_column("text")[0] == ("bytes", ["row 0 \u00e9".encode()])
    assert cols.raw_column("x")[1] == ("float", [0.5, -1.5]) and cols.raw_column("nope") == [None] * 4


def test_appended_features_merge_into_the_example():
    raw = _example(3)
    extra = encode_example({"label": ("int", [-7]), "probs": ("float", [0.25, 0.75]),
                            "label_original": ("int", [1]), "tag": ("bytes", [b"a", "b"])})
    ex = tf.train.Example.FromString(raw + extra).features.feature
    assert list(ex["label"].int64_list.value) == [-7]  # replaced
    np.testing.assert_array_equal(ex["probs"].float_list.value, [0.25, 0.75])
    assert list(ex["label_original"].int64_list.value) == [1]
    assert list(ex["tag"].bytes_list.value) == [b"a", b"b"]
    assert list(ex["x"].float_list.value) == [1.5, -1.5] and list(ex["i"].int64_list.value) == [3]


def test_example_key_is_stable_and_names_the_id():
    assert example_key(b"abc", "c1") == "c1|" + __import__("hashlib").sha256(b"abc").hexdigest()[:16]
    assert example_key(b"abc") == example_key(b"abc") != example_key(b"abd")


def test_content_keys_ignore_the_order_features_were_serialized_in():
    from datalife.components.record_io import content_keys

    feats = {"label": ("bytes", [b"yes"]), "log_mel": ("float", [0.5, -1.25]), "label_id": ("int", [3])}
    forward = encode_example(feats)
    backward = encode_example(dict(reversed(list(feats.items()))))
    assert forward != backward  # the same example, two byte strings (as Transform writes them)
    other = encode_example({**feats, "log_mel": ("float", [0.5, -1.0])})
    # a feature replaced by appending an encoded Example counts with its new value
    replaced = forward + encode_example({"log_mel": ("float", [0.5, -1.0])})
    k = content_keys(Columns([forward, backward, other, replaced]))
    assert k[0] == k[1] and k[2] == k[3] and k[0] != k[2]
    assert k[0] == __import__("hashlib").sha256(encode_example(dict(sorted(feats.items())))).hexdigest()
