"""The Chroma side: one collection per workspace, with the graph and the model it was built for."""

import pytest

from db import Stores
from db.errors import EmbedderMismatchError
from db.vectors import (
    EF_CONSTRUCTION,
    EF_SEARCH,
    MAX_NEIGHBORS,
    MODEL_KEY,
    VectorStore,
    collection_name,
)


def test_a_new_collection_gets_the_wider_graph(stores: Stores):
    collection = stores.vectors.collection("TGRAPH")
    assert collection.name == collection_name("TGRAPH") == "workspace_TGRAPH_messages"
    hnsw = collection.configuration["hnsw"]
    assert (hnsw["space"], hnsw["max_neighbors"], hnsw["ef_construction"], hnsw["ef_search"]) == (
        "ip",
        MAX_NEIGHBORS,
        EF_CONSTRUCTION,
        EF_SEARCH,
    )


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
