"""What ``datalife check`` (and every run, before any Beam work) verifies about the
weak labeler against the input: the LF module loads (a dotted module or a ``.py``
file), ``id_field``, ``dev_label_field`` and the end model's fields are input
columns, ``dev_split`` and ``fit_splits`` are splits of the config. One message per
problem, naming the config file, line and key."""
from __future__ import annotations

from typing import Callable, Mapping, Optional, Sequence

from datalife.components.weak_labeler.spec import WeakLabelerConfig

__all__ = ["config_problems", "resolve_lf_module"]

BASE = ("components", "weak_labeler")


def resolve_lf_module(lf_module: str, resolve: Callable[[str], object]) -> str:
    """A ``.py`` file path made absolute against the config's folder (``resolve``); a
    dotted module path as it is."""
    from datalife.labeling.lf_loader import is_file_path

    module, sep, attr = lf_module.rpartition(":")
    if not sep or "/" in attr or attr.endswith(".py"):
        module, attr = lf_module, None
    if not is_file_path(module):
        return lf_module
    return str(resolve(module)) + (f":{attr}" if attr else "")


def config_problems(spec: WeakLabelerConfig, columns: Sequence[str], splits: Sequence[str], where: str,
                    lines: Mapping[tuple, int], resolve: Optional[Callable[[str], object]] = None) -> list[str]:
    from datalife.labeling.lf_loader import LFLoadError, load_lfs

    problems = []

    def say(path: tuple, message: str):
        line = lines.get(BASE + path)
        problems.append(f"{where}:{line}: " if line else f"{where}: ")
        problems[-1] += f"{'.'.join(map(str, BASE + path))}: {message}"

    module = resolve_lf_module(spec.lf_module, resolve) if resolve else spec.lf_module
    try:
        load_lfs(module)
    except LFLoadError as exc:
        say(("lf_module",), str(exc))
    except Exception as exc:  # the module ran but something in it failed: still the LF module's problem
        say(("lf_module",), f"loading {spec.lf_module!r} failed: {type(exc).__name__}: {exc}")
    has = ", ".join(columns)
    if spec.id_field is not None and spec.id_field not in columns:
        say(("id_field",), f"unknown feature {spec.id_field!r}; the input has: {has}")
    if spec.dev_split is not None:
        if spec.dev_split not in splits:
            say(("dev_split",), f"{spec.dev_split!r} is not a split of this config; the splits are: "
                                f"{', '.join(splits)}")
        elif spec.dev_label_field not in columns:
            say(("dev_label_field",), f"unknown feature {spec.dev_label_field!r} (the dev split's gold labels); "
                                      f"the input has: {has}")
    for i, s in enumerate(spec.fit_splits):
        if s not in splits:
            say(("fit_splits", i), f"{s!r} is not a split of this config; the splits are: {', '.join(splits)}")
    if spec.end_model is not None:
        for key in ("text_fields", "numeric_fields"):
            for i, f in enumerate(spec.end_model.get(key) or ()):
                if f not in columns:
                    say(("end_model", key, i), f"unknown feature {f!r}; the input has: {has}")
    return problems
