"""Data that keeps arriving, end to end: Beijing PM2.5 as yearly spans read one at a time
(as a scheduler would run the pipeline), the gate comparing each span with the previous
one found in the metadata store (``baseline: previous_span``), and the run report's
drift-across-spans table. The KS p-values equal SciPy's on the same rows; a span
identical to the previous one shows no drift. Skips when the shared dataset is absent."""
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import shared_dataset
from datalife.pipeline import mlmd
from datalife.pipeline.drift_history import drift_history
from datalife.pipeline.report import write_run_report
from pipeline_helpers import run_config

pytestmark = pytest.mark.e2e

CONFIG = """\
name: beijing-spans
components:
  example_gen:
    input: {spans}
    splits: {{train: 1}}
    spans: {{pattern: "year={{SPAN}}/*.csv"}}
  example_validator:
    on_anomalies: warn
    drift: {{baseline: previous_span, on_drift: warn, split: train}}
"""


@pytest.fixture(scope="module")
def yearly(tmp_path_factory):
    csv = pd.read_csv(shared_dataset("beijing_pm25") / "PRSA_data_2010.1.1-2014.12.31.csv")
    tmp = tmp_path_factory.mktemp("spans")
    config = tmp / "c.yaml"
    config.write_text(CONFIG.format(spans=tmp / "in"))
    years = {2010: 2010, 2011: 2011, 2012: 2012, 2013: 2012}  # span 2013 holds 2012's rows again
    summaries = []
    for span, year in years.items():
        folder = tmp / "in" / f"year={span}"
        folder.mkdir(parents=True)
        csv[csv.year == year].to_csv(folder / "part-0.csv", index=False)
        (folder / "_SUCCESS").write_text("")
        cfg, result = run_config(config, tmp / "runs")
        assert result.states["ValidationGate"] == "complete"
        summaries.append(result)
    store = mlmd.open_store(cfg.metadata_path)
    return cfg, csv, store, summaries


def test_each_span_is_compared_with_the_previous_one_and_ks_equals_scipy(yearly):
    cfg, csv, store, _ = yearly
    table = drift_history(store, cfg.name)
    assert sorted(set(zip(table.span, table.baseline_span))) == [(2011, 2010), (2012, 2011), (2013, 2012)]
    ks = table[(table.feature == "pm2.5") & (table.measure == "ks")].set_index("span")
    for span, (a, b) in {2011: (2010, 2011), 2012: (2011, 2012), 2013: (2012, 2012)}.items():
        x, y = csv[csv.year == a]["pm2.5"].dropna(), csv[csv.year == b]["pm2.5"].dropna()
        assert ks.loc[span, "value"] == pytest.approx(stats.ks_2samp(x, y).pvalue, rel=1e-6, abs=1e-300)
    assert ks.loc[2011, "drifted"] and ks.loc[2012, "drifted"]  # the yearly pm2.5 shift (p 2.6e-13, 2.5e-7)
    assert not table[table.span == 2013].drifted.any()  # the same rows again: no drift at all
    assert ks.loc[2013, "value"] == pytest.approx(1.0)


def test_the_run_report_shows_drift_across_spans(yearly):
    cfg, _, store, _ = yearly
    html = write_run_report(cfg).read_text()
    section = html[html.index("<h2>Drift across spans</h2>"):]
    section = section[:section.index("</section>")]
    assert "2011 (vs 2010)" in section and "2013 (vs 2012)" in section and "DRIFT ks" in section
    assert "features drifted per span" in section
