"""`datalife check`'s per-component pre-run checks (pipeline/checks.py): each refusal names
the file, the line, the dotted key, the bad value and the allowed ones; a check
registered by a component plugs in. No TensorFlow, no pipeline run."""
from pathlib import Path

import pytest

from datalife.cli import main
from datalife.pipeline import checks
from datalife.pipeline.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]


def _config(tmp_path, name: str, *replacements) -> Path:
    text = (REPO / "pipeline/configs" / name).read_text().replace("../../data", str(REPO / "data"))
    text = text.replace("../../runs", str(tmp_path / "runs"))
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def _line(path: Path, fragment: str) -> int:
    return 1 + next(i for i, line in enumerate(path.read_text().splitlines()) if fragment in line)


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:  # loading runs the checks that need the input's columns
        checks.check_config(load_config(path))
    return err.value.problems


def test_demo_configs_pass_every_check():
    for name in ("tabular", "weak_labeling", "forecasting", "detection", "speech"):
        assert checks.run_checks(load_config(REPO / f"pipeline/configs/{name}.yaml")) == []


def test_unknown_splits_and_an_unimportable_lf_module_are_named_with_line_and_alternatives(tmp_path):
    path = _config(tmp_path, "weak_labeling.yaml", ("fit_splits: [train]", "fit_splits: [training]"),
                   ("dev_split: eval ", "dev_split: dev "),
                   ("lf_module: datalife.labeling.examples.youtube_spam", "lf_module: my_lfs.spam"))
    assert sorted(_problems(path)) == sorted([
        f"{path}:{_line(path, 'fit_splits')}: components.weak_labeler.fit_splits.0: 'training' is not a split of "
        "this config; the splits are: train, eval",
        f"{path}:{_line(path, 'dev_split')}: components.weak_labeler.dev_split: 'dev' is not a split of this "
        "config; the splits are: train, eval",
        f"{path}:{_line(path, 'lf_module')}: components.weak_labeler.lf_module: cannot import labeling-function "
        "module 'my_lfs.spam' (from lf_module 'my_lfs.spam'): No module named 'my_lfs'. A dotted path must be "
        "importable (installed, or its folder on PYTHONPATH); or give the path of the .py file"])


def test_an_id_field_the_input_lacks_lists_the_columns(tmp_path):
    path = _config(tmp_path, "weak_labeling.yaml", ("id_field: COMMENT_ID", "id_field: comment_id"))
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:{_line(path, 'id_field: comment_id')}: components.weak_labeler.id_field: "
                              "unknown feature 'comment_id'; the input has: COMMENT_ID, ")


def test_spec_augment_on_a_feature_transform_does_not_output(tmp_path):
    path = _config(tmp_path, "speech.yaml", ("features: [log_mel]", "features: [mfcc]"))
    [problem] = _problems(path)
    assert problem == (f"{path}:{_line(path, 'audio_augmenter:')}: components.audio_augmenter.features_field: "
                       "SpecAugment masks 'log_mel', which Transform does not output; transform.audio.features: mfcc")


def test_missing_audio_folder_and_augmented_split_through_the_cli(tmp_path, capsys):
    path = _config(tmp_path, "speech.yaml", ("/speech\n", "/no_such_speech\n"))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert (f"{path}:{_line(path, 'no_such_speech')}: components.audio_example_gen.input: "
            f"{REPO / 'data/no_such_speech'}: the folder of WAV files does not exist") in err


def test_a_registered_check_plugs_in_and_sees_the_features_arriving(tmp_path, monkeypatch):
    seen = {}

    def my_check(spec, inputs):
        seen["columns"], seen["splits"] = inputs.columns, inputs.splits
        return [inputs.problem(("features", "age"), "refused for the test")]

    monkeypatch.setitem(checks.CHECKS, "transform", my_check)
    path = _config(tmp_path, "tabular.yaml")
    [problem] = _problems(path)
    assert problem == f"{path}:{_line(path, ' age:')}: components.transform.features.age: refused for the test"
    header = (REPO / "data/tabular/customers.csv").read_text().splitlines()[0].split(",")
    assert seen == {"columns": header, "splits": ["train", "eval"]}
