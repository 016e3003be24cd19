"""The image augmenter's configuration, declared once (YAML -> JSON parameter -> executor)."""
from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import Field, field_validator

from datalife.common.accounting import Rule
from datalife.common.splits import refuse_eval_splits
from datalife.common.strict import StrictModel

__all__ = ["AugmenterConfig"]

TFOD_BOXES = [f"image/object/bbox/{k}" for k in ("xmin", "ymin", "xmax", "ymax")]


class AugmenterConfig(StrictModel):
    policy: Union[str, list[dict[str, Any]]] = "detection"  # a named policy or a list of ops
    copies: int = Field(1, ge=1, le=100)  # augmented copies per image
    keep_originals: bool = True
    splits: list[str] = Field(default_factory=lambda: ["train"], min_length=1)
    min_visibility: float = Field(0.0, ge=0, le=1)  # drop a box when less of it stays in the image
    seed: Optional[int] = None  # default: the pipeline seed
    image_feature: str = "image/encoded"
    box_features: list[str] = Field(default_factory=lambda: list(TFOD_BOXES), min_length=4, max_length=4)
    per_box_features: list[str] = Field(default_factory=lambda: ["image/object/class/label",
                                                                 "image/object/class/text"])
    mask_feature: Optional[str] = "image/segmentation/class/encoded"
    sample_images: int = Field(6, ge=0, le=32)
    batch_size: int = Field(64, ge=1)

    @field_validator("policy")
    @classmethod
    def _policy(cls, v):
        from datalife.transforms.augment_policy import parse_policy

        parse_policy(v)  # raises with the op and range named
        return v

    @field_validator("splits")
    @classmethod
    def _splits(cls, v):
        return refuse_eval_splits(v)

    def rules(self) -> list[Rule]:
        """Per split: every image augmented, quarantined or passed through; copies,
        originals and the copies' boxes as configured."""
        return [Rule("images_in", ("images_augmented", "images_quarantined", "passed_through")),
                Rule("copies_out", ("images_augmented",), times=self.copies),
                Rule("originals_out", ("images_augmented",) if self.keep_originals else ()),
                Rule("copy_boxes_in", ("copy_boxes_out", "copy_boxes_dropped"))]

    def parsed_policy(self):
        from datalife.transforms.augment_policy import parse_policy

        return parse_policy(self.policy)
