"""End to end: the demo pipeline on the LocalDagRunner, checked against NumPy/pandas
computed independently from the raw CSV, MLMD lineage walked through events, and a
fully cached second run."""
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from datalife.pipeline import mlmd
from datalife.pipeline.examples_io import read_examples
from datalife.pipeline.run import summary
from pipeline_helpers import run_config

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "pipeline" / "configs" / "tabular.yaml"
CSV = REPO / "data" / "tabular" / "customers.csv"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    cfg, result = run_config(DEMO, root)
    return cfg, result


def _raw_split(result, split):
    return read_examples(result.output_uri("CsvExampleGen", "examples"), split)


def test_every_component_ran_and_every_row_is_accounted(demo_run):
    cfg, result = demo_run
    assert result.states == {c: "complete" for c in [
        "CsvExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "ValidationGate", "Transform"]}
    csv = pd.read_csv(CSV)
    train, eval_ = _raw_split(result, "train"), _raw_split(result, "eval")
    assert len(train) + len(eval_) == len(csv) == 2000
    assert sorted(r["age"][0] for r in train + eval_) == sorted(csv["age"])
    text = summary(result)
    assert f"metadata store: {cfg.metadata_path}" in text
    assert "anomalies: none" in text and "6 ran, 0 cached" in text


def test_zscore_matches_numpy_on_the_raw_train_rows(demo_run):
    _, result = demo_run
    raw_age = np.array([r["age"][0] for r in _raw_split(result, "train")], np.float64)
    transformed = read_examples(result.output_uri("Transform", "transformed_examples"), "train")
    z = np.array([r["age"][0] for r in transformed])
    assert abs(z.mean()) < 1e-5 and abs(z.std() - 1) < 1e-5
    expected = (raw_age - raw_age.mean()) / raw_age.std()
    np.testing.assert_allclose(np.sort(z), np.sort(expected), atol=1e-5)


def test_imputation_and_vocabulary_match_pandas(demo_run):
    import tensorflow_transform as tft

    _, result = demo_run
    raw = pd.DataFrame([{k: (v[0] if v else None) for k, v in r.items()} for r in _raw_split(result, "train")])
    city = raw["city"].fillna(raw["city"].mode()[0])
    expected_vocab = list(city.value_counts().index)
    tft_out = tft.TFTransformOutput(result.output_uri("Transform", "transform_graph"))
    assert [v.decode() for v in tft_out.vocabulary_by_name("city")] == [c.decode() for c in expected_vocab]
    transformed = read_examples(result.output_uri("Transform", "transformed_examples"), "train")
    ids = Counter(r["city"][0] for r in transformed)
    assert [ids[i] for i in range(len(expected_vocab))] == list(city.value_counts().values)
    # tenure_months: constant 0 imputation; as many zeros as missing + real zeros
    tenure = [r["tenure_months"][0] for r in transformed]
    assert tenure.count(0) == raw["tenure_months"].isna().sum() + (raw["tenure_months"] == 0).sum()
    # segment: one-hot of width top_k + oov = 4, exactly one 1 per row
    onehot = np.array([r["segment"] for r in transformed])
    assert onehot.shape == (len(transformed), 4) and (onehot.sum(axis=1) == 1).all()


def test_lineage_walks_events_back_to_the_example_gen_input(demo_run):
    cfg, result = demo_run
    store = mlmd.open_store(cfg.metadata_path)
    [transformed_id] = [i for e in result.executions if e.component == "Transform"
                        for i in e.output_ids["transformed_examples"]]
    nodes = mlmd.upstream(store, transformed_id)
    assert {n.component for n in nodes} == {
        "Transform", "ValidationGate", "ExampleValidator", "SchemaGen", "StatisticsGen", "CsvExampleGen"}
    [gen] = [n for n in nodes if n.component == "CsvExampleGen"]
    assert Path(gen.properties["input_base"]) == CSV.parent
    [transform] = [n for n in nodes if n.component == "Transform"]
    assert {key for key, *_ in transform.inputs} == {"examples", "schema"}
    assert transform.properties["preprocessing_fn"] == "datalife.transforms.tabular.preprocessing_fn"


def _transformed_id(result):
    return [i for e in result.executions if e.component == "Transform" for i in e.output_ids["transformed_examples"]][0]


def test_second_identical_run_is_fully_cached_and_lineage_unchanged(demo_run):
    from datalife.pipeline.lineage import lineage_text, runs_text

    cfg, first = demo_run
    store = mlmd.open_store(cfg.metadata_path)
    before = lineage_text(store, _transformed_id(first))
    _, second = run_config(DEMO, cfg.root_dir)
    assert set(second.states.values()) == {"cached"} and len(second.states) == 6
    assert _transformed_id(second) == _transformed_id(first)
    store = mlmd.open_store(cfg.metadata_path)
    assert lineage_text(store, _transformed_id(second)) == before
    listing = runs_text(store).splitlines()
    assert [line.split(": ", 1)[1] for line in listing if line.startswith("run ")] == [
        "6 executions (complete 6)", "6 executions (cached 6)"]


def test_lineage_text_names_parameters_and_input_fingerprint(demo_run):
    from datalife.pipeline.lineage import final_artifact, lineage_dot, lineage_text

    cfg, result = demo_run
    store = mlmd.open_store(cfg.metadata_path)
    text = lineage_text(store, final_artifact(store))
    assert f"param input_base = {CSV.parent}" in text
    assert "param preprocessing_fn = datalife.transforms.tabular.preprocessing_fn" in text
    size = CSV.stat().st_size
    assert f"input_fingerprint=split:single_split,num_files:1,total_bytes:{size}," in text
    assert '"hash_buckets": 32' in text  # the transform's config, crosses included
    dot = lineage_dot(store, final_artifact(store))
    assert dot.startswith("digraph lineage {") and dot.count("[shape=box") == 6


def test_kubeflow_v2_compile(demo_run, tmp_path):
    import importlib
    import json

    from datalife.pipeline.compile import compile_kubeflow
    from datalife.pipeline.config import load_config

    out = compile_kubeflow(load_config(REPO / "pipeline/configs/weak_labeling.yaml"), tmp_path / "p.json",
                           image="registry.example/datalife:0.1", pipeline_root="gs://bucket/datalife")
    spec = json.loads(out.read_text())["pipelineSpec"]
    assert spec["pipelineInfo"]["name"] == "demo-weak-labeling"
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {"CsvExampleGen", "WeakLabeler", "StatisticsGen", "SchemaGen", "ExampleValidator",
                          "ValidationGate"}
    assert tasks["WeakLabeler"]["dependentTasks"] == ["CsvExampleGen"]
    assert tasks["StatisticsGen"]["dependentTasks"] == ["WeakLabeler"]
    for executor in spec["deploymentSpec"]["executors"].values():
        container = executor["container"]
        assert container["image"] == "registry.example/datalife:0.1"
        if "--executor_class_path" in container["args"]:
            path = container["args"][container["args"].index("--executor_class_path") + 1]
            module, _, cls = path.rpartition(".")
            assert hasattr(importlib.import_module(module), cls), path
    weak = [e for k, e in spec["deploymentSpec"]["executors"].items() if "WeakLabeler" in k][0]
    assert "--direct_num_workers=1" in weak["container"]["args"]


def test_run_report_renders_in_headless_chromium(demo_run, tmp_path):
    import shutil
    import subprocess

    from datalife.pipeline.report import write_run_report

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium package)")
    cfg, _ = demo_run
    page = write_run_report(cfg.root_dir, tmp_path / "report.html")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    out = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120)
    dom = out.stdout
    # the page's script ran (it numbers the sections and builds the table of contents)
    sections = dom.count("<section")
    assert sections >= 4 and f'data-rendered="{sections}"' in dom, out.stderr[-2000:]  # the script ran
    for heading in ("Run ", "Statistics (StatisticsGen)", "Anomalies (ExampleValidator)",
                    "Lineage of Transform.transformed_examples", "No anomalies."):
        assert heading in dom
    assert dom.count('<li><a href="#s') >= sections  # one entry per heading of a section
    assert "Uncaught" not in out.stderr and "CONSOLE" not in out.stderr
    assert dom.count("data:image/png;base64,") >= 1  # the lineage picture, inlined
    # every picture loaded with a size: one histogram / top-values chart per feature and split, the lineage
    pictures = int(re.search(r'data-pictures="(\d+)"', dom).group(1))
    assert pictures >= 1 + 7 * 2 and 'data-broken-pictures="0"' in dom
    # a screenshot for CI (DATALIFE_ARTIFACTS: the folder CI keeps; else the test's tmp folder)
    shots = Path(os.environ.get("DATALIFE_ARTIFACTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "run_report.png"
    subprocess.run([browser, *flags, "--window-size=1200,4000", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 10_000 and shot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name,order", [
    ("detection", ["LabelUnifier", "StatisticsGen", "SchemaGen", "ExampleValidator", "ValidationGate",
                   "ImageAugmenter"]),
    ("speech", ["AudioExampleGen", "StatisticsGen", "SchemaGen", "ExampleValidator", "ValidationGate",
                "AudioAugmenter", "Transform", "SpecAugmenter"]),
])
def test_media_demos_compile_for_kubeflow_with_their_dependencies(name, order, tmp_path):
    import json

    from datalife.pipeline.compile import compile_kubeflow
    from datalife.pipeline.config import load_config

    out = compile_kubeflow(load_config(REPO / f"pipeline/configs/{name}.yaml"), tmp_path / "p.json",
                           image="datalife:test", pipeline_root="gs://bucket/x")
    tasks = json.loads(out.read_text())["pipelineSpec"]["root"]["dag"]["tasks"]
    assert set(tasks) == set(order)
    deps = {t: set(v.get("dependentTasks", [])) for t, v in tasks.items()}
    assert deps[order[0]] == set()
    if name == "speech":
        assert deps["Transform"] >= {"AudioAugmenter"} and deps["SpecAugmenter"] == {"Transform"}
    else:
        assert deps["ImageAugmenter"] >= {"LabelUnifier", "ValidationGate"}


# commands that do not need TensorFlow must not import it (issue 19: fast start)
_NO_TF_PROBE = """
import sys, json
from datalife.cli import main
codes = [main(args) for args in json.loads(sys.argv[1])]
import datalife
codes.append(len(datalife.read(sys.argv[2], component="Transform", split="eval")))
heavy = sorted(m for m in ("tensorflow", "tfx", "apache_beam", "tensorflow_data_validation", "snorkel", "torch")
               if m in sys.modules)
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def test_check_runs_lineage_report_and_convert_never_import_tensorflow(demo_run, tmp_path):
    import json
    import subprocess
    import sys

    cfg, _ = demo_run
    root = str(cfg.root_dir)
    commands = [["check", str(DEMO)], ["runs", root], ["lineage", root], ["report", root],
                ["labels", "convert", str(REPO / "data/detection/coco/annotations.json"), str(tmp_path / "yolo"),
                 "--from", "coco", "--to", "yolo"]]
    out = subprocess.run([sys.executable, "-c", _NO_TF_PROBE, json.dumps(commands), root], capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    eval_rows = len(_raw_split(demo_run[1], "eval"))
    assert result == {"codes": [0, 0, 0, 0, 0, eval_rows], "heavy": []}
    assert "Transform: complete" in out.stdout and "upstream lineage of artifact" in out.stdout
    assert (cfg.root_dir / "report.html").is_file() and any((tmp_path / "yolo").iterdir())


def test_datalife_read_gives_the_runs_examples_as_dataframes(demo_run):
    import datalife

    cfg, result = demo_run
    csv = pd.read_csv(CSV)
    raw = pd.concat([datalife.read(cfg.root_dir, component="csv_example_gen", split=s) for s in ("train", "eval")])
    assert sorted(raw["age"]) == sorted(csv["age"]) and raw["income"].isna().sum() == csv["income"].isna().sum()
    latest = datalife.read(cfg.root_dir)  # the latest run (maybe the cached one), the last Examples output
    assert latest.attrs["component"] == "Transform" and latest.attrs["output"] == "transformed_examples"
    assert len(latest) == len(_raw_split(result, "train")) and abs(latest["age"].mean()) < 1e-5
    with pytest.raises(LookupError, match=r"no split 'test'; the splits are: eval, train"):
        datalife.read(cfg.root_dir, split="test")
    with pytest.raises(LookupError, match=r"the components with Examples are: CsvExampleGen, Transform"):
        datalife.read(cfg.root_dir, component="Trainer")


def test_labels_next_takes_a_run_folder(demo_run, tmp_path):
    """`datalife labels next <run folder>` selects from the Examples the run's StatisticsGen
    read (found through MLMD), quarantines rows with a missing feature (counted as pandas
    counts them), and picks what the selection API picks on the rows `datalife.read` gives."""
    import json

    import datalife
    from datalife.cli import main
    from datalife.common.codec import content_keys
    from datalife.components.examples_beam import split_records
    from datalife.labeling.active.select import select

    cfg, result = demo_run
    out = tmp_path / "lab"
    args = ["labels", "next", str(cfg.root_dir), "-o", str(out), "--features", "age,income",
            "--label-column", "not_labeled_yet", "--strategy", "kmeans", "--batch-size", "5", "--seed", "1"]
    assert main(args) == 0
    info = json.loads((out / "rounds" / "0001" / "round.json").read_text())
    examples = result.output_uri("CsvExampleGen", "examples")
    assert info["source"]["kind"] == "run" and info["source"]["uri"] == examples
    train = datalife.read(cfg.root_dir, component="csv_example_gen", split="train")
    missing = int(train[["age", "income"]].isna().any(axis=1).sum())
    assert missing > 0 and info["quarantined"] == missing
    assert info["unlabeled"] + info["quarantined"] == len(train)
    keys = content_keys(list(split_records(examples, "train")))
    api = select(train[["age", "income"]], keys=keys, strategy="kmeans", batch_size=5, seed=1)
    batch = pd.read_csv(out / "rounds" / "0001" / "batch.csv", dtype={"key": str})
    assert batch["key"].tolist() == api["key"].tolist() and len(batch) == 5
