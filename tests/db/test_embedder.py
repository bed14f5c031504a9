"""The embedder coalesces concurrent calls into one forward pass and hands each its own rows."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from db.embedder import MiniLMEmbedder

TEXTS = [
    ["How do we deploy to production?"],
    ["the staging database is slow again", "rotate the password"],
    ["dark mode plans"],
    ["who owns the billing webhook", "code freeze", "release notes", "customer exports"],
]


def test_concurrent_calls_get_the_vectors_of_their_own_texts(embedder: MiniLMEmbedder):
    alone = [embedder.embed(texts) for texts in TEXTS]
    with ThreadPoolExecutor(max_workers=16) as pool:
        together = list(pool.map(embedder.embed, TEXTS * 8))
    for got, texts in zip(together, TEXTS * 8, strict=True):
        expected = alone[TEXTS.index(texts)]
        assert got.shape == expected.shape
        assert np.allclose(got, expected, atol=1e-5)


def test_a_failing_pass_reaches_its_caller_and_the_next_call_works(embedder: MiniLMEmbedder):
    with pytest.raises(ValueError):
        embedder.embed([None])  # type: ignore[list-item]  # the tokenizer refuses it
    assert embedder.embed(["still here"]).shape == (1, 384)
