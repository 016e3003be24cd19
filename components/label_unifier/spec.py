"""The label unifier's configuration, declared once: validated from the pipeline YAML
(or built in Python), passed to the component as one JSON parameter, parsed back by
the executor."""
from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any, Literal, Optional

from pydantic import Field, field_validator, model_validator

from datalife.common.strict import HashSplits, StrictModel, default_splits
from datalife.labeling.formats import FORMATS, get_format
from datalife.labeling.quality.merge import MergeConfig

__all__ = ["SourceConfig", "LabelUnifierConfig", "FORMAT_NAMES", "reader_options"]

FORMAT_NAMES = tuple(FORMATS)  # the annotation-format registry (labeling/formats) is the one list


@lru_cache(maxsize=None)
def reader_options(fmt: str) -> frozenset[str]:
    """The options a format's reader takes: the keyword parameters of its ``read_file``
    (besides the path), read from its signature, so a new option needs no edit here."""
    params = inspect.signature(get_format(fmt).scan_file).parameters.values()
    return frozenset(p.name for p in list(params)[1:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def _box_format(value: str) -> str:
    from datalife.labeling.boxes import BoxFormat

    return str(BoxFormat.parse(value))


class SourceConfig(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    format: Literal[FORMAT_NAMES]
    path: str  # an annotation file or a folder of them
    images: Optional[str] = None  # the images root (default: the annotation folder)
    box_format: Optional[str] = None  # "<xyxy|xywh|cxcywh>:<pixel|normalized>"; csv only
    origin: Optional[Literal[0, 1]] = None  # 1: pixel indices start at 1 (default: VOC 1, others 0)
    class_map: dict[str, str] = Field(default_factory=dict)  # source name -> canonical name
    options: dict[str, Any] = Field(default_factory=dict)  # reader options of the format

    @field_validator("box_format")
    @classmethod
    def _fmt(cls, v):
        return None if v is None else _box_format(v)

    @model_validator(mode="after")
    def _check(self):
        if self.box_format is not None and self.format != "csv":
            raise ValueError(f"box_format is fixed by the {self.format} format; only csv sources declare one")
        unknown = sorted(set(self.options) - reader_options(self.format))
        if unknown:
            allowed = ", ".join(sorted(reader_options(self.format))) or "none"
            raise ValueError(f"unknown {self.format} option(s) {unknown}; allowed: {allowed}")
        return self


class LabelUnifierConfig(StrictModel):
    sources: list[SourceConfig] = Field(min_length=1)
    classes: list[str] = Field(min_length=1)  # the canonical vocabulary: class id = position
    box_format: str = "xyxy:normalized"  # the canonical box format of the output
    on_invalid: Literal["error", "quarantine"] = "error"
    drop_duplicates: bool = False
    rounding_tolerance: float = Field(1e-3, ge=0, lt=0.5)
    masks: bool = False  # also rasterize boxes into a class-index PNG mask
    splits: HashSplits = Field(default_factory=default_splits)
    sample_images: int = Field(12, ge=0, le=64)
    # records of the same image bytes across sources / annotators -> one example (None: one per record)
    merge: Optional[MergeConfig] = None
    review_below: float = Field(1.0, gt=0, le=1)  # merged images whose agreement (min F1) is below: review queue

    @field_validator("box_format")
    @classmethod
    def _fmt(cls, v):
        return _box_format(v)

    @model_validator(mode="after")
    def _check(self):
        for what, names in (("source names", [s.name for s in self.sources]), ("classes", self.classes)):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{what} must be unique; repeated: {dupes}")
        for s in self.sources:
            targets = sorted(set(s.class_map.values()) - set(self.classes))
            if targets:
                raise ValueError(f"source {s.name!r}: class_map targets {targets} are not in classes {self.classes}")
        return self

    def canonical(self):
        from datalife.labeling.boxes import BoxFormat
        from datalife.labeling.unify import Canonical

        return Canonical(classes=tuple(self.classes), box_format=BoxFormat.parse(self.box_format),
                         on_invalid=self.on_invalid, drop_duplicates=self.drop_duplicates,
                         rounding_tolerance=self.rounding_tolerance, masks=self.masks)

    def source(self, i: int):
        import os

        from datalife.labeling.unify import Source

        s = self.sources[i]
        images = s.images or (s.path if os.path.isdir(s.path) else os.path.dirname(s.path))
        return Source(name=s.name, format=s.format, images=images, box_format=s.box_format, origin=s.origin,
                      class_map=dict(s.class_map))

    def with_base(self, resolve) -> "LabelUnifierConfig":
        """A copy with every path passed through ``resolve`` (config-relative -> absolute)."""
        sources = [s.model_copy(update={"path": str(resolve(s.path)),
                                        "images": str(resolve(s.images)) if s.images else None,
                                        "options": {**s.options, **({"images": str(resolve(s.options["images"]))}
                                                                    if "images" in s.options else {})}})
                   for s in self.sources]
        return self.model_copy(update={"sources": sources})
