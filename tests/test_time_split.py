"""Splits by time at ingestion (the Arrow ExampleGen's ``time_split`` rule), at the level
of ``reader.write_chunk``: Beijing PM2.5 with train = 2010-2012, eval = 2013, test = 2014
from the date parts, so TFDV's statistics of the train split (what SchemaGen and
Transform's analyzers see) equal pandas' on 2010-2012 only; a timestamp column;
config errors."""
import io

import numpy as np
import pandas as pd
import pytest

from datalife.common.codec import to_dataframe
from datalife.common.tfrecords import iter_tfrecords
from datalife.components.arrow_example_gen import chunks as chunking
from datalife.components.arrow_example_gen.reader import ColumnPlan, write_chunk
from datalife.components.arrow_example_gen.spec import ReadOptions, TimeSplitConfig

BEIJING_SPLITS = [{"name": "train", "until": "2012-12-31"}, {"name": "eval", "until": "2013-12-31"},
                  {"name": "test"}]


def _split(data: bytes, cfg: TimeSplitConfig, tmp_path):
    opts = ReadOptions()
    names = chunking.csv_header(io.BytesIO(data), opts, "f.csv")
    [chunk], _ = chunking.plan_chunks(io.BytesIO(data), "f.csv", "f.csv", 0, opts, "csv", chunk_bytes=len(data) + 1)
    files = {}

    def open_shard(split):
        files[split] = open(tmp_path / f"{split}.gz", "wb")
        return files[split]

    result = write_chunk(chunk, data, ColumnPlan(names, {}, {}), opts, "csv", cfg.rule(), open_shard)
    frames = {s: to_dataframe(list(iter_tfrecords(str(tmp_path / f"{s}.gz")))) for s in files}
    return result, frames


def test_beijing_train_statistics_cover_2010_to_2012_only(tmp_path):
    from conftest import shared_dataset

    from datalife.components.validation_gate.drift import split_statistics

    path = shared_dataset("beijing_pm25") / "PRSA_data_2010.1.1-2014.12.31.csv"
    cfg = TimeSplitConfig(parts={"year": "year", "month": "month", "day": "day", "hour": "hour"},
                          splits=BEIJING_SPLITS)
    result, frames = _split(path.read_bytes(), cfg, tmp_path)
    truth = pd.read_csv(path)
    assert {s: sorted(set(f.year)) for s, f in frames.items()} == {
        "train": [2010, 2011, 2012], "eval": [2013], "test": [2014]}
    assert {s: len(f) for s, f in frames.items()} == {
        "train": int((truth.year <= 2012).sum()), "eval": int((truth.year == 2013).sum()),
        "test": int((truth.year == 2014).sum())}
    assert result.counts["rows_in"] == len(truth) and result.counts["rows_quarantined"] == 0
    stats = split_statistics(list(iter_tfrecords(str(tmp_path / "train.gz"))))
    train_years = truth[truth.year <= 2012]
    by_name = {f.path.step[0]: f for f in stats.datasets[0].features}
    for column in ("pm2.5", "TEMP", "DEWP"):
        s = by_name[column].num_stats
        present = train_years[column].dropna()
        assert s.mean == pytest.approx(present.mean(), rel=1e-5)
        assert s.std_dev == pytest.approx(present.std(ddof=0), rel=1e-4)
        assert s.common_stats.tot_num_values == len(present)  # a missing cell is an empty list, no value
        assert s.mean != pytest.approx(truth[column].dropna().mean(), rel=1e-3)  # not the all-years value
    # the run report's missing count: a missing cell is an empty list, which TFDV counts as present
    from datalife.pipeline.report import present_missing

    pm = by_name["pm2.5"].num_stats.common_stats
    missing = int(train_years["pm2.5"].isna().sum())
    assert missing > 1000 and pm.num_missing == 0  # TFDV's own count
    assert present_missing(pm) == (len(train_years) - missing, missing)
    assert present_missing(by_name["TEMP"].num_stats.common_stats) == (len(train_years), 0)


def test_a_timestamp_column_and_rows_without_a_time(tmp_path):
    data = (b"ts,v\n2020-01-01,1\n2020-01-31 23:59,2\n2020-02-01,3\nnot a date,4\n,5\n2020-03-05T10:00,6\n"
            b"2020-04-01,7\n")
    cfg = TimeSplitConfig(column="ts", splits=[{"name": "jan", "until": "2020-01-31"},
                                               {"name": "feb_mar", "until": "2020-03-31"}])
    result, frames = _split(data, cfg, tmp_path)
    assert list(frames["jan"].v) == [1, 2] and list(frames["feb_mar"].v) == [3, 6]
    assert [(q.record, q.reason) for q in result.quarantined] == [(5, "no_split"), (6, "no_split"), (8, "no_split")]
    assert result.counts["rows_in"] == result.counts["rows_out"] + result.counts["rows_quarantined"] == 7


def test_epoch_seconds_are_a_time_too(tmp_path):
    t0 = int(pd.Timestamp("2021-06-30T23:59:59").timestamp())
    data = f"t,v\n{t0},1\n{t0 + 1},2\n".encode()
    cfg = TimeSplitConfig(column="t", splits=[{"name": "h1", "until": "2021-06-30"}, {"name": "h2"}])
    _, frames = _split(data, cfg, tmp_path)
    assert list(frames["h1"].v) == [1] and list(frames["h2"].v) == [2]


@pytest.mark.parametrize("bad, message", [
    ({"splits": BEIJING_SPLITS}, "give the timestamp 'column' or the date 'parts'"),
    ({"column": "t", "splits": [{"name": "a", "until": "2020-01-01"}]}, "two or more distinct split names"),
    ({"column": "t", "splits": [{"name": "a"}, {"name": "b"}]}, "only the last may leave it out"),
    ({"column": "t", "splits": [{"name": "a", "until": "2020-13-01"}, {"name": "b"}]}, "is not a date YYYY-MM-DD"),
    ({"column": "t", "splits": [{"name": "a", "until": "2021-01-01"}, {"name": "b", "until": "2020-01-01"}]},
     "must increase"),
    ({"parts": {"month": "m"}, "splits": BEIJING_SPLITS}, "needs at least 'year'"),
])
def test_bad_time_split_configs_are_named(bad, message):
    with pytest.raises(ValueError, match=message):
        TimeSplitConfig(**bad)


def test_pipeline_config_takes_time_split_and_refuses_it_with_input_splits():
    from datalife.pipeline.config import ConfigError, parse_config

    text = ("name: t\ncomponents:\n  example_gen:\n    input: data\n    time_split:\n      column: ts\n"
            "      splits: [{name: train, until: '2012-12-31'}, {name: eval}]\n")
    cfg = parse_config(text)
    assert cfg.components.example_gen.arrow_config().time_split.names == ["train", "eval"]
    with pytest.raises(ConfigError, match="'time_split' is a rule of the Arrow ExampleGen"):
        parse_config(text + "    input_splits: {train: a.csv, eval: b.csv}\n")
    assert np.array_equal(cfg.components.example_gen.time_split.rule().names, ("train", "eval"))
