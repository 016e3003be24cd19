"""An augmentation policy is data: a list of ops with probabilities and parameter
ranges (YAML in the pipeline config, JSON to the component), or a named policy.

Drawing is separate from applying: ``draw`` turns a policy and an example's
:class:`ExampleRandom` into concrete parameters; ``apply`` applies them to an image,
its boxes (corner pairs in pixels) and optionally its mask. Boxes are mapped, clipped
to the image and dropped when less than ``min_visibility`` of their mapped area stays
inside (or nothing does).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Optional, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from datalife.transforms.augment_ops import OPS, describe
from datalife.transforms.augment_random import ExampleRandom

__all__ = ["Policy", "NAMED_POLICIES", "draw", "apply", "augment", "Augmented", "parse_policy"]

AnyOp = Annotated[Union[tuple(OPS.values())], Field(discriminator="op")]

NAMED_POLICIES = {
    # pad 4 black pixels, random 32 x 32 crop, random horizontal flip
    "cifar10": [{"op": "pad_crop", "pad": 4}, {"op": "hflip", "p": 0.5}],
    "detection": [{"op": "hflip", "p": 0.5}, {"op": "rotate", "p": 0.3, "degrees": [-10, 10]},
                  {"op": "crop", "p": 0.3, "scale": [0.7, 1.0]}, {"op": "brightness_contrast", "p": 0.5},
                  {"op": "gaussian_noise", "p": 0.2, "std": [3, 8]}],
}


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ops: list[AnyOp] = Field(min_length=1)


def parse_policy(value) -> Policy:
    """A policy from a name (``"cifar10"``), a list of op dicts, or ``{"ops": [...]}``."""
    if isinstance(value, Policy):
        return value
    if isinstance(value, str):
        if value not in NAMED_POLICIES:
            raise ValueError(f"unknown policy {value!r}; named policies: {', '.join(NAMED_POLICIES)}")
        value = NAMED_POLICIES[value]
    if isinstance(value, list):
        value = {"ops": value}
    return Policy.model_validate(value)


def draw(policy: Policy, rand: ExampleRandom, h: int, w: int) -> list[tuple[int, dict]]:
    """[(op index, parameters)] of the ops that fire, in order (sizes follow each op)."""
    drawn = []
    for i, op in enumerate(policy.ops):
        if op.p >= 1.0 or rand.random() < op.p:
            params = op.sample(rand, h, w)
            drawn.append((i, params))
            h, w = op.out_size(params, h, w)
    return drawn


@dataclass
class Augmented:
    image: np.ndarray
    boxes: np.ndarray  # (K, 4) corner pairs in pixels, clipped
    keep: np.ndarray  # indices of the input boxes that survived
    mask: Optional[np.ndarray]
    ops: list  # human-readable description of the applied ops


def apply(policy: Policy, drawn, image: np.ndarray, boxes=None, mask: Optional[np.ndarray] = None,
          min_visibility: float = 0.0) -> Augmented:
    b = np.zeros((0, 4)) if boxes is None else np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    keep = np.arange(len(b))
    for i, params in drawn:
        op = policy.ops[i]
        h, w = image.shape[:2]
        image = op.image(image, params)
        if op.geometric:
            if mask is not None:
                mask = op.image(mask, params, nearest=True)
            if len(b):
                mapped = op.boxes(b, params, h, w)
                nh, nw = image.shape[:2]
                mapped_area = (mapped[:, 2] - mapped[:, 0]) * (mapped[:, 3] - mapped[:, 1])
                clipped = np.clip(mapped, 0, [nw, nh, nw, nh])
                area = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
                # the share of the mapped box that stays inside the image
                visible = np.where(mapped_area > 0, area / np.maximum(mapped_area, 1e-12), 0.0)
                survive = (area > 0) & (visible >= min_visibility)
                b, keep = clipped[survive], keep[survive]
    return Augmented(image, b, keep, mask, [describe(policy.ops[i], p) for i, p in drawn])


def augment(image: np.ndarray, boxes, policy, seed: int, key: str, copy: int = 0, mask=None,
            min_visibility: float = 0.0) -> Augmented:
    """Draw for (seed, key, copy) and apply: the same inputs give the same output anywhere."""
    policy = parse_policy(policy)
    drawn = draw(policy, ExampleRandom(seed, key, copy), *image.shape[:2])
    return apply(policy, drawn, image, boxes, mask, min_visibility)
