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
