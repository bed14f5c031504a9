"""`reindex`: a workspace's vectors move to the current graph, never missing, doubled or lost."""

import threading

import numpy as np
import pytest

from db import Stores
from db.postgres import lock_vector_writes
from db.vectors import (
    CURRENT_GRAPH,
    MODEL_KEY,
    VectorStore,
    collection_name,
    describe_graph,
    from_index,
    graph_of,
    to_index,
)
from ingest.reconcile import reconcile
from ingest.regraph import rebuild_graph
from ingest.vector_sync import drain
from ingest.writer import write_messages
from mcp_server.contracts import SearchArgs
from mcp_server.search import ranked_ids
from tests.helpers import assert_stores_agree, empty_workspace, numbered_messages

WS = "TREGRAPH"
# Chroma's default graph, holding the model's own vectors (no layout)
OLD_GRAPH = {"space": "cosine", "max_neighbors": 16, "ef_construction": 100, "layout": None}
TEXTS = "message {i} about deploy window number {i}, staging and production"


def _old_workspace(stores: Stores, count: int = 250) -> None:
    """A workspace whose collection was created with Chroma's default graph."""
    stores.vectors.client.create_collection(
        collection_name(WS),
        configuration={"hnsw": {k: v for k, v in OLD_GRAPH.items() if k != "layout"}},
        metadata={MODEL_KEY: stores.vectors.embedding_model},
    )
    empty_workspace(stores, WS)
    with stores.postgres.tenant(WS) as conn:
        write_messages(conn, numbered_messages(WS, count, TEXTS))
    drain(stores, WS)


def _held(stores: Stores) -> dict[str, tuple[str, dict, np.ndarray]]:
    """Each record's document, metadata and model vector (whatever the collection's layout)."""
    collection = stores.vectors.collection(WS)
    got = collection.get(include=["documents", "metadatas", "embeddings"])
    vectors = from_index(collection, got["embeddings"])
    return {
        i: (d, m, e)
        for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], vectors, strict=True)
    }


class Interrupted(Exception):
    pass


class CrashAfterFirstPage:
    """Progress that kills the rebuild once part of the copy is written."""

    def start(self, counter: str, total: int | None) -> None:
        pass

    def advance(self, counter: str, amount: int = 1) -> None:
        raise Interrupted


def test_every_vector_moves_to_the_current_graph(stores: Stores):
    _old_workspace(stores)
    before = _held(stores)
    question = SearchArgs(query="deploy window 17", limit=10)
    ranked_before = ranked_ids(stores, WS, question, "hybrid")
    elsewhere = VectorStore(stores.vectors.client, stores.vectors.embedding_model)
    assert elsewhere.count(WS) == 250  # another process holds a handle on the old generation

    current = describe_graph(CURRENT_GRAPH)
    summary = stores.vectors.graph_summary(WS)  # in `status`
    assert summary == f"cosine 16/100, reindex for {current}"

    report = rebuild_graph(stores, WS, page=64)

    assert (report.rebuilt, report.vectors, report.dropped) == (True, 250, [])
    assert stores.vectors.graph_summary(WS) == current
    assert (report.graph_before, report.graph_after) == (OLD_GRAPH, CURRENT_GRAPH)
    assert list(stores.vectors.generations(WS)) == [1]  # the old graph is gone
    assert graph_of(stores.vectors.collection(WS)) == CURRENT_GRAPH
    after = _held(stores)
    assert sorted(after) == sorted(before)
    for message_id, (document, metadata, embedding) in before.items():
        assert after[message_id][:2] == (document, metadata)
        assert np.allclose(after[message_id][2], embedding, atol=1e-6)
    assert ranked_ids(stores, WS, question, "hybrid") == ranked_before
    assert reconcile(stores, WS, dry_run=True).in_sync
    # the stale handle finds the live generation, for reads and for writes
    assert elsewhere.count(WS) == 250
    elsewhere.delete(WS, [sorted(before)[0]])
    assert stores.vectors.count(WS) == 249

    again = rebuild_graph(stores, WS)
    assert (again.rebuilt, again.vectors, again.dropped) == (False, 249, [])


def test_an_interrupted_copy_leaves_the_old_graph_live_and_the_next_run_finishes(
    stores: Stores,
):
    _old_workspace(stores)
    with pytest.raises(Interrupted):
        rebuild_graph(stores, WS, progress=CrashAfterFirstPage(), page=64)

    stores.vectors.forget(WS)
    assert sorted(stores.vectors.generations(WS)) == [0, 1]
    live = stores.vectors.collection(WS)
    assert (live.name, live.count(), graph_of(live)) == (collection_name(WS), 250, OLD_GRAPH)
    assert_stores_agree(stores, WS)

    report = rebuild_graph(stores, WS, page=64)
    assert (report.rebuilt, report.vectors) == (True, 250)
    assert report.dropped == [collection_name(WS, 1)]  # the half copy, not the live graph
    assert list(stores.vectors.generations(WS)) == [1]
    assert stores.vectors.count(WS) == 250
    assert_stores_agree(stores, WS)


def test_a_finished_copy_whose_old_graph_survived_a_crash_is_the_live_one(stores: Stores):
    _old_workspace(stores)
    held = _held(stores)
    copy = stores.vectors.create(WS, 1)  # switched to, then the process died
    copy.add(
        ids=list(held),
        documents=[d for d, _, _ in held.values()],
        metadatas=[m for _, m, _ in held.values()],
        embeddings=to_index(copy, np.stack([e for _, _, e in held.values()])),
    )
    stores.vectors.forget(WS)
    assert stores.vectors.collection(WS).name == collection_name(WS, 1)

    report = rebuild_graph(stores, WS)
    assert (report.rebuilt, report.dropped) == (False, [collection_name(WS)])
    assert list(stores.vectors.generations(WS)) == [1]
    assert_stores_agree(stores, WS)


def test_vector_writes_wait_for_a_rebuild(stores: Stores):
    _old_workspace(stores, count=20)
    with stores.postgres.tenant(WS) as conn:
        write_messages(conn, numbered_messages(WS, 30, "rewritten {i}"))
    with stores.postgres.tenant(WS) as rebuilding:
        lock_vector_writes(rebuilding, WS, alone=True)
        draining = threading.Thread(target=drain, args=(stores, WS))
        draining.start()
        draining.join(timeout=1.0)
        assert draining.is_alive()  # waiting for the lock, nothing written yet
        assert stores.vectors.get(WS, [f"{WS}:C1:1700000000.000021"]) == {}
    draining.join(timeout=60)
    assert not draining.is_alive()
    assert_stores_agree(stores, WS)
