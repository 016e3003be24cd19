"""What would break when a pipeline leaves this machine (``datalife compile kubeflow |
airflow``, ``datalife check --engine flink|spark|dataflow``): one warning per
problem, naming the config key and the value.

- inputs on local paths: a cluster's workers read them at that path, so they must be
  on a volume mounted there, or (for ExampleGen and curated schemas) on gs://, s3://
  or hdfs://;
- labeling-function and preprocessing modules that are not part of the image (not in
  the ``datalife`` package nor in a distribution the lock installs);
- a container image without an explicit tag (or ``latest``, or the default
  ``datalife:latest``): workers must all run the same, known image.

Nothing here imports TFX; :func:`cluster_warnings` returns the warnings as lines and
:func:`cluster_warnings_frame` as a pandas DataFrame (``key``, ``value``, ``problem``).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path
from typing import Iterator, NamedTuple, Optional

from datalife.pipeline.config import PipelineConfig

__all__ = ["cluster_warnings", "cluster_warnings_frame", "remote_uri", "module_origin", "ClusterWarning"]

REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://")
DEFAULT_IMAGE_TAG = "datalife:latest"
_MARK = "\0"
# read through Beam / TensorFlow file systems, so remote URIs work there
URI_KEYS = ("components.example_gen.input", "components.schema_gen.schema_file")


def remote_uri(path: str) -> bool:
    """``gs://``, ``s3://``, ``hdfs://``, ``http(s)://`` ...: not a local path."""
    return bool(REMOTE.match(path))


class ClusterWarning(NamedTuple):
    key: str  # the config key (or command-line option)
    value: str
    problem: str

    def __str__(self) -> str:
        return f"{self.key}: {self.value}: {self.problem}"


def _path_fields(cfg: PipelineConfig) -> Iterator[tuple[str, str]]:
    """(dotted key, value) of every file or folder a config names."""
    c = cfg.components
    if c.example_gen is not None:
        yield "components.example_gen.input", c.example_gen.input
    if c.schema_gen.schema_file:
        yield "components.schema_gen.schema_file", c.schema_gen.schema_file
    # our components mark their own path fields: `with_base(resolve)` passes each of
    # them through `resolve`; a marking resolver finds them without a list to keep
    for name in type(c).model_fields:
        spec = getattr(c, name)
        if spec is None or not hasattr(spec, "with_base"):
            continue
        marked = spec.with_base(lambda p: _MARK + str(p)).model_dump()

        def walk(node, key):
            if isinstance(node, dict):
                for k, v in node.items():
                    yield from walk(v, f"{key}.{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    yield from walk(v, f"{key}.{i}")
            elif isinstance(node, str) and node.startswith(_MARK):
                yield key, node[len(_MARK):]

        yield from walk(marked, f"components.{name}")


def module_origin(module: str) -> Optional[str]:
    """Where an image built from this repository gets ``module`` from: ``datalife`` (the
    package), the distribution that provides it, or None (only on this machine)."""
    top = module.split(".")[0]
    if top == "datalife":
        return "datalife" if importlib.util.find_spec(module) is not None else None
    dists = importlib.metadata.packages_distributions().get(top)
    return dists[0] if dists else None


def _lock_names(lock: Optional[Path]) -> Optional[set[str]]:
    if lock is None or not lock.is_file():
        return None
    names = set()
    for line in lock.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==", line)
        if m:
            names.add(re.sub(r"[-_.]+", "-", m.group(1)).lower())
    return names


def _modules(cfg: PipelineConfig) -> Iterator[tuple[str, str]]:
    """(dotted key, module) of the user code a config names."""
    c = cfg.components
    if c.weak_labeler is not None:
        yield "components.weak_labeler.lf_module", c.weak_labeler.lf_module.split(":")[0]
    if c.transform is not None:
        yield "components.transform.preprocessing_fn", c.transform.preprocessing_fn.rsplit(".", 1)[0]


def _images(cfg: PipelineConfig, image: Optional[str]) -> Iterator[tuple[str, str]]:
    if image is not None:
        yield "--image", image
    for engine in ("portable", "flink", "spark"):
        section = getattr(cfg.beam, engine)
        if section is not None and section.environment_type == "DOCKER" and section.environment_config:
            yield f"beam.{engine}.environment_config", section.environment_config
    if cfg.beam.dataflow is not None:
        yield "beam.dataflow.sdk_container_image", cfg.beam.dataflow.sdk_container_image


def cluster_warnings(cfg: PipelineConfig, image: Optional[str] = None, lock: Optional[Path] = None,
                     pipeline_root: Optional[str] = None) -> list[ClusterWarning]:
    """Everything in ``cfg`` (and the ``image`` / ``pipeline_root`` given to compile)
    that works on this machine but not on a cluster. ``lock``: the requirements lock
    the image installs (a module's distribution must be in it)."""
    out = []
    for key, value in _path_fields(cfg):
        if remote_uri(value):
            continue
        if key in URI_KEYS:
            problem = ("a local path: a cluster's workers read it at this path; use gs://, s3:// or hdfs://, or "
                       "mount it at this path on every worker")
        else:
            problem = ("a local path, read with local file access: mount it at this path on every worker "
                       "(a shared volume)")
        out.append(ClusterWarning(key, str(cfg.resolve(value)), problem))
    root = pipeline_root or cfg.root or f"runs/{cfg.name}"
    if not remote_uri(root):
        value = root if pipeline_root else str(cfg.root_dir)
        out.append(ClusterWarning("--pipeline-root" if pipeline_root else "root", value,
                            "a local pipeline root: outputs written on a cluster land on each worker's own disk; "
                            "use gs://, s3:// or hdfs:// (compile kubeflow --pipeline-root)"))
    in_lock = _lock_names(lock)
    for key, module in _modules(cfg):
        origin = module_origin(module)
        if origin is None:
            out.append(ClusterWarning(key, module, "not part of the installed datalife package nor of an installed "
                                "distribution: the image will not have it; move it into the package or install "
                                "it in the image"))
        elif origin != "datalife" and in_lock is not None and re.sub(r"[-_.]+", "-", origin).lower() not in in_lock:
            out.append(ClusterWarning(key, module, f"comes from {origin!r}, which requirements.lock does not install: "
                                "the image will not have it"))
    for key, value in _images(cfg, image):
        name = value.rsplit("/", 1)[-1]
        if value == DEFAULT_IMAGE_TAG:
            out.append(ClusterWarning(key, value, "the default image tag: build the image from the repository's "
                                "Dockerfile, push it and pass --image REGISTRY/datalife:VERSION"))
        elif ":" not in name and "@" not in name or value.endswith(":latest"):
            out.append(ClusterWarning(key, value, "no explicit tag (or 'latest'): workers may run different images; "
                                "tag it, e.g. REGISTRY/datalife:0.1.0"))
    return out


def cluster_warnings_frame(cfg: PipelineConfig, image: Optional[str] = None, lock: Optional[Path] = None,
                           pipeline_root: Optional[str] = None):
    """:func:`cluster_warnings` as a DataFrame with columns key, value, problem."""
    import pandas as pd

    return pd.DataFrame(cluster_warnings(cfg, image, lock, pipeline_root), columns=["key", "value", "problem"])
