"""The configuration building blocks every spec shares (pure: pydantic only).

- :class:`StrictModel`: the one strict pydantic base. Unknown keys are errors, so a
  typo in a YAML key fails before anything runs (``extra="forbid"``).
- :data:`HashSplits`: the one type of a hash-bucket split configuration,
  ``{split name: positive bucket count}`` (``{"train": 4, "eval": 1}`` = 80 / 20);
  :func:`default_splits` is its one default.
- :data:`DEFAULT_SEED`: the one default seed. A component's ``seed: Optional[int] =
  None`` means "the pipeline's seed" (the pipeline writes it into the component's
  config when it builds the pipeline); :func:`seed_or_default` resolves a ``None``
  outside a pipeline to this same default.
"""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict

__all__ = ["StrictModel", "FrozenModel", "HashSplits", "default_splits", "DEFAULT_SEED", "seed_or_default"]

DEFAULT_SEED = 42


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid")


class FrozenModel(BaseModel):
    """A strict, immutable (and hashable) value: the specs of the core (``WindowSpec``,
    ``FeatureSpec``, ``LabelModelSpec``) that shell configs embed as they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_splits(value: dict[str, int]) -> dict[str, int]:
    if not value or any(n <= 0 for n in value.values()):
        raise ValueError(f"'splits' maps split names to positive hash-bucket counts, got {value}")
    return value


HashSplits = Annotated[dict[str, int], AfterValidator(_check_splits)]
"""``{split name: hash buckets}``; declare a field as ``splits: HashSplits = Field(default_factory=default_splits)``."""


def default_splits() -> dict[str, int]:
    return {"train": 4, "eval": 1}


def seed_or_default(seed: Optional[int]) -> int:
    """The seed to use: the configured one, else :data:`DEFAULT_SEED`."""
    return DEFAULT_SEED if seed is None else int(seed)
