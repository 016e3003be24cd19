"""The TimeSeriesWindower in real pipelines: the forecasting demo (counts by hand,
windows against keras on the transformed rows), the Beijing PM2.5 data (split by time
at ingestion, Transform's z-scores from 2010-2012 only, pm2.5 `missing: keep`; 24 h
history, next 24 h of TEMP and pm2.5; train 2010-2012, eval 2013, test 2014; no window
with a missing target) and
BasicMotions activity segments (20 samples, step 10, majority label with purity)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from conftest import shared_dataset
from datalife.pipeline.examples_io import read_examples
from pipeline_helpers import run_config

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "pipeline" / "configs" / "forecasting.yaml"


def windows_of(result, split):
    return read_examples(result.output_uri("TimeSeriesWindower", "windows"), split)


def report_of(result):
    import json

    return json.loads(Path(result.output_uri("TimeSeriesWindower", "report"), "report.json").read_text())


def keras_inputs(x, history, stride=1):
    ds = tf.keras.utils.timeseries_dataset_from_array(x, None, sequence_length=history,
                                                      sequence_stride=stride, batch_size=100_000)
    return np.concatenate([b.numpy() for b in ds])


def test_forecasting_demo_counts_and_keras_oracle(tmp_path):
    cfg, result = run_config(DEMO, tmp_path)
    counts = report_of(result)["counts"]
    from datalife.pipeline import mlmd
    from datalife.pipeline.lineage import final_artifact, lineage_text

    store = mlmd.open_store(cfg.metadata_path)
    text = lineage_text(store, final_artifact(store))  # the windows
    assert f"param input_base = {REPO / 'data' / 'weather'}" in text
    assert '"window":{"history":24,"targets":24,"shift":24,"stride":1,"sampling_rate":1}' in text
    assert "- execution 6: Transform [complete]" in text
    # by hand: 2 stations x 1440 hours, beta misses 5 hours; span 48
    assert counts["rows_in"] == counts["rows_gridded"] == 2 * 1440 - 5
    assert counts["windows_candidate"] == 2 * (1440 - 48 + 1)
    assert counts["dropped_gap"] == 48 + 5 - 1  # beta's windows touching the 5-hour outage
    assert counts["dropped_split_boundary"] == 2 * 2 * 47  # 2 boundaries x 2 stations
    assert counts["windows_out"] == counts["windows_train"] + counts["windows_eval"] + counts["windows_test"]

    rows = pd.DataFrame([{k: v[0] for k, v in r.items()}
                         for split in ("train", "eval")
                         for r in read_examples(result.output_uri("Transform", "transformed_examples"), split)])
    rows["station"] = rows["station"].str.decode("utf-8")
    feats = ["temp", "pressure", "humidity", "wind_x", "wind_y", "day_sin", "day_cos"]
    alpha = rows[rows.station == "alpha"].sort_values("timestamp")  # order restored from the timestamp
    x = alpha[feats].to_numpy(np.float32)
    oracle_in = keras_inputs(x, 24)
    oracle_tgt = keras_inputs(alpha[["temp"]].to_numpy(np.float32)[24:], 24)
    t0 = alpha["timestamp"].iloc[0]
    seen = 0
    for split in ("train", "eval", "test"):
        for w in windows_of(result, split):
            if w["series"][0] != b"alpha":
                continue
            i = (w["start_time"][0] - t0) // 3600
            np.testing.assert_allclose(np.reshape(w["inputs"], (24, 7)), oracle_in[i], rtol=1e-6)
            np.testing.assert_allclose(np.reshape(w["targets"], (24, 1)), oracle_tgt[i], rtol=1e-6)
            assert len(w["stats_mean"]) == 7
            seen += 1
    assert seen == 1393 - 2 * 47


def _beijing_config(tmp_path, data):
    (tmp_path / "c.yaml").write_text(f"""\
name: beijing-windows
components:
  example_gen:
    input: {data}
    time_split:
      parts: {{year: year, month: month, day: day, hour: hour}}
      splits: [{{name: train, until: "2012-12-31"}}, {{name: eval, until: "2013-12-31"}}, {{name: test}}]
  example_validator: {{on_anomalies: warn}}
  transform:
    features:
      TEMP: {{scale: zscore}}
      pm2.5: {{missing: keep, scale: zscore}}
    passthrough: [DEWP, PRES, Iws, year, month, day, hour]
  time_series_windower:
    timestamp: {{parts: {{year: year, month: month, day: day, hour: hour}}}}
    step_seconds: 3600
    features: [TEMP, DEWP, PRES, Iws]
    targets: [TEMP, pm2.5]
    window: {{history: 24, targets: 24, shift: 24, stride: 1}}
    splits:
      - {{name: train, until: "2013-01-01T00:00:00"}}
      - {{name: eval, until: "2014-01-01T00:00:00"}}
      - {{name: test}}
""")
    return tmp_path / "c.yaml"


def test_beijing_windows_equal_keras_and_never_leak(tmp_path):
    data = shared_dataset("beijing_pm25")
    _, result = run_config(_beijing_config(tmp_path, data), tmp_path / "runs")
    counts = report_of(result)["counts"]
    csv = pd.read_csv(next(data.glob("*.csv")))
    n = len(csv)
    assert counts["rows_in"] == counts["rows_gridded"] == n == 43824
    # 3 blocks of 20,000 grid rows; the 47 rows after each block start also go to the block
    # before (its last windows reach them): 2 x 47 copies more than rows
    assert counts["row_copies_sent"] == counts["row_copies_grouped"] == n + 2 * 47
    assert counts["windows_candidate"] == n - 48 + 1 and counts["dropped_gap"] == 0
    # time split at ingestion: Transform's analyzers saw 2010-2012 only (pandas on those
    # years); pm2.5 is declared `missing: keep`, so its missing values stay missing (NaN)
    train = csv[csv.year <= 2012]
    z = csv.copy()
    for col in ("TEMP", "pm2.5"):
        present = train[col].dropna()
        z[col] = (csv[col] - present.mean()) / present.std(ddof=0)
    x = z[["TEMP", "DEWP", "PRES", "Iws"]].to_numpy(np.float32)
    y = z[["TEMP", "pm2.5"]].to_numpy(np.float32)
    transformed = read_examples(result.output_uri("Transform", "transformed_examples"), "train")
    assert sum(r["pm2.5_present"][0] == 0 for r in transformed) == int(train["pm2.5"].isna().sum())
    oracle_in, oracle_tgt = keras_inputs(x, 24), keras_inputs(y[24:], 24)
    k = n - 48 + 1
    has_nan = np.isnan(oracle_tgt[:k]).any(axis=(1, 2))
    times = pd.to_datetime(csv[["year", "month", "day", "hour"]])
    t_start, t_end = times.iloc[:k].to_numpy(), times.iloc[47:47 + k].to_numpy()
    b1, b2 = np.datetime64("2013-01-01T00:00"), np.datetime64("2014-01-01T00:00")
    same = ((t_start < b1) == (t_end < b1)) & ((t_start < b2) == (t_end < b2))
    assert counts["dropped_missing_value"] == 0  # every input complete
    assert counts["dropped_missing_target"] == int(has_nan.sum()) > 6000  # no window with an invented pm2.5
    assert counts["dropped_split_boundary"] == int((~has_nan & ~same).sum())
    epoch = (times - pd.Timestamp("1970-01-01")).dt.total_seconds().astype(np.int64).to_numpy()
    index_of = {t: i for i, t in enumerate(epoch)}
    limits = {"train": (None, b1), "eval": (b1, b2), "test": (b2, None)}
    for split, (lo, hi) in limits.items():
        ws = windows_of(result, split)
        assert len(ws) == counts[f"windows_{split}"]
        for w in ws[:: max(1, len(ws) // 300)]:  # a few hundred per split, element by element
            i = index_of[w["start_time"][0]]
            np.testing.assert_allclose(np.reshape(w["inputs"], (24, 4)), oracle_in[i], rtol=1e-4, atol=1e-5)
            np.testing.assert_allclose(np.reshape(w["targets"], (24, 2)), oracle_tgt[i], rtol=1e-4, atol=1e-5)
        assert all(np.isfinite(w["targets"]).all() for w in ws)
        start = np.array([w["start_time"][0] for w in ws], "datetime64[s]")
        end = np.array([w["end_time"][0] for w in ws], "datetime64[s]")
        if lo is not None:
            assert (start >= lo).all()
        if hi is not None:
            assert (end < hi).all()  # no window leaks into the next split


def _basicmotions_rows(folder: Path) -> tuple[pd.DataFrame, dict]:
    rows, recordings = [], {}
    for part in ("TRAIN", "TEST"):
        lines = [ln for ln in (folder / f"BasicMotions_{part}.ts").read_text().splitlines()
                 if ln and not ln.startswith(("#", "@"))]
        t = 0
        for rec, line in enumerate(lines):
            *dims, label = line.split(":")
            channels = np.array([[float(v) for v in d.split(",")] for d in dims])  # [6, 100]
            recordings[(part, rec)] = label
            for step in range(channels.shape[1]):
                rows.append({"stream": part, "t": t, "label": label,
                             **{f"c{j}": channels[j, step] for j in range(6)}})
                t += 1
    return pd.DataFrame(rows), recordings


def test_basicmotions_segments_by_majority_with_purity(tmp_path):
    folder = shared_dataset("basicmotions")
    df, recordings = _basicmotions_rows(folder)
    assert len(df) == 80 * 100
    (tmp_path / "data").mkdir()
    df.sample(frac=1, random_state=0).to_csv(tmp_path / "data" / "motions.csv", index=False)  # shuffled
    (tmp_path / "c.yaml").write_text("""\
name: basicmotions
components:
  example_gen: {input: data}
  example_validator: {on_anomalies: warn}
  time_series_windower:
    timestamp: {column: t, unit: s}
    series_key: stream
    step_seconds: 1
    features: [c0, c1, c2, c3, c4, c5]
    label: label
    purity: 0.8
    window: {history: 20, targets: 0, shift: 0, stride: 10}
    splits: [{name: train, until: 0.8}, {name: eval}]
    window_features: [fft, stats]
""")
    _, result = run_config(tmp_path / "c.yaml", tmp_path / "runs")
    counts = report_of(result)["counts"]
    # the oracle, by hand with NumPy: windows at 0, 10, ... in each stream's order
    expected_out, expected_impure = {}, 0
    for stream, g in df.groupby("stream"):
        g = g.sort_values("t")
        labels = g["label"].to_numpy()
        n = len(g)
        end_train = np.ceil(0.8 * (n - 1))
        for s in range(0, n - 20 + 1, 10):
            if (s < end_train) != (s + 19 < end_train):
                continue
            values, freq = np.unique(labels[s:s + 20], return_counts=True)
            if freq.max() / 20 < 0.8:
                expected_impure += 1
                continue
            expected_out[(stream, s)] = values[freq.argmax()]
    assert counts["dropped_impure"] == expected_impure
    assert counts["windows_out"] == len(expected_out)
    got = {}
    for split in ("train", "eval"):
        for w in windows_of(result, split):
            got[(w["series"][0].decode(), w["start_time"][0])] = w["label_name"][0].decode()
            assert w["purity"][0] >= 0.8 and len(w["fft"]) == 11 * 6
    assert got == expected_out


def test_a_shuffle_that_loses_row_copies_fails_naming_it():
    """Counts of the windower's 10M-row run on Beam's local job service (the runner lost
    row copies between ToGrid and the blocks): the shuffle's rule is the one that fails,
    with its numbers, before the rows' rule it also breaks."""
    import pytest

    from datalife.common.accounting import AccountingError, check_accounting
    from datalife.components.time_series_windower.spec import RULES

    counts = {"rows_in": 10_000_000, "rows_placed": 10_000_000, "row_copies_sent": 10_023_453,
              "row_copies_grouped": 9_682_640, "rows_gridded": 9_659_986, "windows_candidate": 9_999_953,
              "dropped_gap": 8_110_113, "windows_out": 1_889_840, "series_in": 1, "series_windowed": 1}
    with pytest.raises(AccountingError, match=r"row_copies_sent = row_copies_grouped does not hold: "
                                              r"10023453 != 9682640"):
        check_accounting(counts, RULES, component="time_series_windower")
    whole = dict(counts, row_copies_grouped=10_023_453, rows_gridded=10_000_000)
    assert check_accounting(whole, RULES)["rows_placed"] == 10_000_000
