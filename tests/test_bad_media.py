"""Bad media and series, component by component (issue 21), against the generated corpus
``tests/corpus/make_bad_media.py``: every broken input is quarantined with its reason,
named, and counted, and the accounting holds with it. The executors' ``run`` is called
directly on a DirectRunner pipeline (no TFX orchestration, no full pipeline); the
gate's check gets real TFDV statistics; the run guard a real MLMD store.

Oracles: OpenCV decodes the cut and corrupt images without an error (so the component,
not the decoder, catches them); SciPy reads the cut WAVs without an error; TFDV finds no
anomaly for a column missing from one split under the schema SchemaGen infers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from make_bad_media import IMAGE_CASES, SERIES_CASES, WAV_CASES, write_media  # noqa: E402

BEAM_ARGS = ["--direct_num_workers=1", "--direct_running_mode=in_memory",
             "--sdk_container_image=datalife-local-workers"]  # no TFX sdist per executor (pipeline/engines.py)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_media(tmp_path_factory.mktemp("bad_media"))


def _pipeline():
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    return beam.Pipeline(options=PipelineOptions(BEAM_ARGS))


def _artifacts(root: Path, *names):
    from tfx.types import standard_artifacts

    from datalife.components.artifacts import ComponentReport

    out = []
    for name in names:
        a = ComponentReport() if name == "report" else standard_artifacts.Examples()
        a.uri = str(root / name)
        Path(a.uri).mkdir(parents=True, exist_ok=True)
        out.append(a)
    return out


def _report(report) -> tuple[dict, list[dict]]:
    summary = json.loads(Path(report.uri, "report.json").read_text())
    lines = Path(report.uri, "quarantine.jsonl").read_text().splitlines()
    return summary, [json.loads(x) for x in lines if x]


# ---- audio --------------------------------------------------------------------------

def test_audio_example_gen_quarantines_each_bad_wav_with_its_reason(corpus, tmp_path):
    from scipy.io import wavfile

    from datalife.components.audio_example_gen.executor import run
    from datalife.components.audio_example_gen.spec import AudioExampleGenConfig

    import warnings

    with warnings.catch_warnings():  # oracle: SciPy reads a WAV cut inside its data, only warning
        warnings.simplefilter("ignore")
        rate, data = wavfile.read(corpus["cut_in_data"])
    assert rate == 8000 and 0 < len(data) < 4000
    cfg = AudioExampleGenConfig(input=str(corpus["ok_int16"].parent), label_pattern=r"^(?P<label>[a-z]+)_",
                                sample_rate=8000, seconds=0.5, splits={"train": 1})
    examples, report = _artifacts(tmp_path, "examples", "report")
    run(examples, report, cfg.model_dump_json(), _pipeline())
    summary, quarantined = _report(report)
    c = summary["counts"]
    bad = {n: r for n, (_, r) in WAV_CASES.items() if r}
    assert (c["files_in"], c["clips_out"], c["files_quarantined"]) == (len(WAV_CASES), 2, len(bad))
    got = {q["file"]: q["reason"] for q in quarantined}
    assert got == {f"bad_{n}.wav": r for n, r in bad.items()}
    for reason in set(bad.values()):
        assert c[f"quarantined_{reason}"] == sum(r == reason for r in bad.values())
    [nan] = [q for q in quarantined if q["file"] == "bad_nan.wav"]
    assert "first at sample 100: nan" in nan["message"]
    assert summary["accounting"]  # files_in = clips_out + files_quarantined, checked


def test_audio_augmenter_quarantines_nan_samples_and_counts_them():
    from datalife.common.codec import Columns, encode_example
    from datalife.components.audio_augmenter.beam_glue import AugmentAudio
    from datalife.components.audio_augmenter.spec import AudioAugmenterConfig

    good = np.sin(np.arange(16000) / 7).astype(np.float32) * 0.3
    nan, loud = good.copy(), good.copy()
    nan[3] = np.nan
    loud[9] = 7.0
    raws = [encode_example({"audio": x, "label": "yes", "source_file": f"{n}.wav"})
            for n, x in (("good", good), ("nan", nan), ("loud", loud))]
    cfg = AudioAugmenterConfig(ops=[{"op": "gain", "db": [-3, 3]}], copies=2, seed=1)
    fn = AugmentAudio(cfg.model_dump_json())
    fn.setup()
    out = list(fn.process(("train", raws)))
    tagged = {}
    for o in out:
        tagged.setdefault(o.tag, []).append(o.value)
    [(_, counts)] = tagged["counts"]
    assert counts["clips_in"] == 3 and counts["clips_quarantined"] == 2 and counts["clips_augmented"] == 1
    assert counts["quarantined_non_finite"] == counts["quarantined_out_of_range"] == 1
    assert len(tagged["train"]) == 1 + 2  # the good clip's original and two copies
    assert all(np.isfinite(Columns(tagged["train"]).values("audio")[i]).all() for i in range(3))
    q = {x["file"]: x for x in tagged["quarantine"]}
    assert q["nan.wav"]["reason"] == "non_finite" and q["nan.wav"]["field"] == "audio"
    assert q["loud.wav"]["reason"] == "out_of_range" and "sample 9 is 7" in q["loud.wav"]["message"]
    from datalife.common.accounting import check_accounting

    check_accounting(counts, cfg.rules())


# ---- images -------------------------------------------------------------------------

def test_opencv_alone_accepts_the_cut_and_corrupt_jpegs(corpus):
    import cv2

    for name in ("cut_body.jpg", "flipped_body.jpg"):
        img = cv2.imdecode(np.frombuffer(corpus[name].read_bytes(), np.uint8), cv2.IMREAD_UNCHANGED)
        assert img is not None and img.shape[:2] == (48, 64)  # decoded "as if valid"


def test_image_augmenter_executor_quarantines_each_bad_image(corpus, tmp_path):
    from datalife.common.codec import encode_example
    from datalife.common.tfrecords import write_tfrecords
    from datalife.components.examples_beam import mark_examples
    from datalife.components.image_augmenter.executor import run
    from datalife.components.image_augmenter.spec import AugmenterConfig

    examples, augmented, report = _artifacts(tmp_path, "examples", "augmented", "report")
    mark_examples(examples, ["train"])
    raws = [encode_example({"image/encoded": corpus[n].read_bytes(), "image/filename": n,
                            "image/object/bbox/xmin": [0.1], "image/object/bbox/ymin": [0.1],
                            "image/object/bbox/xmax": [0.6], "image/object/bbox/ymax": [0.7],
                            "image/object/class/label": [1], "image/object/class/text": [b"car"]})
            for n in IMAGE_CASES]
    Path(examples.uri, "Split-train").mkdir()
    write_tfrecords(str(Path(examples.uri, "Split-train", "data.gz")), raws)
    cfg = AugmenterConfig(policy="detection", copies=2, seed=3, sample_images=0)
    run(examples, augmented, report, cfg.model_dump_json(), _pipeline())
    summary, quarantined = _report(report)
    c = summary["counts"]["train"]
    bad = {n: r for n, (_, r) in IMAGE_CASES.items() if r}
    assert (c["images_in"], c["images_augmented"], c["images_quarantined"]) == (len(IMAGE_CASES), 2, len(bad))
    assert {q["file"]: q["reason"] for q in quarantined} == bad
    assert all(q["field"] == "image/encoded" and q["split"] == "train" for q in quarantined)


def test_label_unifier_quarantines_a_cut_image(corpus):
    from datalife.labeling.formats.base import ImageLabels
    from datalife.labeling.unify import Canonical, Source, unify_record

    canon = Canonical(classes=("car",), on_invalid="quarantine")
    source = Source(name="s", format="voc", images=str(corpus["ok.png"].parent))
    outcomes = {}
    for name in ("ok.jpg", "cut_body.jpg", "flipped_body.png"):
        rec = ImageLabels(name, 64, 48, np.array([[4.0, 5.0, 30.0, 40.0]]), ["car"], where=f"ann/{name}.xml")
        outcomes[name] = unify_record(rec, source, canon, "xyxy:pixel", 0)
    assert outcomes["ok.jpg"].example is not None
    for name, reason in (("cut_body.jpg", "truncated_image"), ("flipped_body.png", "corrupt_image")):
        o = outcomes[name]
        [q] = o.quarantined
        assert o.example is None and (q["reason"], q["field"], q["image"]) == (reason, "image", name)
        assert o.counts["images_quarantined"] == 1 and o.counts[f"quarantined_{reason}"] == 1


# ---- windower -----------------------------------------------------------------------

def _windower_run(tmp_path, rows):
    from datalife.common.codec import encode_rows
    from datalife.common.tfrecords import write_tfrecords
    from datalife.components.examples_beam import mark_examples
    from datalife.components.time_series_windower.executor import run
    from datalife.components.time_series_windower.spec import WindowerConfig

    examples, windows, report = _artifacts(tmp_path, "examples", "windows", "report")
    mark_examples(examples, ["train"])
    Path(examples.uri, "Split-train").mkdir()
    clean = [{k: v for k, v in r.items() if v is not None} for r in rows]
    write_tfrecords(str(Path(examples.uri, "Split-train", "data.gz")), encode_rows(
        clean, kinds={"hour": "bytes", "day": "bytes", "month": "bytes", "year": "int"}))
    cfg = WindowerConfig(timestamp={"parts": {"year": "year", "month": "month", "day": "day", "hour": "hour"}},
                         series_key="station", step_seconds=3600, features=["temp"], targets=["temp"],
                         window={"history": 4, "targets": 1, "shift": 1},
                         splits=[{"name": "train", "until": 0.7}, {"name": "test"}])
    run(examples, windows, report, cfg.model_dump_json(), _pipeline())
    return _report(report)


def _as_text(rows):
    return [{k: (None if v is None else (str(v) if k in ("hour", "day", "month") else v)) for k, v in r.items()}
            for r in rows]


def test_windower_quarantines_bad_times_and_short_series_naming_them(tmp_path):
    rows, expected = [], {}
    for i, (name, (make, reason)) in enumerate(SERIES_CASES.items()):
        case = make()
        for r in case:
            r["station"] = f"{name}:{r['station']}"
        rows += case
        expected[name] = reason
    summary, quarantined = _windower_run(tmp_path, _as_text(rows))
    c = summary["counts"]
    by_reason = {}
    for q in quarantined:
        by_reason.setdefault(q["reason"], []).append(q)
    assert c["rows_no_timestamp"] == 2 and c["rows_bad_timestamp"] == 3
    assert c["series_too_short"] == 1 and c["series_in"] == c["series_windowed"] + 1
    assert c["rows_in"] == sum(c.get(k, 0) for k in ("rows_no_timestamp", "rows_bad_timestamp", "rows_off_grid",
                                               "rows_duplicate_time", "rows_gridded"))
    assert c["rows_placed"] == c["rows_in"] - 5 - c.get("rows_off_grid", 0) and c["row_copies_sent"] == c["row_copies_grouped"] >= c["rows_placed"]
    assert len(by_reason["no_timestamp"]) == 2 and len(by_reason["bad_timestamp"]) == 3
    fields = sorted(q["field"] for q in by_reason["no_timestamp"] + by_reason["bad_timestamp"])
    assert fields == ["day", "day", "hour", "hour", "year"]  # month 13: the date, named from its year column
    series = {q["series"] for q in by_reason["bad_timestamp"]}
    assert series == {"nan_hour:a", "text_day:a", "month_13:a"}
    assert all(q["record"] and "[train] row" in q["message"] for q in by_reason["bad_timestamp"])
    [short] = by_reason["series_too_short"]
    assert short["record"] == "short_series:b" and "3 grid row(s)" in short["message"]
    assert c["windows_out"] > 0


def test_windower_with_no_window_out_is_an_error_after_its_report(tmp_path):
    from datalife.components.time_series_windower.executor import NoWindows
    from make_bad_media import _rows

    with pytest.raises(NoWindows, match=r"4 row\(s\) in, no window out .*series_too_short"):
        _windower_run(tmp_path, _as_text(_rows("a", 2) + _rows("b", 2)))
    assert Path(tmp_path, "report", "report.json").exists()


# ---- validation gate ----------------------------------------------------------------

def test_gate_names_a_column_missing_from_one_split(tmp_path):
    import pandas as pd
    import tensorflow_data_validation as tfdv

    from datalife.components.validation_gate.anomalies import columns_missing_in_splits

    train = tfdv.generate_statistics_from_dataframe(pd.DataFrame({"a": [1, 2, 3], "x": [1.0, 2.0, 3.0]}))
    eval_ = tfdv.generate_statistics_from_dataframe(pd.DataFrame({"a": [4, 5]}))
    schema = tfdv.update_schema(tfdv.infer_schema(train), eval_)  # what SchemaGen does over the splits
    assert not tfdv.validate_statistics(eval_, schema).anomaly_info  # oracle: TFDV says nothing
    stats = {"train": train.datasets[0], "eval": eval_.datasets[0]}
    [a] = columns_missing_in_splits(stats, schema)
    assert (a.split, a.feature, a.kind) == ("eval", "x", "COLUMN_MISSING_IN_SPLIT")
    assert "column 'x' is missing in split 'eval' but has values in 'train'" in a.description
    x = tfdv.get_feature(schema, "x")
    x.lifecycle_stage = 0  # a curated schema that marks it optional
    x.presence.min_fraction, x.presence.min_count = 0, 0
    assert columns_missing_in_splits(stats, schema) == []


# ---- fingerprints and the run guard -------------------------------------------------

def test_fingerprint_sees_a_file_changed_in_a_sub_folder(tmp_path):
    import os

    from datalife.components.fingerprint import files_fingerprint, tree_files

    (tmp_path / "top.png").write_bytes(b"1")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    deep = tmp_path / "sub" / "deeper" / "x.png"
    deep.write_bytes(b"12")
    files = tree_files(str(tmp_path))
    assert files == [str(tmp_path / "sub" / "deeper" / "x.png"), str(tmp_path / "top.png")]
    before = files_fingerprint(files)
    deep.write_bytes(b"34")
    os.utime(deep, ns=(1, 1))
    assert files_fingerprint(tree_files(str(tmp_path))) != before


def _store(path):
    from ml_metadata.proto import metadata_store_pb2

    from datalife.pipeline.mlmd import open_store

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = open_store(config)
    t = store.put_execution_type(metadata_store_pb2.ExecutionType(name="Trainer"))
    return store, t


def test_run_guard_refuses_a_store_that_does_not_know_the_outputs(tmp_path):
    from ml_metadata.proto import metadata_store_pb2

    from datalife.pipeline.run_guard import StoreMismatch, check_store_matches_outputs

    root = tmp_path / "pipeline"
    for i in (1, 2):
        (root / "Transform" / "transformed_examples" / str(i)).mkdir(parents=True)
    store, t = _store(tmp_path / "old.sqlite")
    store.put_executions([metadata_store_pb2.Execution(type_id=t) for _ in range(2)])
    check_store_matches_outputs(store, root, ["Transform"], "old")  # the store that made them: fine
    fresh, _ = _store(tmp_path / "new.sqlite")  # metadata.sqlite deleted and made anew
    with pytest.raises(StoreMismatch, match=r"store new does not match the outputs .*2 execution id\(s\)"):
        check_store_matches_outputs(fresh, root, ["Transform"], "new")


def test_killed_run_is_marked_abandoned(tmp_path):
    from ml_metadata.proto import metadata_store_pb2

    from datalife.pipeline import mlmd
    from datalife.pipeline.run_guard import mark_abandoned, take_lease

    store, t = _store(tmp_path / "m.sqlite")
    ctype = store.put_context_type(metadata_store_pb2.ContextType(name="pipeline_run"))
    [ctx] = store.put_contexts([metadata_store_pb2.Context(type_id=ctype, name="run-1")])
    done, running = store.put_executions([
        metadata_store_pb2.Execution(type_id=t, last_known_state=metadata_store_pb2.Execution.COMPLETE),
        metadata_store_pb2.Execution(type_id=t, last_known_state=metadata_store_pb2.Execution.RUNNING)])
    store.put_attributions_and_associations([], [metadata_store_pb2.Association(context_id=ctx, execution_id=e)
                                                 for e in (done, running)])
    lease = take_lease(tmp_path, "run-1")
    assert mark_abandoned(store, tmp_path) == []  # its process (this one) is alive
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lease.write_text(json.dumps({**json.loads(lease.read_text()), "pid": int(dead.stdout)}))
    assert mark_abandoned(store, tmp_path) == [("run-1", running, "Trainer")]
    states = {e.id: e.state for e in mlmd.run_executions(store, mlmd.run_context(store, "run-1"))}
    assert states == {done: "complete", running: "abandoned"}
    assert not lease.exists()
