"""The embedder's configuration, declared once (YAML -> JSON parameter -> executor).
The per-modality settings are the core's specs (``transforms/embeddings``), embedded
as they are."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from datalife.common.accounting import Rule
from datalife.common.strict import StrictModel
from datalife.transforms.embeddings.audio import ClipEmbeddingSpec
from datalife.transforms.embeddings.text import TextEmbeddingSpec

__all__ = ["EmbedderConfig", "RULES", "DEFAULT_INPUTS"]

DEFAULT_INPUTS = {"image": "image/encoded", "audio": "audio", "text": "text"}

#: per split: every example is embedded (written with the embedding) or quarantined
RULES = [Rule("rows_in", ("rows_out", "rows_quarantined"))]


class EmbedderConfig(StrictModel):
    kind: Literal["image", "audio", "text"]
    input_feature: Optional[str] = None   # default: image/encoded, audio, text (per kind)
    output_feature: str = "embedding"     # float list per example
    # image: EfficientNet-Lite0 penultimate features (1280); center_crop or full resize
    image_resize: Literal["center_crop", "full"] = "center_crop"
    # audio: log-mel clip statistics (the clip's sample rate is audio.features.sample_rate)
    audio: ClipEmbeddingSpec = Field(default_factory=ClipEmbeddingSpec)
    # text: hashed n-gram TF-IDF + seeded randomized SVD, fitted on a bottom-k sample by key
    text: TextEmbeddingSpec = Field(default_factory=TextEmbeddingSpec)
    batch_size: int = Field(32, ge=1)     # examples per Beam batch (and per network forward pass)
    threads: Optional[int] = Field(None, ge=1)  # torch threads per worker; None: cores / workers_per_host
    workers_per_host: int = Field(1, ge=1)  # Beam workers sharing a machine (the pipeline sets it)
    seed: Optional[int] = None            # default: the pipeline seed (text sample and SVD)

    @model_validator(mode="after")
    def _input(self):
        if self.input_feature is None:
            self.input_feature = DEFAULT_INPUTS[self.kind]
        return self

    def worker_threads(self, cores: int) -> int:
        """This worker's share of the machine's ``cores``."""
        return self.threads or max(1, cores // self.workers_per_host)
