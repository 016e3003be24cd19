"""Drift measures of the pure core against hand computations and SciPy, and the
detection target (0.1-SD shift at n = 5,000: >= 95% of 100 seeded trials, <= 5% false
alarms)."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from datalife.transforms.drift import DriftSpec, Thresholds, compare_frames, js_divergence, ks_test, linf_distance


def test_linf_equals_a_hand_computation():
    # baseline: x 2/4, y 1/4, z 1/4; current: x 1/4, y 3/4 -> |0.25|, |0.5|, |0.25| -> 0.5 at y
    d, where = linf_distance(["x", "x", "y", "z"], ["x", "y", "y", "y"])
    assert d == pytest.approx(0.5) and where == "y"
    assert linf_distance(["a", "b"], ["b", "a"]) == (0.0, None)
    assert linf_distance(["a"], ["b"])[0] == pytest.approx(1.0)


def test_ks_equals_scipy_and_the_ecdf_maximum():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=700), rng.normal(0.2, 1.1, size=500)
    stat, p = ks_test(a, b)
    ref = stats.ks_2samp(a, b)
    assert (stat, p) == pytest.approx((ref.statistic, ref.pvalue))
    grid = np.concatenate([a, b])  # the ECDFs' largest gap, by hand
    ecdf = lambda x: np.searchsorted(np.sort(x), grid, side="right") / len(x)  # noqa: E731
    assert stat == pytest.approx(np.abs(ecdf(a) - ecdf(b)).max())


def test_js_equals_scipy_on_the_shared_histogram():
    a = np.array([0.0, 0.1, 0.2, 0.9, 1.0, 1.0])
    b = np.array([0.0, 0.5, 0.55, 0.6, 1.0])
    # 2 buckets over [0, 1]: a -> [3, 3], b -> [1, 4]
    expected = jensenshannon([3 / 6, 3 / 6], [1 / 5, 4 / 5], base=2) ** 2
    assert js_divergence(a, b, bins=2) == pytest.approx(expected)
    assert js_divergence(a, a) == pytest.approx(0.0, abs=1e-12)
    assert js_divergence(np.zeros(5), np.ones(5)) == pytest.approx(1.0)  # disjoint: the maximum


def test_detects_a_tenth_of_a_standard_deviation_with_few_false_alarms():
    from benchmarks.bench_drift import trial_samples

    th = Thresholds()
    detected = sum(ks_test(*trial_samples(t, 0.1))[1] < th.ks_pvalue for t in range(100))
    alarms = sum(ks_test(*trial_samples(t, 0.0))[1] < th.ks_pvalue for t in range(100))
    assert detected >= 95 and alarms <= 5, (detected, alarms)
    js_fires = sum(js_divergence(*trial_samples(t, 0.1)) > th.js for t in range(20))
    assert js_fires == 0  # why the KS test is there: JS over 10 buckets misses this shift


def test_compare_frames_per_feature_thresholds_and_kinds():
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"x": rng.normal(size=2000), "city": ["a"] * 1000 + ["b"] * 1000,
                         "n": pd.array([1, 2, None, 4] * 500, dtype="Int64"), "skip": ["q"] * 2000})
    cur = pd.DataFrame({"x": rng.normal(0.5, 1, size=2000), "city": ["a"] * 700 + ["b"] * 1300,
                        "n": pd.array([1, 2, 3, 4] * 500, dtype="Int64"), "skip": ["r"] * 2000})
    spec = DriftSpec(features={"city": Thresholds(linf=0.2)}, ignore=["skip"])
    out = compare_frames(base, cur, spec).set_index(["feature", "measure"])
    assert set(out.index) == {("x", "js"), ("x", "ks"), ("city", "linf"), ("n", "js"), ("n", "ks")}
    assert out.loc[("city", "linf"), "value"] == pytest.approx(0.15)
    assert not out.loc[("city", "linf"), "drifted"]  # 0.15 <= its own threshold 0.2 (default 0.1 would fire)
    assert compare_frames(base, cur).set_index(["feature", "measure"]).loc[("city", "linf"), "drifted"]
    assert out.loc[("x", "ks"), "drifted"] and out.loc[("x", "ks"), "value"] == pytest.approx(
        stats.ks_2samp(base.x, cur.x).pvalue)
    assert out.loc[("n", "ks"), "n_baseline"] == 1500 and out.loc[("n", "ks"), "n_current"] == 2000  # missing left out
    assert "L-infinity distance 0.15 at value 'a'" in out.loc[("city", "linf"), "detail"]


def test_bad_thresholds_are_refused():
    with pytest.raises(ValueError, match="ks_pvalue"):
        Thresholds(ks_pvalue=0)
    with pytest.raises(ValueError, match="extra"):
        DriftSpec(defaults={})


def test_beijing_yearly_spans_drift_and_an_identical_span_shows_none():
    from conftest import shared_dataset

    from datalife.transforms.drift import drift_by_span

    data = pd.read_csv(shared_dataset("beijing_pm25") / "PRSA_data_2010.1.1-2014.12.31.csv")
    winter = data[data.month.isin([1, 2])]  # the same season each year: what moves is the year
    frames = {y: winter[winter.year == y][["pm2.5", "TEMP", "cbwd"]] for y in (2010, 2011, 2012, 2013, 2014)}
    frames[2015] = frames[2014].copy()  # a span identical to the previous one
    table = drift_by_span(frames).set_index(["span", "feature", "measure"])
    assert set(table.index.get_level_values("span")) == {2011, 2012, 2013, 2014, 2015}
    for year in (2011, 2012, 2013, 2014, 2015):
        a, b = frames[year - 1]["pm2.5"].dropna(), frames[year]["pm2.5"].dropna()
        assert table.loc[(year, "pm2.5", "ks"), "value"] == pytest.approx(stats.ks_2samp(a, b).pvalue)
        assert table.loc[(year, "pm2.5", "ks"), "n_current"] == len(b)
    drifted_pm = {y for y in range(2011, 2015) if table.loc[(y, "pm2.5", "ks"), "drifted"]}
    assert len(drifted_pm) >= 3, table.xs("pm2.5", level="feature")  # winter pm2.5 moves between years
    assert not table.loc[2015].drifted.any()  # identical span: nothing
    assert table.loc[(2015, "pm2.5", "ks"), "value"] == pytest.approx(1.0)
