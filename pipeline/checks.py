"""Pre-run checks (``datalife check``, and ``datalife run`` before it builds anything):
what can be known about a config before running it, per component.

Each component may have a check: a function ``check(config, inputs) -> list[str]`` that
returns one problem per fault (empty: fine), found in this order:

1. a function registered with :func:`register_check` under the component's key in
   ``components:`` (``@register_check("my_component")``), for components whose spec
   module should stay free of this module;
2. a ``check(self, inputs)`` method on the component's config model (its ``spec.py``).

``inputs`` (:class:`CheckInputs`) tells the check what arrives at the component: the
feature names (``columns``; None when they are only known at run time), the split names
(``splits``), and gives ``problem(key, message)`` to format a refusal naming the file,
the line, the dotted key and the message (which should name the bad value and the
allowed ones), and ``resolve(path)`` for paths relative to the config.

Features flow: the source's columns, then each component in pipeline order adds what it
produces (weak_labeler: its label and probability fields; transform: its outputs).
A component that adds features declares ``produces(self, columns) -> list[str]`` on its
config model (or registers one with :func:`register_produces`).

This module imports no TFX and no TensorFlow.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from datalife.pipeline.config import ConfigError, PipelineConfig

__all__ = ["CheckInputs", "register_check", "register_produces", "run_checks", "check_config", "ORDER"]

# the order components see the examples in (pipeline/build.py); unknown keys go last
ORDER = ("example_gen", "label_unifier", "audio_example_gen", "pii_masker", "weak_labeler", "embedder",
         "label_propagator", "rebalancer", "image_augmenter", "audio_augmenter", "transform",
         "time_series_windower", "pair_maker", "active_sampler", "label_quality")
SOURCES = ("example_gen", "label_unifier", "audio_example_gen")

CHECKS: dict[str, Callable] = {}
PRODUCES: dict[str, Callable] = {}


def register_check(component: str):
    """Decorator: ``fn(config, inputs) -> list[str]`` checks ``components.<component>``."""
    def wrap(fn):
        CHECKS[component] = fn
        return fn
    return wrap


def register_produces(component: str):
    """Decorator: ``fn(config, columns) -> list[str]``, the features after ``<component>``."""
    def wrap(fn):
        PRODUCES[component] = fn
        return fn
    return wrap


@dataclass
class CheckInputs:
    cfg: PipelineConfig
    component: str
    columns: Optional[list[str]]
    splits: list[str]
    problems: list[str] = field(default_factory=list)

    def resolve(self, path: str) -> Path:
        return self.cfg.resolve(path)

    def problem(self, key, message: str) -> str:
        """``file:line: components.<component>.<key>: message`` (``key``: a name or a tuple path)."""
        path = ("components", self.component, *((key,) if isinstance(key, (str, int)) else tuple(key)))
        where = str(self.cfg.source or "<config>")
        line = None
        for n in range(len(path), 1, -1):
            line = self.cfg._lines.get(path[:n])
            if line:
                break
        return f"{where}{f':{line}' if line else ''}: {'.'.join(map(str, path))}: {message}"

    def unknown_split(self, key, name: str) -> Optional[str]:
        if name in self.splits:
            return None
        return self.problem(key, f"unknown split {name!r}; the splits are: {', '.join(self.splits)}")

    def unknown_feature(self, key, name: Optional[str]) -> Optional[str]:
        if name is None or self.columns is None or name in self.columns:
            return None
        return self.problem(key, f"unknown feature {name!r}; the examples here have: {', '.join(self.columns)}")


def _splits(cfg: PipelineConfig) -> list[str]:
    c = cfg.components
    if c.example_gen is not None:
        return list(c.example_gen.input_splits or c.example_gen.splits)
    source = c.label_unifier or c.audio_example_gen
    return list(source.splits) if source is not None else []


def _source_columns(cfg: PipelineConfig) -> Optional[list[str]]:
    gen = cfg.components.example_gen
    if gen is None or "://" in gen.input:
        return None
    from datalife.pipeline.inputs import input_columns

    try:
        return list(input_columns(cfg.resolve(gen.input), gen.format, gen if gen.engine == "arrow" else None))
    except ConfigError:
        return None  # reported by inputs.check_features


def _components(cfg: PipelineConfig) -> list[tuple[str, object]]:
    present = [(k, getattr(cfg.components, k)) for k in type(cfg.components).model_fields]
    present = [(k, v) for k, v in present if v is not None]
    rank = {k: i for i, k in enumerate(ORDER)}
    return sorted(present, key=lambda kv: rank.get(kv[0], len(ORDER)))


def run_checks(cfg: PipelineConfig) -> list[str]:
    """Every problem the components' checks find, in pipeline order."""
    splits, columns, problems = _splits(cfg), _source_columns(cfg), []
    for key, spec in _components(cfg):
        inputs = CheckInputs(cfg, key, list(columns) if columns is not None else None, splits)
        fn = CHECKS.get(key) or (lambda c, i: c.check(i) if callable(getattr(c, "check", None)) else [])
        problems += [p for p in fn(spec, inputs) or [] if p]
        if key in SOURCES:
            continue
        produces = PRODUCES.get(key) or (lambda c, cols: c.produces(cols)
                                         if callable(getattr(c, "produces", None)) else cols)
        if columns is not None:
            columns = list(produces(spec, columns))
    return problems


def check_config(cfg: PipelineConfig) -> None:
    """Raise :class:`ConfigError` listing every problem the component checks find."""
    problems = run_checks(cfg)
    if problems:
        raise ConfigError(problems)


# ----------------------------------------------------------------------------- built-in checks
@register_check("example_gen")
def _example_gen(gen, inputs: CheckInputs) -> list[str]:
    if gen.input_splits is None or "://" in gen.input:
        return []
    out = []
    for name, pattern in gen.input_splits.items():
        if not any(inputs.resolve(gen.input).glob(pattern)):
            out.append(inputs.problem(("input_splits", name), f"no file matches {pattern!r} under "
                                      f"{inputs.resolve(gen.input)}"))
    return out


@register_check("audio_example_gen")
def _audio_example_gen(gen, inputs: CheckInputs) -> list[str]:
    folder = inputs.resolve(gen.input)
    if not folder.is_dir():
        return [inputs.problem("input", f"{folder}: the folder of WAV files does not exist")]
    out = []
    if not any(folder.glob(gen.pattern)):
        out.append(inputs.problem("pattern", f"no file matches {gen.pattern!r} under {folder}"))
    if gen.labels_csv and not inputs.resolve(gen.labels_csv).is_file():
        out.append(inputs.problem("labels_csv", f"{inputs.resolve(gen.labels_csv)} does not exist"))
    return out


# weak_labeler: components/weak_labeler/checks.py (the LF module loads, its fields and
# splits exist), run with the input's columns when the config is loaded (pipeline/inputs.py)


@register_produces("weak_labeler")
def _weak_labeler_produces(wl, columns: list[str]) -> list[str]:
    extra = [f"{wl.label_field}_original"] if wl.label_field in columns else []
    return list(dict.fromkeys([*columns, *extra, wl.label_field, wl.probs_field]))


@register_check("image_augmenter")
def _image_augmenter(aug, inputs: CheckInputs) -> list[str]:
    return [inputs.unknown_split(("splits", i), s) for i, s in enumerate(aug.splits)]


@register_check("audio_augmenter")
def _audio_augmenter(aug, inputs: CheckInputs) -> list[str]:
    out = [inputs.unknown_split(("splits", i), s) for i, s in enumerate(aug.splits)]
    transform = inputs.cfg.components.transform
    audio = transform.audio if transform is not None else None
    if aug.spec_augment and audio is not None and aug.features_field not in audio.features:
        out.append(inputs.problem("features_field", f"SpecAugment masks {aug.features_field!r}, which Transform does "
                                  f"not output; transform.audio.features: {', '.join(audio.features)}"))
    if aug.noise_dir and not inputs.resolve(aug.noise_dir).is_dir():
        out.append(inputs.problem("noise_dir", f"{inputs.resolve(aug.noise_dir)}: the noise folder does not exist"))
    return out


@register_produces("transform")
def _transform_produces(transform, columns: list[str]) -> list[str]:
    if transform.audio is not None:
        return columns  # the audio preprocessing_fn: its outputs are checked by the audio components
    return transform.output_names()
