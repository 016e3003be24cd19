"""The label propagator component, executor to executor (``executor.run`` on Examples
written with ``common.tfrecords``): scikit-learn's digits (real handwriting) with 10%
labeled, against scikit-learn's LabelSpreading on the same split and the core's frame
API on the same rows; quarantine, pass-through splits, accounting; bad labels."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from component_io import read_split, run_executor
from datalife.common.codec import encode_rows, to_dataframe
from datalife.components.label_propagator.executor import run
from datalife.components.label_propagator.spec import LabelPropagatorConfig

PIXELS = [f"px{j}" for j in range(64)]


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    labeled = np.zeros(len(y), bool)
    labeled[np.random.default_rng(0).choice(len(y), 180, replace=False)] = True
    return x, y, labeled


def _rows(x, y, labeled, embedding=False):
    rows = []
    for i in range(len(y)):
        r = {"id": [i], "true": [int(y[i])]}
        if embedding:
            r["emb"] = x[i].astype(np.float32).tolist()
        else:
            r.update({p: [float(v)] for p, v in zip(PIXELS, x[i])})
        r["label"] = [int(y[i])] if labeled[i] else [-1]   # -1: Snorkel's abstain = unlabeled
        rows.append(r)
    return rows


@pytest.fixture(scope="module")
def run_digits(digits, tmp_path_factory):
    x, y, labeled = digits
    rows = _rows(x, y, labeled)
    rows += [{"id": [5000], "label": [3], **{p: [1.0] for p in PIXELS[:-1]}, "px63": [float("nan")]},  # NaN
             {"id": [5001], "label": [-1], **{p: [1.0] for p in PIXELS[1:]}}]       # px0 missing
    eval_rows = [{"id": [6000 + i], "label": [-1], "px0": [0.0]} for i in range(5)]  # passes through
    cfg = LabelPropagatorConfig(features=PIXELS, id_field="id", splits=["train"], holdout=0.0,
                                min_confidence=0.0, eval_label_field="true", batch_size=300)
    tmp = tmp_path_factory.mktemp("digits")
    out, report = run_executor(run, tmp, {"train": encode_rows(rows), "eval": encode_rows(eval_rows)},
                               cfg.model_dump_json())
    return cfg, out, report, tmp


def test_digits_accuracy_beats_sklearn_label_spreading(digits, run_digits):
    from sklearn.semi_supervised import LabelSpreading

    x, y, labeled = digits
    _, out, report, _ = run_digits
    df = to_dataframe(read_split(out, "train")).set_index("id").loc[np.arange(len(y))]
    unlabeled = ~labeled
    ours = float((df["label"].to_numpy()[unlabeled] == y[unlabeled]).mean())
    theirs = {}
    for name, model in {"knn": LabelSpreading(kernel="knn", n_neighbors=7),
                        "rbf": LabelSpreading(kernel="rbf", gamma=0.001, max_iter=100)}.items():
        model.fit(x, np.where(labeled, y, -1))
        theirs[name] = float((model.transduction_[unlabeled] == y[unlabeled]).mean())
    assert ours >= max(theirs.values()) and ours >= 0.96, (ours, theirs)
    assert report["eval"]["accuracy (not gold rows)"] == pytest.approx(ours, abs=1e-9)
    # gold rows keep their labels; every row gets one with min_confidence 0
    assert (df["label_source"].to_numpy()[labeled] == "gold").all()
    assert (df["label"].to_numpy()[labeled] == y[labeled]).all()
    assert set(df["label_source"]) == {"gold", "propagated"}


def test_component_equals_the_core_frame_api(digits, run_digits):
    from datalife.labeling.propagation.frame import propagate_frame

    x, y, labeled = digits
    cfg, out, _, _ = run_digits
    df = to_dataframe(read_split(out, "train")).set_index("id").loc[np.arange(len(y))]
    frame = pd.DataFrame(x, columns=PIXELS)
    frame["label"] = pd.Series([int(v) if m else None for v, m in zip(y, labeled)], dtype=object)
    frame["id"] = np.arange(len(y))
    core = propagate_frame(frame, label="label", features=PIXELS, knn=cfg.knn, spread=cfg.spread,
                           min_confidence=0.0, holdout=0.0).rows
    # same rows, same graph: same labels (the row order differs: the component sorts by key)
    agree = float((core["label"].to_numpy() == df["label"].to_numpy()).mean())
    assert agree >= 0.995, agree
    probs = np.stack(df["label_probs"].to_numpy())
    assert probs.shape == (len(y), 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(df["label_confidence"].to_numpy(), probs.max(axis=1), atol=1e-6)


def test_accounting_quarantine_and_pass_through(run_digits):
    _, out, report, tmp = run_digits
    train, ev = report["counts"]["train"], report["counts"]["eval"]
    assert train["rows_in"] == 1799 and train["rows_out"] == 1797 and train["rows_quarantined"] == 2
    assert train["quarantined_missing_feature"] == 2  # NaN counts as missing, as in the core
    assert train["gold"] == 180 and train["gold"] + train["propagated"] + train["none"] == 1797
    assert ev == {"rows_in": 5, "rows_out": 5, "passed_through": 5, "rows_quarantined": 0, "gold": 0,
                  "propagated": 0, "none": 0}
    assert len(read_split(out, "eval")) == 5 and "label_source" not in to_dataframe(read_split(out, "eval"))
    quarantine = [json.loads(line) for line in (tmp / "report" / "quarantine.jsonl").read_text().splitlines()]
    assert sorted((q["reason"], q["field"]) for q in quarantine) == [("missing_feature", "px0"),
                                                                     ("missing_feature", "px63")]
    assert {q["record"].split("|")[0] for q in quarantine} == {"5000", "5001"}
    assert report["accounting"]["rules"] == ["rows_in = rows_out + rows_quarantined",
                                             "rows_out = gold + propagated + none + passed_through"]
    assert {"projection.png", "confidence.png"} <= {p.name for p in (tmp / "report").iterdir()}
    hist = report["confidence_histogram"]
    assert sum(b["rows"] for b in hist) == 1797 - 180


def test_embedding_input_holdout_and_threshold(digits, tmp_path):
    """The embedding path (a float-list feature), a held-out share scored, a confidence
    threshold leaving uncertain rows unlabeled, and a wrong-length embedding quarantined."""
    x, y, labeled = digits
    rows = _rows(x[:600], y[:600], labeled[:600] | (np.arange(600) % 10 == 0), embedding=True)
    rows.append({"id": [7000], "label": [-1], "emb": [0.5] * 10})
    cfg = LabelPropagatorConfig(embedding="emb", id_field="id", holdout=0.3, min_confidence=0.7,
                                knn={"k": 7}, eval_label_field="true")
    out, report = run_executor(run, tmp_path, {"train": encode_rows(rows)}, cfg.model_dump_json())
    c = report["counts"]["train"]
    assert c["rows_quarantined"] == c["quarantined_embedding_length"] == 1
    assert report["holdout_rows"] > 10 and report["holdout_accuracy"] >= 0.85
    df = to_dataframe(read_split(out, "train"))
    none = df[df["label_source"] == "none"]
    assert len(none) == c["none"] > 0
    assert (none["label_confidence"] < 0.7).all() and (none["label"] == -1).all()  # left as given
    prop = df[df["label_source"] == "propagated"]
    assert (prop["label_confidence"] >= 0.7).all()
    assert report["eval"]["accuracy (propagated rows)"] >= 0.95


def test_a_label_outside_the_vocabulary_is_a_clear_error(tmp_path):
    rows = [{"id": [i], "f": [float(i)], "label": [i % 3]} for i in range(30)]
    cfg = LabelPropagatorConfig(features=["f"], vocabulary=[0, 1], id_field="id", knn={"k": 3})
    with pytest.raises(Exception, match=r"label=2 is not in the vocabulary \[0, 1\]"):
        run_executor(run, tmp_path, {"train": encode_rows(rows)}, cfg.model_dump_json())


def test_config_needs_exactly_one_feature_source():
    with pytest.raises(ValueError, match="exactly one of 'features'"):
        LabelPropagatorConfig(features=["a"], embedding="e")
    with pytest.raises(ValueError, match="exactly one of 'features'"):
        LabelPropagatorConfig()
    with pytest.raises(ValueError, match="k must be >= 1"):
        LabelPropagatorConfig(embedding="e", knn={"k": 0})


def test_text_labels_keep_their_kind_in_batches_without_labels(tmp_path):
    """String labels, and batches where no example has the label feature: the written
    label is text everywhere (a feature keeps one kind), by the nearest cluster."""
    rng = np.random.default_rng(1)
    rows = []
    for i in range(40):
        cluster = i % 2
        r = {"id": [i], "f": [float(cluster * 10 + rng.normal())]}
        if i < 4:
            r["label"] = ["dog" if cluster else "cat"]
        rows.append(r)
    cfg = LabelPropagatorConfig(features=["f"], id_field="id", knn={"k": 3}, holdout=0.0, min_confidence=0.0,
                                batch_size=5)
    out, report = run_executor(run, tmp_path, {"train": encode_rows(rows)}, cfg.model_dump_json())
    df = to_dataframe(read_split(out, "train")).sort_values("id")
    assert df["label"].tolist() == ["cat", "dog"] * 20
    assert report["class_counts"] == [{"class": "cat", "labeled_before": 2, "labeled_after": 20, "propagated": 18},
                                      {"class": "dog", "labeled_before": 2, "labeled_after": 20, "propagated": 18}]
