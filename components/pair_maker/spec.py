"""The pair maker's configuration: the core's :class:`PairSpec` (count or per_example,
positive_fraction, views_fraction, seed, classes, policy: declared there once) plus what
the component needs to read Examples and fill the pairs."""
from __future__ import annotations

from pydantic import Field

from datalife.common.accounting import Rule
from datalife.transforms.pairs.spec import PairSpec

__all__ = ["PairMakerConfig", "RULES"]

# Per split: the pairs written are the planned ones, kind by kind.
RULES = [Rule("pairs_out", ("views", "same_class", "different_class")),
         Rule("pairs_out", ("pairs_planned",))]


class PairMakerConfig(PairSpec):
    """``label``: the feature holding each example's class (one value per example).
    ``features``: copied into each pair as ``a/<feature>`` and ``b/<feature>`` (none:
    the pair holds the two keys only); ``image_feature``: the encoded image that views
    (``view`` >= 1) augment with ``policy``, seeded by (seed, key, view)."""

    label: str = "label"
    features: list[str] = Field(default_factory=list)
    image_feature: str = "image/encoded"
    batch_size: int = Field(500, ge=1)
