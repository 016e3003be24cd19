"""The rebalancer's executor on Examples written with ``common.tfrecords`` (no TFX
orchestration): load_breast_cancer reduced to 5% malignant (seeded), a train and an
eval split. Oracles: imbalanced-learn 0.14's class counts for the same strategy and
target, scikit-learn's NearestNeighbors for SMOTE's partners (every synthetic point
checked on its segment), the pandas API example for example, the eval split byte for
byte, and the report's counts against the plan."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

FEATS = [f"f{j:02d}" for j in range(30)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from sklearn.datasets import load_breast_cancer

    from datalife.common.codec import content_keys, encode_rows
    from datalife.common.tfrecords import write_tfrecords

    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    keep = np.concatenate([np.flatnonzero(y == 1), rng.choice(np.flatnonzero(y == 0), 19, replace=False)])
    X, y = X[keep].astype(np.float32), y[keep]  # 357 benign (label 1), 19 malignant (label 0): 5%
    order = rng.permutation(len(y))
    X, y = X[order], y[order]
    raws = encode_rows([{**{f: [float(v)] for f, v in zip(FEATS, x)}, "label": [int(t)]} for x, t in zip(X, y)],
                       kinds={**{f: "float" for f in FEATS}, "label": "int"})
    train = np.arange(len(raws)) % 5 != 0
    root = tmp_path_factory.mktemp("rebalancer")
    for split, mask in (("train", train), ("eval", ~train)):
        (root / "in" / f"Split-{split}").mkdir(parents=True)
        rows = [r for r, m in zip(raws, mask) if m]
        write_tfrecords(str(root / "in" / f"Split-{split}" / "data_tfrecord-00000-of-00002.gz"), rows[::2])
        write_tfrecords(str(root / "in" / f"Split-{split}" / "data_tfrecord-00001-of-00002.gz"), rows[1::2])
    keys = np.array(content_keys(raws))
    df = pd.DataFrame(X[train].astype(np.float64), columns=FEATS, index=keys[train])
    df["label"] = y[train].astype(str)
    return {"root": root, "df": df, "eval": sorted(r for r, m in zip(raws, train) if not m),
            "X": X[train].astype(np.float64), "y": y[train]}


def run_rebalancer(root: Path, name: str, workers: int = 1, **config):
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from tfx.types import standard_artifacts

    from datalife.components.artifacts import ComponentReport
    from datalife.components.examples_beam import mark_examples
    from datalife.components.rebalancer.executor import run
    from datalife.components.rebalancer.spec import RebalancerConfig

    examples = standard_artifacts.Examples()
    examples.uri = str(root / "in")
    mark_examples(examples, ["train", "eval"])
    out, report = standard_artifacts.Examples(), ComponentReport()
    out.uri, report.uri = str(root / name / "examples"), str(root / name / "report")
    Path(report.uri).mkdir(parents=True)
    opts = PipelineOptions(direct_num_workers=workers,
                           direct_running_mode="multi_threading" if workers > 1 else "in_memory")
    run(examples, out, report, RebalancerConfig(seed=7, **config).model_dump_json(), beam.Pipeline(options=opts))
    return out, json.loads((Path(report.uri) / "report.json").read_text())


def output_frame(out) -> pd.DataFrame:
    from datalife.pipeline.examples_io import read_dataframe

    df = read_dataframe(out.uri, "train")
    for c in df.columns:
        if df[c].map(lambda v: isinstance(v, (list, np.ndarray))).any():
            df[c] = df[c].map(lambda v: v[0] if len(v) else None)
        if len(df) and isinstance(df[c].iloc[0], bytes):
            df[c] = df[c].map(lambda v: v.decode() if isinstance(v, bytes) else v)
    return df


def _imblearn_counts(sampler, X, y) -> dict:
    _, yr = sampler.fit_resample(X, y)
    return {str(c): int(n) for c, n in zip(*np.unique(yr, return_counts=True))}


@pytest.fixture(scope="module")
def oversampled(data):
    return run_rebalancer(data["root"], "ros", workers=2, strategy="oversample", target={"ratio": 0.5})


@pytest.fixture(scope="module")
def smoted(data):
    return run_rebalancer(data["root"], "smote", strategy="smote", target="balance", k_neighbors=5)


def test_oversample_counts_equal_imblearn_and_output_equals_pandas_api(data, oversampled):
    from imblearn.over_sampling import RandomOverSampler

    from datalife.transforms.rebalance import rebalance

    out, report = oversampled
    want = _imblearn_counts(RandomOverSampler(sampling_strategy=0.5, random_state=0), data["X"], data["y"])
    got = output_frame(out)
    assert got["label"].astype(str).value_counts().to_dict() == want
    assert report["classes"]["train"]["counts_out"] == want
    api = rebalance(data["df"], "label", strategy="oversample", target=0.5, seed=7)
    ours = sorted(zip(got["rebalance/source"], got["rebalance/kind"], got["rebalance/copy"]))
    theirs = sorted(zip(api["rebalance_source"], api["rebalance_kind"].astype(str), api["rebalance_copy"]))
    assert ours == theirs  # the same examples duplicated, the same number of times (2 workers)
    acc = report["accounting"]["checked"]["train"]
    assert acc["rows_in"] == len(data["df"]) and acc["rows_added"] == sum(want.values()) - len(data["df"])


def test_eval_split_passes_through_byte_for_byte(data, oversampled):
    from datalife.components.examples_beam import split_records

    out, report = oversampled
    assert sorted(split_records(out.uri, "eval")) == data["eval"]
    assert report["counts"]["eval"]["passed_through"] == len(data["eval"])


def test_smote_partners_are_sklearn_neighbours_and_points_on_segments(data, smoted):
    from imblearn.over_sampling import SMOTE
    from sklearn.neighbors import NearestNeighbors

    out, report = smoted
    want = _imblearn_counts(SMOTE(k_neighbors=5, random_state=0), data["X"], data["y"])
    got = output_frame(out)
    assert got["label"].astype(str).value_counts().to_dict() == want
    syn = got[got["rebalance/kind"] == "synthetic"]
    assert len(syn) == want["0"] - (data["y"] == 0).sum() and set(syn["label"].astype(str)) == {"0"}
    df = data["df"]
    minority = df[df["label"] == "0"]
    nn = NearestNeighbors(n_neighbors=6).fit(minority[FEATS].to_numpy())
    _, ind = nn.kneighbors(minority[FEATS].to_numpy())
    neighbours = {k: {minority.index[j] for j in row[1:]} for k, row in zip(minority.index, ind)}
    a = minority.loc[syn["rebalance/source"], FEATS].to_numpy()
    b = minority.loc[syn["rebalance/partner"], FEATS].to_numpy()
    gap = syn["rebalance/gap"].to_numpy()[:, None]
    pts = syn[FEATS].to_numpy(np.float64)
    assert all(p in neighbours[s] for s, p in zip(syn["rebalance/source"], syn["rebalance/partner"]))
    np.testing.assert_allclose(pts, a + gap * (b - a), rtol=1e-6, atol=1e-6 * np.abs(a).max())  # float32 written
    assert ((gap >= 0) & (gap < 1)).all()


def test_smote_equals_pandas_api(data, smoted):
    from datalife.transforms.rebalance import rebalance

    got = output_frame(smoted[0])
    api = rebalance(data["df"], "label", strategy="smote", target="balance", seed=7, k_neighbors=5, features=FEATS)
    syn_api = api[api["rebalance_kind"] == "synthetic"].set_index(["rebalance_source", "rebalance_copy"]).sort_index()
    syn = got[got["rebalance/kind"] == "synthetic"].set_index(["rebalance/source", "rebalance/copy"]).sort_index()
    assert list(syn.index) == list(syn_api.index)
    assert list(syn["rebalance/partner"]) == list(syn_api["rebalance_partner"])
    np.testing.assert_allclose(syn[FEATS].to_numpy(np.float64), syn_api[FEATS].to_numpy(), rtol=2e-7, atol=1e-4)


def test_report_has_class_balance_picture_and_counts(smoted, data):
    out, report = smoted
    r = report["classes"]["train"]
    n0 = int((data["y"] == 0).sum())
    assert r["counts_in"] == {"0": n0, "1": int((data["y"] == 1).sum())}
    assert r["by_kind"]["0"]["synthetic"] == r["counts_out"]["0"] - n0 and r["removed"] == {"0": 0, "1": 0}
    png = Path(out.uri).parent / "report" / "classes_train.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "classes_train.png" in (png.parent / "report.html").read_text()


def test_undersample_and_weights_against_imblearn_and_sklearn(data):
    from imblearn.under_sampling import RandomUnderSampler
    from sklearn.utils.class_weight import compute_class_weight

    out, report = run_rebalancer(data["root"], "rus", strategy="undersample", target="balance")
    want = _imblearn_counts(RandomUnderSampler(random_state=0), data["X"], data["y"])
    assert output_frame(out)["label"].astype(str).value_counts().to_dict() == want
    assert report["classes"]["train"]["removed"]["1"] == (data["y"] == 1).sum() - want["1"]
    out, report = run_rebalancer(data["root"], "weight", strategy="weight", weighting="inverse")
    got = output_frame(out)
    w = compute_class_weight("balanced", classes=np.array([0, 1]), y=data["y"])
    assert len(got) == len(data["y"])
    np.testing.assert_allclose(got.groupby("label")["sample_weight"].agg(["min", "max"]).to_numpy(),
                               np.repeat(w[:, None], 2, axis=1), rtol=1e-6)


def test_bad_input_names_the_class_and_numbers(data):
    with pytest.raises(Exception, match=r"class '0' has 1[0-9] examples, target 100"):
        run_rebalancer(data["root"], "bad_counts", strategy="undersample", target={"counts": {"0": 100}})
    with pytest.raises(Exception, match=r"k_neighbors=30 needs at least 31 examples .* class '0' has 1[0-9]"):
        run_rebalancer(data["root"], "bad_k", strategy="smote", k_neighbors=30)
