"""The Chroma side: one collection per workspace, with the graph and the model it was built for."""

import pytest

from db import Stores
from db.errors import EmbedderMismatchError
from db.vectors import EF_CONSTRUCTION, EF_SEARCH, MAX_NEIGHBORS, VectorStore, collection_name


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


def test_another_embedding_model_is_refused(stores: Stores):
    stores.vectors.collection("TMODEL")
    other = VectorStore(stores.vectors.client, "another-model")
    with pytest.raises(EmbedderMismatchError, match="embedded with"):
        other.collection("TMODEL")
