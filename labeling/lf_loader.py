"""Load a user's labeling functions from a module by dotted path."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect

from snorkel.labeling import LabelingFunction

__all__ = ["LFLoadError", "load_lfs", "module_sha256"]


class LFLoadError(ImportError):
    pass


def _split(path: str) -> tuple[str, str | None]:
    module, _, attr = path.partition(":")
    return module, (attr or None)


def load_lfs(path: str) -> list[LabelingFunction]:
    """``pkg.module`` (every LabelingFunction defined at its top level, in source order)
    or ``pkg.module:NAME`` (a list of them). Names must be unique."""
    module_name, attr = _split(path)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LFLoadError(f"cannot import labeling-function module {module_name!r} "
                          f"(from lf_module {path!r}): {exc}") from None
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
    spec = importlib.util.find_spec(module_name)
    if spec is None or not spec.origin:
        raise LFLoadError(f"cannot find labeling-function module {module_name!r}")
    with open(spec.origin, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
