"""CLI polish (issue 19): --version, argument help on every subcommand, errors naming
unknown artifacts, and a failed execution's reason in `datalife runs`. On a small MLMD
store made here (no pipeline run, no TensorFlow)."""
import json

import pytest
from ml_metadata.proto import metadata_store_pb2

from datalife import __version__
from datalife.cli import build_parser, main
from datalife.pipeline import mlmd
from datalife.pipeline.lineage import failure_reason, runs_text


def test_version_and_every_argument_is_described(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"datalife {__version__}"
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in subparsers.items():
        for action in sub._actions:
            if action.dest not in ("help", "labels_command"):
                assert action.help, f"datalife {name}: argument {action.dest!r} has no help"


@pytest.fixture
def store(tmp_path):
    """A store holding one run: an ExampleGen that made an artifact, a Transform that failed."""
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(tmp_path / "metadata.sqlite")
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    s = mlmd.open_store(config)
    art_type = s.put_artifact_type(metadata_store_pb2.ArtifactType(name="Examples"))
    exe_type = s.put_execution_type(metadata_store_pb2.ExecutionType(name="tfx.Transform"))
    run_type = s.put_context_type(metadata_store_pb2.ContextType(name="pipeline_run"))
    node_type = s.put_context_type(metadata_store_pb2.ContextType(name="node"))
    [aid] = s.put_artifacts([metadata_store_pb2.Artifact(type_id=art_type, uri=str(tmp_path / "a"))])
    ok = metadata_store_pb2.Execution(type_id=exe_type, last_known_state=metadata_store_pb2.Execution.COMPLETE)
    bad = metadata_store_pb2.Execution(type_id=exe_type, last_known_state=metadata_store_pb2.Execution.FAILED)
    result = {"resultMessage": "Traceback (most recent call last):\n  ...\nValueError: age: 3 values, expected 1\n"}
    bad.custom_properties["__execution_result__"].string_value = json.dumps(result)
    ids = s.put_executions([ok, bad])
    [run] = s.put_contexts([metadata_store_pb2.Context(type_id=run_type, name="run-1")])
    nodes = s.put_contexts([metadata_store_pb2.Context(type_id=node_type, name=f"p.{n}")
                            for n in ("ExampleGen", "Transform")])
    s.put_attributions_and_associations(
        [metadata_store_pb2.Attribution(context_id=run, artifact_id=aid)],
        [metadata_store_pb2.Association(context_id=c, execution_id=e) for e in ids for c in [run]]
        + [metadata_store_pb2.Association(context_id=n, execution_id=e) for n, e in zip(nodes, ids)])
    out = metadata_store_pb2.Event(artifact_id=aid, execution_id=ids[0], type=metadata_store_pb2.Event.OUTPUT)
    out.path.steps.add().key = "examples"
    s.put_events([out])
    return tmp_path, s, ids


def test_runs_names_the_failure_reason(store, capsys):
    root, s, ids = store
    assert failure_reason(s, ids[1]) == "ValueError: age: 3 values, expected 1"
    assert main(["runs", str(root)]) == 0
    text = capsys.readouterr().out
    assert "  ExampleGen: complete (execution 1)\n" in text
    assert "  Transform: failed (execution 2): ValueError: age: 3 values, expected 1" in text
    assert runs_text(s) in text


def test_lineage_of_an_unknown_artifact_is_an_error(store, capsys):
    root, _, _ = store
    assert main(["lineage", str(root), "999"]) == 2
    assert "no artifact 999; the store holds artifacts 1..1" in capsys.readouterr().err
    assert main(["lineage", str(root), "1"]) == 0
    assert "upstream lineage of artifact 1 (1 executions)" in capsys.readouterr().out
