"""The standard pipeline on the real Beijing PM2.5 data (43,824 hourly rows):
pm2.5 has missing values to impute, cbwd is categorical. Imputed values are checked
against pandas on the same train rows. Skips when the shared dataset is absent."""
import numpy as np
import pandas as pd
import pytest

from conftest import shared_dataset
from datalife.pipeline.examples_io import read_examples
from pipeline_helpers import run_config

pytestmark = pytest.mark.e2e

CONFIG = """\
name: beijing-standard
components:
  example_gen: {{input: {data}, splits: {{train: 4, eval: 1}}}}
  example_validator: {{on_anomalies: warn}}
  transform:
    features:
      pm2.5: {{impute: median}}
      TEMP: {{scale: zscore}}
      cbwd: {{impute: most_frequent, encode: one_hot, top_k: 4, num_oov_buckets: 1}}
      Iws: {{scale: minmax}}
    passthrough: [year, hour]
"""


def test_beijing_imputation_matches_pandas(tmp_path):
    data = shared_dataset("beijing_pm25")
    config = tmp_path / "beijing.yaml"
    config.write_text(CONFIG.format(data=data))
    _, result = run_config(config, tmp_path / "runs")
    assert result.states["Transform"] == "complete"

    csv = pd.read_csv(next(data.glob("*.csv")))
    raw = pd.DataFrame([{k: (v[0] if v else np.nan) for k, v in r.items()}
                        for r in read_examples(result.output_uri("CsvExampleGen", "examples"), "train")])
    eval_rows = read_examples(result.output_uri("CsvExampleGen", "examples"), "eval")
    assert len(raw) + len(eval_rows) == len(csv) == 43824
    assert raw["pm2.5"].isna().sum() + sum(not r["pm2.5"] for r in eval_rows) == csv["pm2.5"].isna().sum() == 2067

    median = raw["pm2.5"].median()  # pandas, on the train rows the analyzer saw
    out = read_examples(result.output_uri("Transform", "transformed_examples"), "train")
    pm = np.array([r["pm2.5"][0] for r in out])
    expected = np.sort(raw["pm2.5"].fillna(median).to_numpy())
    np.testing.assert_allclose(np.sort(pm), expected, rtol=1e-6)
    # the 2,067 * 4/5 or so filled rows all got exactly the pandas median
    assert (pm == np.float32(median)).sum() == raw["pm2.5"].isna().sum() + (raw["pm2.5"] == median).sum()

    temp = np.array([r["TEMP"][0] for r in out])
    t = raw["TEMP"].to_numpy(np.float64)
    np.testing.assert_allclose(np.sort(temp), np.sort((t - t.mean()) / t.std()), atol=1e-5)
    onehot = np.array([r["cbwd"] for r in out])
    counts = raw["cbwd"].value_counts()
    assert list(onehot.sum(axis=0)[:4]) == list(counts.values) and onehot[:, 4].sum() == 0
