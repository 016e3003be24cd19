"""``datalife check`` on the weak labeler (before any run): a missing or broken LF
module (dotted path or file path), a dev_split or fit split that the config does not
have, an id_field, dev label field or end-model field that is not an input column.
Each is one message naming the file, the line and the key; a good config passes, with
the LF module given as a path relative to the config file."""
import pandas as pd
import pytest

from datalife.pipeline.config import ConfigError, load_config

LFS = '''from snorkel.labeling import labeling_function

@labeling_function()
def has_buy(x):
    return 1 if "buy" in x.text else -1
'''

BASE = """\
name: t
components:
  example_gen: {{input: data, input_splits: {{train: a.csv, eval: b.csv}}}}
  weak_labeler:
    lf_module: {module}
    id_field: {id_field}
    dev_split: {dev}
    fit_splits: [train]
    end_model: {{text_fields: [{text}]}}
"""


def _config(tmp_path, module="lfs/my_lfs.py", id_field="id", dev="eval", text="text"):
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "lfs").mkdir(exist_ok=True)
    (tmp_path / "lfs" / "my_lfs.py").write_text(LFS)
    (tmp_path / "lfs" / "broken.py").write_text("import not_a_module_anywhere\n")
    for name in ("a.csv", "b.csv"):
        pd.DataFrame({"id": ["x"], "text": ["buy"], "label": [1]}).to_csv(tmp_path / "data" / name, index=False)
    path = tmp_path / "c.yaml"
    path.write_text(BASE.format(module=module, id_field=id_field, dev=dev, text=text))
    return path


def _errors(path):
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    return exc.value.args[0] if isinstance(exc.value.args[0], list) else [str(exc.value)]


def test_good_config_passes_with_a_file_path_relative_to_the_config(tmp_path, monkeypatch):
    monkeypatch.chdir("/")  # the working folder does not matter: the path is read from the config's folder
    cfg = load_config(_config(tmp_path))
    assert cfg.components.weak_labeler.lf_module == "lfs/my_lfs.py"


def test_each_problem_names_the_key_and_line(tmp_path):
    got = " | ".join(_errors(_config(tmp_path, module="no_such_pkg.lfs", id_field="ID", dev="dev",
                                       text="body")))
    assert "c.yaml:5: components.weak_labeler.lf_module: cannot import labeling-function module 'no_such_pkg.lfs'" \
        in got
    assert "c.yaml:6: components.weak_labeler.id_field: unknown feature 'ID'; the input has: id, text, label" in got
    assert "c.yaml:7: components.weak_labeler.dev_split: 'dev' is not a split of this config; the splits are: " \
           "train, eval" in got
    assert "components.weak_labeler.end_model.text_fields.0: unknown feature 'body'" in got


def test_missing_and_failing_lf_files(tmp_path):
    got = " | ".join(_errors(_config(tmp_path, module="lfs/nope.py")))
    assert "components.weak_labeler.lf_module: labeling-function file" in got and "nope.py" in got \
        and "not found" in got
    got = " | ".join(_errors(_config(tmp_path, module="lfs/broken.py")))
    assert "components.weak_labeler.lf_module:" in got and "ModuleNotFoundError" in got
