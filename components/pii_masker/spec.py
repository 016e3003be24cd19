"""The PII masker's configuration, declared once. What is masked and how is the core's
``PiiSpec``, embedded as ``mask``; the HMAC key of ``mask.mode: hash`` is never in the
config: ``key_env`` names the environment variable that holds it."""
from __future__ import annotations

import os
from typing import Optional

from pydantic import Field, model_validator

from datalife.common.accounting import Rule
from datalife.common.strict import StrictModel
from datalife.labeling.quality.pii import PiiSpec

__all__ = ["PiiMaskerConfig", "RULES"]

RULES = [Rule("rows_in", ("rows_out", "rows_quarantined"))]


class PiiMaskerConfig(StrictModel):
    fields: list[str] = Field(min_length=1)  # text features to mask (bytes features holding UTF-8)
    mask: PiiSpec = Field(default_factory=PiiSpec)
    key_env: Optional[str] = None  # environment variable holding the HMAC key (mask.mode: hash)
    samples: int = Field(5, ge=0, le=50)  # masked values shown in the report (never the originals)
    batch_size: int = Field(500, ge=1)

    @model_validator(mode="after")
    def _check(self):
        if len(set(self.fields)) != len(self.fields):
            raise ValueError(f"fields {self.fields} name a feature twice")
        if self.mask.mode == "hash" and not self.key_env:
            raise ValueError("mask.mode 'hash' needs key_env: the environment variable holding the secret key")
        return self

    def key(self) -> Optional[bytes]:
        """The HMAC key (mode hash), read from the environment; raises naming the variable."""
        if self.mask.mode != "hash":
            return None
        value = os.environ.get(self.key_env, "")
        if not value:
            raise ValueError(f"pii_masker: environment variable {self.key_env!r} (key_env) is empty or unset")
        return value.encode()
