"""The config model: good configs load, bad ones fail before anything runs with a
message naming the file, line, key and the allowed values (messages pinned)."""
import textwrap
from pathlib import Path

import pytest

from datalife.pipeline.config import ComponentsConfig, ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parents[1]

GOOD = """\
name: t-1
components:
  example_gen:
    input: data
  transform:
    features:
      age: {scale: zscore}
      city: {impute: most_frequent, encode: one_hot, top_k: 3}
    crosses:
      - {features: [age, city], hash_buckets: 8}
"""


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(textwrap.dedent(text), filename="c.yaml")
    return info.value.problems


def test_good_config_and_defaults(tmp_path):
    cfg = parse_config(GOOD, filename="c.yaml", base_dir=tmp_path)
    assert cfg.seed == 42 and cfg.enable_cache is True
    assert cfg.components.example_gen.format == "csv"
    assert cfg.components.example_gen.splits == {"train": 4, "eval": 1}
    assert cfg.components.example_validator.on_anomalies == "fail"
    assert cfg.beam.args() == ["--direct_num_workers=1", "--direct_running_mode=in_memory",
                              "--sdk_container_image=datalife-local-workers"]
    assert cfg.root_dir == tmp_path / "runs" / "t-1"
    assert cfg.metadata_path == tmp_path / "runs" / "t-1" / "metadata.sqlite"
    assert cfg.resolve("data") == tmp_path / "data"
    assert cfg.components.transform.crosses[0].output_name == "age_x_city"


def test_unknown_component_names_line_and_allowed():
    text = GOOD.replace("  transform:", "  transfrom:")
    assert errors(text) == [
        "c.yaml:5: components.transfrom: unknown key 'transfrom'; allowed: "
        + ", ".join(sorted(ComponentsConfig.model_fields))
    ]


def test_bad_option_value_names_allowed_values():
    text = GOOD.replace("scale: zscore", "scale: zscor")
    assert errors(text) == [
        "c.yaml:7: components.transform.features.age.scale: invalid value 'zscor'; "
        "allowed: 'zscore' or 'minmax'"
    ]


def test_unknown_option_in_feature():
    text = GOOD.replace("{scale: zscore}", "{scale: zscore, clip: 3}")
    assert errors(text) == [
        "c.yaml:7: components.transform.features.age.clip: unknown key 'clip'; allowed: bucketize, "
        "encode, fill_value, impute, missing, num_oov_buckets, scale, sentinels, top_k"
    ]


def test_consistency_rules():
    assert errors(GOOD.replace("{scale: zscore}", "{scale: zscore, encode: vocabulary}")) == [
        "c.yaml:7: components.transform.features.age: choose one of scale / encode / bucketize "
        "per feature, got ['scale', 'encode']"
    ]
    assert errors(GOOD.replace(", top_k: 3", "")) == [
        "c.yaml:8: components.transform.features.city: encode: one_hot needs 'top_k' "
        "(the one-hot width is top_k + num_oov_buckets)"
    ]
    assert errors(GOOD.replace("{scale: zscore}", "{impute: constant}")) == [
        "c.yaml:7: components.transform.features.age: impute: constant needs 'fill_value'"
    ]


def test_missing_required_and_bad_name_and_yaml():
    assert errors("name: x\ncomponents: {}\n") == [
        "c.yaml:2: components: give exactly one of 'example_gen' (files), 'label_unifier' (annotations) "
        "or 'audio_example_gen' (WAV files)"
    ]
    assert errors(GOOD.replace("name: t-1", "name: My_Pipeline")) == [
        "c.yaml: <top level>: name 'My_Pipeline' must match [a-z0-9][a-z0-9-]{0,127} (valid for Kubeflow too)"
    ]
    assert errors("name: [x\n") [0].startswith("c.yaml:2: not valid YAML")


def test_several_faults_reported_together():
    text = GOOD.replace("scale: zscore", "scale: zscor").replace("  transform:", "  transform:\n    bogus: 1")
    problems = errors(text)
    assert len(problems) == 2
    assert problems[0].startswith("c.yaml:6: components.transform.bogus: unknown key 'bogus'")


def test_unknown_feature_against_the_data(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("age,city\n1,a\n")
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text(GOOD.replace("      city: {", "      town: {").replace("[age, city]", "[age, city]"))
    with pytest.raises(ConfigError) as info:
        load_config(cfg_file)
    assert info.value.problems == [f"{cfg_file}:8: components.transform.features.town: unknown feature 'town'; "
                                   "the input has: age, city"]


def test_missing_input_folder_is_named(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text(GOOD)
    with pytest.raises(ConfigError, match="data: the example_gen input folder does not exist"):
        load_config(cfg_file)


def test_bundled_demo_config_is_valid():
    cfg = load_config(REPO / "pipeline" / "configs" / "tabular.yaml")
    assert set(cfg.components.transform.features) == {
        "age", "income", "hours_per_week", "tenure_months", "city", "segment"}


def test_windower_columns_are_checked_against_transform_outputs(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("ts,temp,station\n0,1.5,a\n")
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("""\
name: w
components:
  example_gen: {input: data}
  transform:
    features: {temp: {scale: zscore}}
    passthrough: [ts, station]
  time_series_windower:
    timestamp: {column: ts}
    series_key: station
    step_seconds: 60
    features: [temp, tmep]
    targets: [temp]
    window: {history: 4}
""")
    with pytest.raises(ConfigError) as info:
        load_config(cfg_file)
    assert info.value.problems == [
        f"{cfg_file}:11: components.time_series_windower.features.1: unknown feature 'tmep'; "
        "the transform outputs: temp, ts, station"]


def test_windower_and_weak_labeler_option_errors():
    base = GOOD.split("  transform:")[0]
    problems = errors(base + """\
  weak_labeler: {lf_module: m, label_model: {tie_break: coin}}
  time_series_windower:
    timestamp: {column: t}
    step_seconds: 1
    features: [a]
    window: {history: 2}
""")
    assert problems == [
        "c.yaml:5: components.weak_labeler.label_model.tie_break: invalid value 'coin'; allowed: 'abstain' or "
        "'random'",
        "c.yaml:6: components.time_series_windower: give 'targets' (forecasting) or 'label' "
        "(activity recognition), not both or neither",
    ]


def test_mysql_metadata_connection_takes_the_password_from_the_environment(monkeypatch, tmp_path):
    from datalife.pipeline.build import metadata_connection

    cfg = parse_config(GOOD + "metadata:\n  mysql: {host: db.internal, port: 3307, database: mlmd, user: tfx, "
                       "password_env: MLMD_PW}\n", filename="c.yaml", base_dir=tmp_path)
    monkeypatch.setenv("MLMD_PW", "s3cret")
    conn = metadata_connection(cfg)
    assert (conn.mysql.host, conn.mysql.port, conn.mysql.database, conn.mysql.user, conn.mysql.password) == (
        "db.internal", 3307, "mlmd", "tfx", "s3cret")
    sqlite = metadata_connection(parse_config(GOOD, filename="c.yaml", base_dir=tmp_path))
    assert sqlite.sqlite.filename_uri == str(tmp_path / "runs" / "t-1" / "metadata.sqlite")


def test_each_parameter_has_one_declaration_and_one_rule():
    base = GOOD.split("  transform:")[0]
    # activity windows have no targets: left out, they are 0; given, an error naming the key
    cfg = parse_config(base + """\
  time_series_windower:
    timestamp: {column: t}
    step_seconds: 1
    features: [a]
    label: y
    window: {history: 2}
""", filename="c.yaml")
    assert cfg.components.time_series_windower.window.targets == 0
    assert errors(base + """\
  time_series_windower:
    timestamp: {column: t}
    step_seconds: 1
    features: [a]
    label: y
    window: {history: 2, targets: 1}
""") == ["c.yaml:5: components.time_series_windower: activity windows (label) have no targets: window.targets "
         "is 1; leave it out or set it to 0"]
    # the rule "targets <= history + shift" lives in the core's WindowSpec, reported at its key
    assert errors(base + """\
  time_series_windower:
    timestamp: {column: t}
    step_seconds: 1
    features: [a]
    targets: [a]
    window: {history: 2, targets: 4, shift: 1}
""") == ["c.yaml:10: components.time_series_windower.window: targets (4) cannot exceed history + shift (3)"]
    # the label model's parameters are the core's LabelModelSpec, checked there
    assert errors(base + "  weak_labeler: {lf_module: m, label_model: {cardinality: 3, class_balance: [0.5, 0.5]}}\n") \
        == ["c.yaml:5: components.weak_labeler.label_model: class_balance must have 3 shares summing to 1, "
            "got [0.5, 0.5]"]


AUDIO = """\
name: a-1
components:
  audio_example_gen: {input: clips, label_pattern: "^(?P<label>[a-z]+)_", sample_rate: 8000}
  audio_augmenter: {spec_augment: {freq_masks: 1}}
  transform:
    preprocessing_fn: datalife.transforms.audio_transform.preprocessing_fn
    audio: {features: [log_mel], mel_channels: 32}
"""


def test_audio_settings_are_declared_once():
    from datalife.transforms.audio_features import FeatureSpec

    c = parse_config(AUDIO, filename="a.yaml").components
    assert c.transform.audio.sample_rate == 8000  # the clips' rate, declared in audio_example_gen
    assert c.audio_augmenter.audio == FeatureSpec(sample_rate=8000, mel_channels=32)
    # (frames, channels) of log_mel derived from the settings: 8000 Hz, 30 ms windows, 20 ms stride
    assert c.audio_augmenter.features_shape(49 * 32) == (49, 32)
    assert FeatureSpec(sample_rate=8000).shape("log_mel", 8000) == (49, 40)
    assert errors(AUDIO.replace("mel_channels: 32", "mel_channels: 32, sample_rate: 16000")) == [
        "c.yaml:2: components: transform.audio.sample_rate 16000 differs from the clips' "
        "audio_example_gen.sample_rate 8000; leave it out"]


def test_the_seed_has_one_default():
    from datalife.common.strict import DEFAULT_SEED, seed_or_default
    from datalife.components.image_augmenter.spec import AugmenterConfig
    from datalife.labeling.label_model import LabelModelSpec

    assert parse_config(GOOD, filename="c.yaml").seed == DEFAULT_SEED == seed_or_default(None) == 42
    assert LabelModelSpec().seed is None and AugmenterConfig().seed is None  # None: the pipeline's seed
    assert seed_or_default(7) == 7


def test_active_sampler_options_are_checked_against_the_core():
    base = GOOD.split("  transform:")[0]
    cfg = parse_config(base + "  active_sampler: {strategy: typiclust, strategy_params: {k: 5}}\n", filename="c.yaml")
    assert cfg.components.active_sampler.strategy_params == {"k": 5} and cfg.components.active_sampler.seed is None
    assert errors(base + "  active_sampler: {strategy: margin, strategy_params: {k: 3}}\n") == [
        "c.yaml:5: components.active_sampler: strategy_params: 'margin' takes no ['k']; it takes ['top']"]
    assert errors(base + "  active_sampler: {features: [a], embedding_field: e}\n") == [
        "c.yaml:5: components.active_sampler: give either features (columns) or embedding_field (one vector "
        "column), not both"]
SEMI = """\
name: s
components:
  example_gen: {input: data}
  embedder: {kind: text, input_feature: CONTENT}
  label_propagator: {embedding: embedding, knn: {k: 5, metric: cosine}}
"""


def test_semi_supervised_config_errors_name_the_line():
    c = parse_config(SEMI, filename="c.yaml").components
    assert c.embedder.input_feature == "CONTENT" and c.label_propagator.knn.k == 5
    assert errors(SEMI.replace("kind: text", "kind: video"))[0].startswith("c.yaml:4: components.embedder.kind")
    [problem] = errors(SEMI.replace("embedding: embedding,", "embedding: embedding, features: [a],"))
    assert problem.startswith("c.yaml:5: components.label_propagator") and "exactly one of 'features'" in problem
    [problem] = errors(SEMI.replace("k: 5", "k: 0"))
    assert "components.label_propagator.knn" in problem and "k must be >= 1" in problem
    [problem] = errors(SEMI.replace("metric: cosine", "metric: cosine, neighbours: 3"))
    assert "components.label_propagator.knn.neighbours" in problem


def test_rebalancer_and_pair_maker_config_errors_name_the_key():
    base = GOOD.split("  transform:")[0]
    cfg = load_config(REPO / "pipeline" / "configs" / "rebalancing.yaml")
    assert cfg.components.rebalancer.label == "segment" and cfg.components.rebalancer.seed is None
    assert errors(base + "  rebalancer: {label: y, splits: [train, eval]}\n") == [
        "c.yaml:5: components.rebalancer.splits: evaluation splits are never augmented: ['eval']"]
    problems = errors(base + "  rebalancer: {label: y, strategy: smite}\n")
    assert len(problems) == 1 and "components.rebalancer.strategy" in problems[0] and "'smote'" in problems[0]
    assert cfg.components.pair_maker.count == {"train": 600, "eval": 120}
    assert errors(base + "  pair_maker: {label: y, count: 10, per_example: 1}\n") == [
        "c.yaml:5: components.pair_maker: give exactly one of count (pairs per split) and "
        "per_example (pairs per example)"]
