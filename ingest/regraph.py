"""Rebuild a workspace's HNSW graph with the current shape, its vectors never missing or doubled.

A collection's graph is fixed when Chroma creates it, and Chroma holds the only copy of the
texts, so the graph is rebuilt by copying: into the next generation of the collection, marked
as rebuilding (no process opens it) until it holds every vector. Then one metadata change makes
it the live generation, and the old one is deleted. A crash leaves either the old generation
live, and the next run drops the unfinished copy, or the new one live, and the next run drops
the old. Vector writes wait meanwhile: drains share the workspace's vector-write lock per
batch, and the rebuild holds it alone.
"""

import time

from chromadb.api.models.Collection import Collection
from pydantic import BaseModel

from db.errors import StoreError
from db.postgres import lock_vector_writes
from db.stores import Stores
from db.vectors import CURRENT_GRAPH, REBUILDING_KEY, from_index, graph_of, to_index
from ingest.progress import NoProgress, Progress

PAGE = 1000


class GraphRebuild(BaseModel):
    """What `slack-helper reindex` did."""

    workspace_id: str
    vectors: int
    graph_before: dict[str, str | int | None]
    graph_after: dict[str, str | int | None]
    rebuilt: bool  # false when the live generation already had the current graph
    dropped: list[str]  # collections left by an interrupted rebuild
    seconds: float
    re_embedded: int | None = None  # messages embedded again (`--re-embed`, ingest/reembed.py)


def rebuild_graph(
    stores: Stores, workspace_id: str, progress: Progress | None = None, page: int = PAGE
) -> GraphRebuild:
    """Copy the workspace's vectors into a collection with the current graph, then switch."""
    started = time.perf_counter()
    vectors = stores.vectors
    with stores.postgres.tenant(workspace_id) as conn:
        lock_vector_writes(conn, workspace_id, alone=True)
        vectors.forget(workspace_id)
        generations = vectors.generations(workspace_id)
        live_generation, _ = vectors.live(generations)
        dropped = [c.name for g, c in generations.items() if g != live_generation]
        for name in dropped:
            vectors.client.delete_collection(name)
        live = vectors.collection(workspace_id)
        held = live.count()
        before = graph_of(live)
        rebuilt = before != CURRENT_GRAPH
        if rebuilt:
            copy = vectors.create(workspace_id, max(live_generation, 0) + 1, rebuilding=True)
            _copy(live, copy, held, progress or NoProgress(), page)
            copy.modify(metadata={**(copy.metadata or {}), REBUILDING_KEY: False})  # now live
            vectors.client.delete_collection(live.name)
            vectors.forget(workspace_id)
        return GraphRebuild(
            workspace_id=workspace_id,
            vectors=held,
            graph_before=before,
            graph_after=graph_of(vectors.collection(workspace_id)),
            rebuilt=rebuilt,
            dropped=dropped,
            seconds=round(time.perf_counter() - started, 1),
        )


def _copy(source: Collection, target: Collection, held: int, progress: Progress, page: int):
    """Every record of `source` into `target`, in the target's layout (`db.vectors.to_index`),
    checked by count (nothing writes meanwhile)."""
    progress.start("copied", held)
    for offset in range(0, held, page):
        got = source.get(
            include=["embeddings", "documents", "metadatas"], limit=page, offset=offset
        )
        target.add(
            ids=got["ids"],
            embeddings=to_index(target, from_index(source, got["embeddings"])),
            documents=got["documents"],
            metadatas=got["metadatas"],
        )
        progress.advance("copied", len(got["ids"]))
    if target.count() != held:
        raise StoreError(
            f"the copy of {source.name} holds {target.count()} vectors, not {held}; the old "
            "graph stays in use and the next run drops the copy"
        )
