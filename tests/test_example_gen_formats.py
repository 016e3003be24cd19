"""ExampleGen's TFRecord and Parquet inputs (config option ``format``): the same 200
rows written in each format come out as the same examples, and feature names are
checked against each format's columns before the run."""
import pandas as pd
import pytest

from datalife.pipeline.config import ConfigError, load_config
from datalife.pipeline.examples_io import read_examples
from pipeline_helpers import run_config
from test_pipeline_e2e import CSV

pytestmark = pytest.mark.e2e

CONFIG = """\
name: fmt-{fmt}
components:
  example_gen: {{format: {fmt}, input: data}}
  transform:
    features:
      {feature}: {{scale: zscore}}
"""


def _write(df: pd.DataFrame, fmt: str, folder):
    folder.mkdir()
    if fmt == "parquet":
        df.to_parquet(folder / "rows.parquet")
        return
    import tensorflow as tf

    with tf.io.TFRecordWriter(str(folder / "rows.tfrecord")) as writer:
        for row in df.itertuples(index=False):
            feats = {
                "age": tf.train.Feature(int64_list=tf.train.Int64List(value=[row.age])),
                "segment": tf.train.Feature(bytes_list=tf.train.BytesList(value=[row.segment.encode()])),
            }
            writer.write(tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString())


@pytest.mark.parametrize("fmt", ["parquet", "tfrecord"])
def test_format_round_trip(tmp_path, fmt):
    df = pd.read_csv(CSV)[["age", "segment"]].head(200)
    df.loc[:9, "age"] = 0  # zeros must stay zeros (TFX's own parquet executor drops them)
    _write(df, fmt, tmp_path / "data")
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONFIG.format(fmt=fmt, feature="agee"))
    with pytest.raises(ConfigError, match=r"unknown feature 'agee'; the input has: .*age"):
        load_config(bad)
    good = tmp_path / "good.yaml"
    good.write_text(CONFIG.format(fmt=fmt, feature="age"))
    _, result = run_config(good, tmp_path / "runs")
    gen = [e for e in result.executions if "examples" in e.outputs and e.component.endswith("ExampleGen")][0]
    rows = read_examples(gen.outputs["examples"][0], "train") + read_examples(gen.outputs["examples"][0], "eval")
    assert sorted(r["age"][0] for r in rows) == sorted(df["age"])
    assert sorted(r["segment"][0].decode() for r in rows) == sorted(df["segment"])
    assert result.states["Transform"] == "complete"


def test_parquet_row_conversion_keeps_zeros_and_drops_only_missing():
    import numpy as np
    import tensorflow as tf

    from datalife.components.parquet_example_gen.beam_glue import row_to_example

    ex = tf.train.Example.FromString(row_to_example({"i": np.int64(0), "f": 0.0, "b": False, "s": "", "n": None,
                                                     "nan": float("nan"), "l": np.array([1, 0]), "u": "\u00e9"}))
    f = ex.features.feature
    assert list(f["i"].int64_list.value) == [0] and list(f["f"].float_list.value) == [0.0]
    assert list(f["b"].int64_list.value) == [0] and list(f["s"].bytes_list.value) == [b""]
    assert f["n"].WhichOneof("kind") is None and f["nan"].WhichOneof("kind") is None  # present, no values
    assert list(f["l"].int64_list.value) == [1, 0] and list(f["u"].bytes_list.value) == ["\u00e9".encode()]
    with pytest.raises(TypeError, match="Parquet column 'd': values of type dict are not supported"):
        row_to_example({"d": {"a": 1}})
