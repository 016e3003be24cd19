"""Load a user's labeling functions from a module by dotted path or from a file.

``lf_module`` is either a dotted path (``pkg.module`` or ``pkg.module:NAME``; the
module must be importable) or a path to a ``.py`` file (``lfs/spam.py`` or
``lfs/spam.py:NAME``; relative to the working directory), which need not be on
``sys.path``. A file is executed afresh on every load, so a notebook loop sees each
edit; a dotted module is imported once per process (Python's import cache).
``module_sha256`` hashes the source file in both cases (a changed LF module is a
new run).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys

from snorkel.labeling import LabelingFunction

__all__ = ["LFLoadError", "load_lfs", "module_sha256", "is_file_path"]


class LFLoadError(ImportError):
    pass


def _split(path: str) -> tuple[str, str | None]:
    module, sep, attr = path.rpartition(":")
    if not sep or os.sep in attr or attr.endswith(".py"):  # no NAME (a ':' may be a Windows drive)
        return path, None
    return module, (attr or None)


def is_file_path(module: str) -> bool:
    """A ``.py`` file path rather than a dotted module path."""
    return module.endswith(".py") or os.sep in module or (os.altsep is not None and os.altsep in module)


def _import_file(module_path: str, origin: str):
    path = os.path.abspath(module_path)
    if not os.path.isfile(path):
        raise LFLoadError(f"labeling-function file {module_path!r} not found (from lf_module {origin!r}; "
                          f"relative paths are read from {os.getcwd()})")
    name = "datalife_lf_file_" + hashlib.sha256(path.encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so the module's own functions can find it (pickling, dataclasses)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise LFLoadError(f"labeling-function file {module_path!r} failed to run: {type(exc).__name__}: {exc}") \
            from exc
    return module


def load_lfs(path: str) -> list[LabelingFunction]:
    """``pkg.module`` or ``path/to/file.py`` (every LabelingFunction defined at its top
    level, in source order), or either with ``:NAME`` (a list of them). Names must be
    unique."""
    module_name, attr = _split(path)
    if is_file_path(module_name):
        module = _import_file(module_name, path)
    else:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise LFLoadError(f"cannot import labeling-function module {module_name!r} "
                              f"(from lf_module {path!r}): {exc}. A dotted path must be importable (installed, "
                              f"or its folder on PYTHONPATH); or give the path of the .py file") from None
    if attr is not None:
        if not hasattr(module, attr):
            raise LFLoadError(f"module {module_name!r} has no attribute {attr!r} (from lf_module {path!r})")
        lfs = list(getattr(module, attr))
    else:
        lfs = [v for _, v in inspect.getmembers(module) if isinstance(v, LabelingFunction)]
        order = {name: i for i, name in enumerate(vars(module))}
        lfs.sort(key=lambda lf: min((order[k] for k, v in vars(module).items() if v is lf), default=0))
    bad = [repr(x) for x in lfs if not isinstance(x, LabelingFunction)]
    if bad:
        raise LFLoadError(f"{path}: not labeling functions: {', '.join(bad)}")
    if not lfs:
        raise LFLoadError(f"{path}: no labeling functions found")
    names = [lf.name for lf in lfs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise LFLoadError(f"{path}: labeling function names must be unique, repeated: {dupes}")
    return lfs


def module_sha256(path: str) -> str:
    """Content hash of the module's source file (so a changed LF module is a new run)."""
    module_name, _ = _split(path)
    if is_file_path(module_name):
        origin = module_name
        if not os.path.isfile(origin):
            raise LFLoadError(f"labeling-function file {module_name!r} not found")
    else:
        try:
            spec = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin:
            raise LFLoadError(f"cannot find labeling-function module {module_name!r}")
        origin = spec.origin
    with open(origin, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
