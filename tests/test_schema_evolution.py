"""Schema evolution: ``datalife schema diff`` / ``promote`` between an inferred and the
curated schema (data/schemas/customers.pbtxt), and TRAINING / SERVING environments
checked with TFDV (the label absent in serving raises no SCHEMA_MISSING_COLUMN)."""
from pathlib import Path

import pandas as pd
import pytest
from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2

from datalife.cli import main
from datalife.pipeline.schema_evolution import (format_diff, load_schema, promote, schema_diff, set_environments,
                                                write_schema)

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "data" / "schemas" / "customers.pbtxt"


def _inferred():
    """The curated schema as the data now looks: a new column, a new city, income now an
    INT, segment gone, age without its curated range."""
    s = load_schema(CURATED)
    [city] = [d for d in s.string_domain if d.name == "city"]
    city.value.append("zz-new-city")
    feats = {f.name: f for f in s.feature}
    feats["income"].type = schema_pb2.INT
    feats["age"].ClearField("int_domain")
    s.feature.remove(feats["segment"])
    s.feature.add(name="email", type=schema_pb2.BYTES)
    return s


def test_diff_lists_each_change():
    diff = schema_diff(_inferred(), load_schema(CURATED))
    assert [tuple(r) for r in diff.itertuples(index=False)] == [
        ("age", "range", "unset", "int 0..120"),
        ("city", "domain", "+['zz-new-city']", ""),
        ("email", "new", "BYTES", ""),
        ("income", "type", "INT", "FLOAT"),
        ("segment", "gone", "", "BYTES"),
    ]
    assert format_diff(diff).splitlines()[0] == "5 differences (inferred -> curated):"
    assert schema_diff(load_schema(CURATED), load_schema(CURATED)).empty


def test_promote_some_or_all_and_keep_environments():
    curated = set_environments(load_schema(CURATED), ["label"])
    only_email = promote(_inferred(), curated, ["email"])
    assert set(schema_diff(_inferred(), only_email).feature) == {"age", "city", "income", "segment"}
    everything = promote(_inferred(), curated)
    assert list(schema_diff(_inferred(), everything).change) == ["gone"]  # segment kept unless asked
    assert schema_diff(_inferred(), promote(_inferred(), curated, drop_gone=True)).empty
    [label] = [f for f in everything.feature if f.name == "label"]
    assert list(label.not_in_environment) == ["SERVING"] and list(everything.default_environment) == [
        "TRAINING", "SERVING"]
    with pytest.raises(ValueError, match=r"features \['nope'\] are not in the inferred schema"):
        promote(_inferred(), curated, ["nope"])


def test_serving_environment_without_the_label_passes_tfdv():
    import tensorflow_data_validation as tfdv

    serving = pd.read_csv(REPO / "data" / "tabular" / "customers.csv").drop(columns=["label"]).head(300)
    stats = tfdv.generate_statistics_from_dataframe(serving)
    plain = tfdv.validate_statistics(stats, load_schema(CURATED))
    assert "SCHEMA_MISSING_COLUMN" in {anomalies_pb2.AnomalyInfo.Type.Name(r.type)
                                       for r in plain.anomaly_info["label"].reason}
    with_envs = set_environments(load_schema(CURATED), ["label"])
    served = tfdv.validate_statistics(stats, with_envs, environment="SERVING")
    assert "label" not in served.anomaly_info
    training = tfdv.validate_statistics(stats, with_envs, environment="TRAINING")
    assert "label" in training.anomaly_info  # still required in training


def test_cli_diff_and_promote(tmp_path, capsys):
    inferred = write_schema(_inferred(), tmp_path / "inferred.pbtxt")
    curated = tmp_path / "curated.pbtxt"
    curated.write_text(CURATED.read_text())
    assert main(["schema", "diff", str(inferred), str(curated)]) == 1
    assert "  income: type: INT | FLOAT" in capsys.readouterr().out
    assert main(["schema", "promote", str(inferred), str(curated), "--feature", "income",
                 "--serving-without", "label"]) == 0
    assert "1 of 5 differences promoted; 4 left" in capsys.readouterr().out
    promoted = load_schema(curated)
    assert {f.name: f.type for f in promoted.feature}["income"] == schema_pb2.INT
    assert main(["schema", "diff", str(tmp_path / "missing.pbtxt"), str(curated)]) == 2
    assert "missing.pbtxt: no schema file" in capsys.readouterr().err


def test_gate_in_serving_environment_excuses_the_weak_labelers_label_original(tmp_path):
    """Training data carried gold labels (the weak labeler moved them to label_original);
    new unlabeled data has none. TFX's ExampleValidator, which takes no environment,
    reports SCHEMA_MISSING_COLUMN; the gate with example_validator.environment: SERVING
    validates in the curated schema's SERVING environment and does not."""
    import tensorflow_data_validation as tfdv
    from tfx.types import standard_artifacts

    from datalife.components.validation_gate.executor import validate_in_environment
    from datalife.components.weak_labeler.spec import WeakLabelerConfig

    original = f"{WeakLabelerConfig.model_fields['label_field'].default}_original"
    train = pd.DataFrame({"text_len": [10.0, 52, 33, 7], "label": [1, 0, 1, 0], original: ["spam", "ham", "spam", "ham"]})
    schema = set_environments(tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(train)), [original])
    (tmp_path / "schema").mkdir()
    write_schema(schema, tmp_path / "schema" / "schema.pbtxt")
    unlabeled = tfdv.generate_statistics_from_dataframe(train.drop(columns=[original]))
    stats = standard_artifacts.ExampleStatistics()
    stats.uri, stats.split_names = str(tmp_path / "stats"), '["serving"]'
    (tmp_path / "stats" / "Split-serving").mkdir(parents=True)
    (tmp_path / "stats" / "Split-serving" / "FeatureStats.pb").write_bytes(unlabeled.SerializeToString())
    plain = tfdv.validate_statistics(unlabeled, schema)  # what ExampleValidator does
    assert [anomalies_pb2.AnomalyInfo.Type.Name(r.type) for r in plain.anomaly_info[original].reason] == [
        "SCHEMA_MISSING_COLUMN"]
    assert validate_in_environment(stats, str(tmp_path / "schema"), "SERVING") == []
    [training] = validate_in_environment(stats, str(tmp_path / "schema"), "TRAINING")
    assert (training.split, training.feature, training.kind) == ("serving", original, "SCHEMA_MISSING_COLUMN")
    (tmp_path / "s2").mkdir()
    write_schema(tfdv.infer_schema(tfdv.generate_statistics_from_dataframe(train)), tmp_path / "s2" / "schema.pbtxt")
    with pytest.raises(ValueError, match=r"environment 'SERVING' is not an environment of the schema \(it has none\)"):
        validate_in_environment(stats, str(tmp_path / "s2"), "SERVING")
