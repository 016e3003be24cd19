"""The active sampler's executor, called directly (``Do``) on Examples written with
``common.tfrecords``: the batch it writes is the core's ``select`` on the same pool
(the core's quality is pinned against scikit-activeml in test_active_quality), every
row is accounted for, bad rows are quarantined with their reason, and the files for
people (CSV, JSON, Label Studio tasks) and the report (class balance, picture) are there."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from datalife.common.codec import content_keys, encode_rows
from datalife.common.tfrecords import write_tfrecords
from datalife.components.active_sampler.spec import ActiveSamplerConfig
from datalife.labeling.active.select import select

BEAM_ARGS = ["--direct_num_workers=1", "--direct_running_mode=in_memory",
             "--sdk_container_image=datalife-local-workers"]  # no TFX sdist per executor (pipeline/engines.py)
N, N_LABELED, BATCH = 400, 30, 12


def _digits():
    X, y = load_digits(return_X_y=True)
    X, y = X[:N], y[:N]
    rows = []
    for i in range(N):
        row = {f"px{j:02d}": float(X[i, j]) for j in range(64)}
        row.update({"id": f"d{i:04d}", "text": f"digit image {i}", "label": int(y[i]) if i < N_LABELED else -1})
        rows.append(row)
    return rows, X, y


def _write(tmp: Path, splits: dict) -> object:
    from tfx.types import artifact_utils, standard_artifacts

    ex = standard_artifacts.Examples()
    ex.uri = str(tmp / "examples")
    for split, raws in splits.items():
        (tmp / "examples" / f"Split-{split}").mkdir(parents=True)
        write_tfrecords(str(tmp / "examples" / f"Split-{split}" / "data_tfrecord-00000.gz"), raws)
    ex.split_names = artifact_utils.encode_split_names(list(splits))
    return ex


def _do(tmp: Path, examples, cfg: ActiveSamplerConfig, name: str):
    from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
    from tfx.types import standard_artifacts

    from datalife.components.active_sampler.component import ActiveSampler
    from datalife.components.artifacts import ComponentReport, LabelingBatch

    out = {"selected_examples": [standard_artifacts.Examples()], "labeling_batch": [LabelingBatch()],
           "report": [ComponentReport()]}
    for key, [a] in out.items():
        a.uri = str(tmp / name / key)
        Path(a.uri).mkdir(parents=True)
    context = BaseBeamExecutor.Context(beam_pipeline_args=BEAM_ARGS, tmp_dir=str(tmp / name / "tmp"))
    ActiveSampler.EXECUTOR_SPEC.executor_class(context).Do({"examples": [examples]}, out,
                                                           {"config": cfg.model_dump_json()})
    return {k: v[0] for k, v in out.items()}


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("active")
    rows, X, y = _digits()
    raws = encode_rows(rows)
    bad = dict(rows[-1], id="bad", px00=float("nan"))  # a feature that is not a number
    no_px = {k: v for k, v in rows[-2].items() if k != "px05"} | {"id": "nopx"}  # a feature missing
    extra = encode_rows([bad, no_px]) + [raws[7]]  # ... and an example that occurs twice
    train = raws[:300] + extra
    examples = _write(tmp, {"train": train, "eval": raws[300:]})
    cfg = ActiveSamplerConfig(strategy="margin", batch_size=BATCH, key_field="id", show_field="text",
                              features=[f"px{j:02d}" for j in range(64)], seed=3, read_batch_size=37)
    out = _do(tmp, examples, cfg, "run")
    return tmp, rows, raws, train, X, y, cfg, out


def test_batch_is_the_cores_selection(sampled):
    from datalife.pipeline.examples_io import read_dataframe

    tmp, rows, raws, train, X, y, cfg, out = sampled
    keys = content_keys(raws[:300], [r["id"] for r in rows[:300]])
    labels = np.array([r["label"] for r in rows[:300]], dtype=object)
    want = select(X[:300], labels, keys=keys, strategy="margin", batch_size=BATCH, seed=3)
    got = pd.read_csv(Path(out["labeling_batch"].uri) / "batch.csv")
    assert got["key"].tolist() == want["key"].tolist()
    assert got["rank"].tolist() == list(range(1, BATCH + 1))
    assert np.allclose(got["score"], want["score"]) and got["reason"].tolist() == want["reason"].tolist()
    assert got["id"].tolist() == [k.split("|")[0] for k in want["key"]]
    written = read_dataframe(out["selected_examples"].uri, "batch").sort_values("active_rank")
    assert written["id"].tolist() == got["id"].tolist()
    assert written["active_strategy"].eq("margin").all() and np.allclose(written["active_score"], got["score"])
    # the written examples keep their features: the pixels of the digit they were
    i = int(written["id"].iloc[0][1:])
    assert np.allclose([written[f"px{j:02d}"].iloc[0] for j in range(64)], X[i])


def test_accounting_and_quarantine(sampled):
    tmp, rows, raws, train, X, y, cfg, out = sampled
    report = json.loads((Path(out["report"].uri) / "report.json").read_text())
    c = report["counts"]
    assert c["rows_in"] == len(train) == 303
    assert (c["rows_labeled"], c["rows_unlabeled"], c["rows_quarantined"]) == (N_LABELED, 300 - N_LABELED, 3)
    assert (c["rows_selected"], c["rows_out"]) == (BATCH, BATCH)
    assert report["accounting"]["rules"][0] == "rows_in = rows_labeled + rows_unlabeled + rows_quarantined"
    q = [json.loads(line) for line in (Path(out["report"].uri) / "quarantine.jsonl").read_text().splitlines()]
    assert sorted((r["record"], r["reason"]) for r in q) == [
        ("bad", "non_finite_features"), ("d0007", "duplicate_example"), ("nopx", "missing_features")]


def test_report_and_files_for_people(sampled):
    tmp, rows, raws, train, X, y, cfg, out = sampled
    rdir, bdir = Path(out["report"].uri), Path(out["labeling_batch"].uri)
    report = json.loads((rdir / "report.json").read_text())
    assert report["labeled_class_counts"] == {str(c): int(n) for c, n in zip(*np.unique(y[:N_LABELED],
                                                                                        return_counts=True))}
    assert sum(report["batch_predicted_class_counts"].values()) == BATCH
    html = (rdir / "report.html").read_text()
    assert "Class balance" in html and "selection.png" in html
    assert (rdir / "selection.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    tasks = json.loads((bdir / "tasks.json").read_text())
    batch = json.loads((bdir / "batch.json").read_text())
    assert [t["data"]["datalife_key"] for t in tasks] == [b["key"] for b in batch]
    assert [t["data"]["text"] for t in tasks] == [f"digit image {int(b['id'][1:])}" for b in batch]
    assert "<Choice value=\"9\"/>" in (bdir / "label_config.xml").read_text()


def test_bad_input_named(sampled, tmp_path):
    tmp, rows, raws, train, X, y, cfg, out = sampled
    one_class = [dict(r, label=1 if i < 5 else -1) for i, r in enumerate(rows[:40])]
    examples = _write(tmp_path, {"train": encode_rows(one_class)})
    with pytest.raises(ValueError, match="active_sampler: .*margin"):
        _do(tmp_path, examples, cfg, "one_class")
    with pytest.raises(ValueError, match="splits \\['test'\\] are not in the input"):
        _do(tmp_path, examples, cfg.model_copy(update={"splits": ["test"]}), "no_split")
    with pytest.raises(ValueError, match="strategy_params"):
        ActiveSamplerConfig(strategy="margin", strategy_params={"k": 3})


def test_labels_next_on_the_same_examples_picks_the_same_batch(sampled, tmp_path):
    from datalife.cli import main

    tmp, rows, raws, train, X, y, cfg, out = sampled
    args = ["labels", "next", str(tmp / "examples"), "-o", str(tmp_path / "lab"), "--key-column", "id",
            "--features", ",".join(cfg.features), "--strategy", "margin", "--seed", "3",
            "--batch-size", str(BATCH), "--show-column", "text"]
    assert main(args) == 0
    cli = pd.read_csv(tmp_path / "lab" / "rounds" / "0001" / "batch.csv", dtype={"key": str})
    component = pd.read_csv(Path(out["labeling_batch"].uri) / "batch.csv", dtype={"key": str})
    assert cli["key"].tolist() == component["key"].tolist()
    info = json.loads((tmp_path / "lab" / "rounds" / "0001" / "round.json").read_text())
    assert (info["duplicates_dropped"], info["quarantined"]) == (1, 2)  # as the component counted them
