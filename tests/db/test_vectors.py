"""The Chroma side: one collection per workspace, with the graph and the model it was built for."""

import time

import numpy as np
import pytest

from db import Stores
from db.errors import EmbedderMismatchError
from db.vectors import (
    COUNT_TTL_SECONDS,
    EF_CONSTRUCTION,
    EF_SEARCH,
    LAYOUT_KEY,
    LIFTED,
    MAX_NEIGHBORS,
    MODEL_KEY,
    VectorRecord,
    VectorStore,
    collection_name,
)


def test_a_new_collection_gets_the_wider_graph(stores: Stores):
    collection = stores.vectors.collection("TGRAPH")
    assert collection.name == collection_name("TGRAPH") == "workspace_TGRAPH_messages"
    hnsw = collection.configuration["hnsw"]
    assert (hnsw["space"], hnsw["max_neighbors"], hnsw["ef_construction"], hnsw["ef_search"]) == (
        "cosine",
        MAX_NEIGHBORS,
        EF_CONSTRUCTION,
        EF_SEARCH,
    )
    assert collection.metadata[LAYOUT_KEY] == LIFTED


def _means(count: int, seed: int) -> np.ndarray:
    """Vectors as the stores hold them: means of two unit vectors, so of unequal length."""
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal((count, 384)).astype(np.float32) for _ in range(2))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    return (a + 0.6 * b) / 1.6 * rng.uniform(0.7, 1.0, (count, 1)).astype(np.float32)


def _records(count: int) -> list[VectorRecord]:
    return [
        VectorRecord(id=f"T:C:{i}.000000", document=f"m{i}", metadata={"channel": "C"})
        for i in range(count)
    ]


def test_similarity_is_the_inner_product_of_vectors_of_any_length(stores: Stores):
    """The index lifts each vector onto the unit sphere; what comes back is the model's vector
    and a distance of 1 - inner product, the ranking of exact inner-product search."""
    vectors = _means(300, seed=1)
    stores.vectors.upsert("TLIFT", _records(300), vectors)
    query = vectors[7] + np.random.default_rng(2).standard_normal(384).astype(np.float32) * 0.02
    query /= np.linalg.norm(query)

    hits = stores.vectors.query("TLIFT", query, 20, with_documents=False, with_metadata=False)

    exact = vectors @ query
    assert [h.id for h in hits] == [f"T:C:{i}.000000" for i in np.argsort(-exact)[:20]]
    for hit in hits:
        i = int(hit.id.rsplit(":", 1)[1].split(".")[0])
        assert abs((1 - hit.distance) - exact[i]) < 1e-4
    back = stores.vectors.embeddings("TLIFT", ["T:C:7.000000"])["T:C:7.000000"]
    assert back.shape == (384,) and np.allclose(back, vectors[7], atol=1e-6)


def test_a_collection_from_before_the_lift_is_still_read_and_written(stores: Stores):
    """Until `reindex` moves it, an inner-product collection of the model's own vectors keeps
    working: writes and queries take its layout."""
    stores.vectors.client.create_collection(
        collection_name("TUNLIFTED"),
        configuration={"hnsw": {"space": "ip"}},
        metadata={MODEL_KEY: stores.vectors.embedding_model},
        embedding_function=None,
    )
    vectors = _means(50, seed=3)
    stores.vectors.upsert("TUNLIFTED", _records(50), vectors)

    hits = stores.vectors.query("TUNLIFTED", vectors[4] / np.linalg.norm(vectors[4]), 1)

    assert hits[0].id == "T:C:4.000000"
    held = stores.vectors.embeddings("TUNLIFTED", ["T:C:4.000000"])["T:C:4.000000"]
    assert np.allclose(held, vectors[4], atol=1e-6)


def test_another_embedding_model_is_refused(stores: Stores):
    stores.vectors.collection("TMODEL")
    other = VectorStore(stores.vectors.client, "another-model")
    with pytest.raises(EmbedderMismatchError, match="embedded with"):
        other.collection("TMODEL")


def test_an_older_collection_is_searched_as_wide_as_a_new_one(stores: Stores):
    """A collection made when the default was narrower gets today's ef_search on open: unlike
    the graph, the search width can change in place."""
    stores.vectors.client.create_collection(
        collection_name("TOLDEF"),
        configuration={"hnsw": {"space": "cosine", "ef_search": 100}},
        metadata={MODEL_KEY: stores.vectors.embedding_model},
        embedding_function=None,
    )
    opened = stores.vectors.collection("TOLDEF")
    reread = stores.vectors.client.get_collection(collection_name("TOLDEF"))
    assert opened.configuration["hnsw"]["ef_search"] == EF_SEARCH
    assert reread.configuration["hnsw"]["ef_search"] == EF_SEARCH


def test_a_search_reads_the_workspace_size_at_most_a_minute_old(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
):
    """Chroma counts by reading the collection; searches weigh words against a count this
    store's own writes refresh and another process's writes reach within COUNT_TTL_SECONDS."""
    vectors = _means(6, seed=4)
    records = _records(6)
    stores.vectors.upsert("TCOUNT", records[:3], vectors[:3])
    assert stores.vectors.recent_count("TCOUNT") == 3
    stores.vectors.upsert("TCOUNT", records[3:5], vectors[3:5])
    assert stores.vectors.recent_count("TCOUNT") == 5  # its own write: counted again

    elsewhere = VectorStore(stores.vectors.client, stores.vectors.embedding_model)
    elsewhere.upsert("TCOUNT", records[5:], vectors[5:])
    assert stores.vectors.recent_count("TCOUNT") == 5
    later = time.monotonic() + COUNT_TTL_SECONDS + 1
    monkeypatch.setattr("db.vectors.time.monotonic", lambda: later)
    assert stores.vectors.recent_count("TCOUNT") == 6
    stores.vectors.delete("TCOUNT", [records[0].id])
    assert stores.vectors.recent_count("TCOUNT") == 5
