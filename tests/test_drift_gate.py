"""The gate's drift / skew check at executor level (``executor.run`` on Examples written
with ``common.tfrecords``, no orchestration): TFDV's L-infinity equals a hand
computation, our KS test catches a 0.1-SD shift TFDV's Jensen-Shannon misses, the gate
stops with a readable list (or warns and goes on), the report overlays the drifted
feature's histograms."""
import json

import numpy as np
import pytest

from datalife.common.codec import encode_columns
from datalife.common.tfrecords import write_tfrecords
from datalife.components.validation_gate.spec import DriftConfig
from datalife.transforms.drift import DriftSpec, Thresholds, linf_distance

N = 4000


def _examples(uri, x, city, y):
    (uri / "Split-train").mkdir(parents=True)
    write_tfrecords(str(uri / "Split-train" / "data.gz"),
                    encode_columns({"x": list(x), "city": city, "y": list(y)}))
    return str(uri)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("drift")
    rng = np.random.default_rng(5)
    base_city = ["a"] * (N // 2) + ["b"] * (N // 2)
    cur_city = ["a"] * (N * 3 // 10) + ["b"] * (N // 2) + ["c"] * (N // 5)
    y = rng.normal(size=N)
    baseline = _examples(tmp / "baseline", rng.normal(size=N), base_city, y)
    current = _examples(tmp / "current", rng.normal(size=N) + 0.1, cur_city, y)  # y identical: no drift
    return tmp, baseline, current, base_city, cur_city


def _artifacts(tmp, baseline, current, name):
    import tensorflow_data_validation as tfdv
    from tfx.types import standard_artifacts

    from datalife.components.validation_gate.drift import read_records, split_statistics

    def art(cls, uri, splits=None):
        a = cls()
        a.uri = str(uri)
        if splits is not None:
            a.split_names = json.dumps(splits)
        return a

    schema_dir = tmp / f"schema-{name}"
    schema_dir.mkdir()
    tfdv.write_schema_text(tfdv.infer_schema(split_statistics(read_records(f"{baseline}/Split-train"))),
                           str(schema_dir / "schema.pbtxt"))
    out = tmp / f"out-{name}"
    (out / "schema").mkdir(parents=True)  # the orchestrator creates output folders
    return dict(anomalies=art(standard_artifacts.ExampleAnomalies, tmp / "none", ["train"]),
                schema=art(standard_artifacts.Schema, schema_dir),
                validated_schema=art(standard_artifacts.Schema, out / "schema"),
                report=art(standard_artifacts.Schema, out / "report"),
                examples=art(standard_artifacts.Examples, current, ["train"]),
                baseline_examples=art(standard_artifacts.Examples, baseline, ["train"]))


def test_tfdv_linf_equals_a_hand_computation_and_ks_catches_what_js_misses(case):
    import tensorflow_data_validation as tfdv

    from datalife.components.validation_gate.drift import check_drift

    tmp, baseline, current, base_city, cur_city = case
    # baseline a 0.5 b 0.5; current a 0.3 b 0.5 c 0.2 -> L-infinity 0.2
    assert linf_distance(base_city, cur_city)[0] == pytest.approx(0.2)
    schema_path = _artifacts(tmp, baseline, current, "check")["schema"].uri + "/schema.pbtxt"
    cfg = DriftConfig(baseline=baseline, thresholds=DriftSpec(features={"city": Thresholds(linf=0.25)}))
    table = check_drift(baseline, current, tfdv.load_schema_text(schema_path), cfg).set_index(["feature", "measure"])
    assert table.loc[("city", "linf"), "value"] == pytest.approx(0.2, abs=1e-6)
    assert table.loc[("city", "linf"), "source"] == "tfdv" and not table.loc[("city", "linf"), "drifted"]
    assert table.loc[("x", "js"), "source"] == "tfdv" and not table.loc[("x", "js"), "drifted"]
    assert table.loc[("x", "ks"), "drifted"] and table.loc[("x", "ks"), "value"] < 0.01
    assert not table.loc[("y", "ks"), "drifted"] and table.loc[("y", "ks"), "value"] == pytest.approx(1.0)
    assert set(table.index[table.drifted]) == {("x", "ks")}


def test_the_gate_stops_with_a_readable_list_and_draws_the_overlay(case):
    from datalife.components.validation_gate import executor
    from datalife.components.validation_gate.drift import DriftFound

    tmp, baseline, current, *_ = case
    a = _artifacts(tmp, baseline, current, "fail")
    with pytest.raises(DriftFound) as info:
        executor.run(on_anomalies="fail", drift=DriftConfig(baseline=baseline).model_dump_json(), **a)
    message = str(info.value)
    assert message.startswith("2 features drifted from the previous span (2 of 5 comparisons over threshold):")
    assert "  city: linf: TFDV L-infinity distance 0.2 (threshold 0.1)" in message
    assert "  x: ks: KS statistic" in message
    report = json.loads((tmp / "out-fail" / "report" / "report.json").read_text())
    assert report["drifted_features"] == ["city", "x"]
    pictures = sorted(p.name for p in (tmp / "out-fail" / "report").glob("*.png"))
    assert pictures == ["drift_0_city.png", "drift_1_x.png"]
    assert (tmp / "out-fail" / "report" / "drift_1_x.png").read_bytes()[:4] == b"\x89PNG"
    assert not (tmp / "out-fail" / "schema" / "schema.pbtxt").exists()  # nothing validated


def test_warn_goes_on_and_skew_uses_the_skew_comparator(case):
    from datalife.components.validation_gate import executor

    tmp, baseline, current, *_ = case
    a = _artifacts(tmp, baseline, current, "warn")
    cfg = DriftConfig(baseline=baseline, compare="skew", on_drift="warn")
    executor.run(on_anomalies="fail", drift=cfg.model_dump_json(), **a)
    assert (tmp / "out-warn" / "schema" / "schema.pbtxt").exists()
    assert json.loads(a["validated_schema"].get_string_custom_property("drifted_features")) == ["city", "x"]
    report = json.loads((tmp / "out-warn" / "report" / "report.json").read_text())
    assert report["compare"] == "skew" and report["on_drift"] == "warn"


def test_a_missing_split_names_what_there_is(case):
    from datalife.components.validation_gate.drift import split_dir

    _, baseline, *_ = case
    with pytest.raises(FileNotFoundError, match=r"no split 'eval' to compare \(it has \['train'\]\)"):
        split_dir(baseline, "eval")
