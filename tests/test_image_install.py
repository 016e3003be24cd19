"""The repository's Dockerfile, without a Docker daemon: its install steps
(``docker/install.sh``, the script the Dockerfile runs) run into a fresh virtualenv
from a copy of the build context (``.dockerignore`` applied), and every module the
compiled Kubeflow specs of the demos name (executor classes, Transform's
preprocessing_fn, the labeling-function module) imports there, from the installed
package, not from the source tree. Also: ``datalife compile`` warns about what would
break on a cluster, naming each one."""
from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from datalife.cli import main as cli

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
DEMOS = ("tabular", "weak_labeling", "forecasting", "detection", "speech")


def test_dockerfile_runs_the_shared_install_script():
    steps = [line.split()[0] for line in (REPO / "Dockerfile").read_text().splitlines()
             if line and not line.startswith(("#", " "))]
    assert steps == ["FROM", "WORKDIR", "COPY", "ARG", "RUN", "COPY", "ENTRYPOINT"]
    assert 'RUN FIND_LINKS="$FIND_LINKS" sh docker/install.sh python3' in (REPO / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in (REPO / "Dockerfile").read_text()


def _build_context(dest: Path) -> Path:
    """What ``COPY . .`` copies: the repository minus .dockerignore's patterns."""
    patterns = [p.strip().removeprefix("**/") for p in (REPO / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]

    def ignore(folder, names):
        return [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]

    shutil.copytree(REPO, dest, ignore=ignore)
    return dest


def _named_modules(spec: dict) -> set[str]:
    """Dotted names a compiled spec makes the image import: executor classes, and the
    preprocessing_fn and lf_module in the components' parameters."""
    names = set()
    for executor in spec["deploymentSpec"]["executors"].values():
        args = executor["container"]["args"]
        names.add(args[args.index("--executor_class_path") + 1])
    for task in spec["root"]["dag"]["tasks"].values():
        for param, value in task.get("inputs", {}).get("parameters", {}).items():
            text = value.get("runtimeValue", {}).get("constantValue", {}).get("stringValue")
            if text is None:
                continue
            if param == "preprocessing_fn":
                names.add(text)
            elif text.startswith("{") and "lf_module" in text:
                names.add("lf_module:" + json.loads(text)["lf_module"])
    return names


CHECK = r"""
import importlib, json, sys
from pathlib import Path
out = {"datalife": __import__("datalife").__file__}
for name in json.loads(sys.argv[1]):
    try:
        if name.startswith("lf_module:"):
            from datalife.labeling.lf_loader import load_lfs
            out[name] = [lf.name for lf in load_lfs(name.split(":", 1)[1])]
        else:
            module, _, attr = name.rpartition(".")
            out[name] = type(getattr(importlib.import_module(module), attr)).__name__
    except Exception as exc:
        out[name] = f"ERROR {type(exc).__name__}: {exc}"
print(json.dumps(out))
"""


def test_image_install_steps_give_every_module_the_compiled_specs_name(tmp_path):
    from datalife.pipeline.compile import compile_kubeflow
    from datalife.pipeline.config import load_config

    names = set()
    for demo in DEMOS:
        out = compile_kubeflow(load_config(REPO / "pipeline" / "configs" / f"{demo}.yaml"), tmp_path / f"{demo}.json",
                               image="registry.example/datalife:0.1.0", pipeline_root="gs://bucket/datalife")
        names |= _named_modules(json.loads(out.read_text())["pipelineSpec"])
    assert {"datalife.components.weak_labeler.component.WeakLabeler_Executor",
            "datalife.transforms.audio_transform.preprocessing_fn",
            "lf_module:datalife.labeling.examples.youtube_spam"} <= names
    context = _build_context(tmp_path / "context")
    assert not (context / ".venv").exists() and (context / "docker" / "install.sh").is_file()
    venv = tmp_path / "image-venv"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    find_links = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.find-links"],
                                capture_output=True, text=True).stdout.strip()
    # the machine's environment (certificates, package indexes) as a docker build would get it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env.update(PATH="/usr/bin:/bin", FIND_LINKS=find_links)
    install = subprocess.run(["sh", "docker/install.sh", str(python)], cwd=context, capture_output=True, text=True,
                             env=env)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    check = subprocess.run([str(python), "-c", CHECK, json.dumps(sorted(names))], cwd=tmp_path, capture_output=True,
                           text=True, env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert check.returncode == 0, check.stderr[-3000:]
    found = json.loads(check.stdout.strip().splitlines()[-1])
    # the package installed in the environment, not the build context or this checkout
    assert found.pop("datalife").startswith(str(venv / "lib"))
    errors = {k: v for k, v in found.items() if str(v).startswith("ERROR")}
    assert not errors, errors
    assert len(found["lf_module:datalife.labeling.examples.youtube_spam"]) == 10
    print(f"{len(found)} names import in the image environment")


def test_compile_warns_about_what_a_cluster_cannot_reach(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "m.csv").write_text("id,text\na,hello\n")
    (tmp_path / "c.yaml").write_text(
        "name: cluster-check\ncomponents:\n  example_gen: {input: data}\n"
        "  weak_labeler: {lf_module: lf_fixtures, id_field: id}\n")
    assert cli(["compile", "kubeflow", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "p.json")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: components.example_gen.input: {tmp_path / 'data'}: a local path: a cluster's workers read it at "
        "this path; use gs://, s3:// or hdfs://, or mount it at this path on every worker",
        f"warning: root: {tmp_path / 'runs' / 'cluster-check'}: a local pipeline root: outputs written on a cluster "
        "land on each worker's own disk; use gs://, s3:// or hdfs:// (compile kubeflow --pipeline-root)",
        "warning: components.weak_labeler.lf_module: lf_fixtures: not part of the installed datalife package nor "
        "of an installed distribution: the image will not have it; move it into the package or install it in the "
        "image",
        "warning: --image: datalife:latest: the default image tag: build the image from the repository's "
        "Dockerfile, push it and pass --image REGISTRY/datalife:VERSION",
    ]
    # with remote paths, a tagged image and packaged LFs: nothing to say
    (tmp_path / "c.yaml").write_text(
        "name: cluster-check\ncomponents:\n  example_gen: {input: 'gs://bucket/data'}\n"
        "  weak_labeler: {lf_module: datalife.labeling.examples.youtube_spam, id_field: id}\n")
    assert cli(["compile", "airflow", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "dag.py")]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("warning: ")] == [
        f"warning: root: {tmp_path / 'runs' / 'cluster-check'}: a local pipeline root: outputs written on a cluster "
        "land on each worker's own disk; use gs://, s3:// or hdfs:// (compile kubeflow --pipeline-root)"]
