"""The Chroma side: one collection of message texts and embeddings per workspace."""

import re
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import GetResult, Include
from chromadb.errors import NotFoundError
from pydantic import BaseModel

from db.errors import EmbedderMismatchError, StoreError

MODEL_KEY = "embedding_model"
REBUILDING_KEY = "rebuilding"  # a generation still being copied (ingest/regraph.py): never opened
LIST_PAGE = 1000
# The HNSW graph. Chroma's defaults (16 neighbours per node, 100 candidates while building) make
# a graph that ends its searches early on clustered vectors: at 200k messages they find 83 % of
# the true 10 nearest, however long the search; 32 and 200 find all of them, for 1.5 times the
# build time (`bench query`'s vectors). 48 and 400 gained nothing at a million messages (see the
# README). Fixed when a collection is created: `slack-helper reindex` copies an older
# collection into one with this graph.
MAX_NEIGHBORS = 32
EF_CONSTRUCTION = 200
# Candidates per query. At a million messages on that graph (`bench query`, blended vectors),
# the share of the true 10 nearest found within a filter (five channels, newest months) by an
# unfiltered query then filtered: ef 1000: 0.91, 2000: 0.947, 3000: 0.967, 4000: 0.975,
# 6000: 0.977; without a filter 0.96 at 1000 and 0.99 at 4000. At 4000 a 400-deep query takes
# ~23 ms instead of ~13, a top-10 one ~4 ms more.
EF_SEARCH = 4000
# Similarity is the inner product: a message's vector is the mean of two unit vectors, its
# embedding with its context and alone (ingest/context.py), and a query's inner product with it
# is the mean of the two cosines; cosine would normalise the mean, and score a message whose two
# views disagree above that mean. But inner product is no metric, and an HNSW graph built on it
# navigates badly among vectors of unequal length: on 100k two-view means (`bench query`'s),
# with this graph and EF_SEARCH, queries 400 and 2,000 deep found 98 % and 97 % of the true
# nearest (all of the top 10), and filtered queries are that deep. So the index holds each
# vector lifted onto the unit sphere by one more coordinate, sqrt(1 - |v|^2), and queries get a
# 0 there: the cosine of the two is then exactly the inner product of the originals, and the
# graph is built on a metric (Bachrach et al., "Speeding Up the Xbox Recommender System Using
# a Euclidean Transformation for Inner-Product Spaces", RecSys 2014). The same queries then
# found all of them, for ~1 ms more. Passages and queries are unit vectors: their extra
# coordinate is 0.
SPACE: Final = "cosine"
LAYOUT_KEY = "layout"  # collection metadata: how stored vectors relate to the model's
LIFTED: Final = "ip-lifted"  # one more coordinate, sqrt(1 - |v|^2), searched by cosine
CURRENT_GRAPH: dict[str, str | int | None] = {
    "space": SPACE,
    "max_neighbors": MAX_NEIGHBORS,
    "ef_construction": EF_CONSTRUCTION,
    "layout": LIFTED,
}
# How stale a search may read the workspace's size (what its words' rarities are weighed
# against): Chroma counts a collection by reading it, ~100 ms at a million vectors, which was
# most of a search's time there.
COUNT_TTL_SECONDS = 60.0
Scalar = str | int | float | bool
T = TypeVar("T")


class VectorRecord(BaseModel):
    """One message as Chroma holds it: id, the text to embed, and filterable metadata."""

    id: str
    document: str
    metadata: dict[str, Scalar]


class VectorHit(BaseModel):
    """A search result: the record and its distance to the query (1 - inner product)."""

    id: str
    document: str
    metadata: dict[str, Any]
    distance: float


def collection_name(workspace_id: str, generation: int = 0) -> str:
    """The per-workspace collection: tenants never share one. Rebuilding its graph makes a
    new generation of it (ingest/regraph.py)."""
    base = f"workspace_{workspace_id}_messages"
    return base if generation == 0 else f"{base}_g{generation}"


def graph_of(collection: Collection) -> dict[str, str | int | None]:
    """The HNSW metric and shape a collection was built with, and the layout of its vectors
    (None: the model's own, as collections made before the lift hold them)."""
    hnsw: dict[str, Any] = dict((collection.configuration or {}).get("hnsw") or {})
    layout = (collection.metadata or {}).get(LAYOUT_KEY)
    return {key: hnsw.get(key) for key in CURRENT_GRAPH if key != "layout"} | {"layout": layout}


def describe_graph(graph: dict[str, str | int | None]) -> str:
    """'cosine 32/200 ip-lifted' (metric, neighbours / build candidates, layout)."""
    shape = "{space} {max_neighbors}/{ef_construction}".format(**graph)
    return f"{shape} {graph['layout']}" if graph.get("layout") else shape


def to_index(collection: Collection, vectors: np.ndarray) -> np.ndarray:
    """Rows of model vectors (norm at most 1) as `collection` stores them."""
    if (collection.metadata or {}).get(LAYOUT_KEY) != LIFTED:
        return vectors
    vectors = np.asarray(vectors, dtype=np.float32)
    lift = np.sqrt(np.clip(1.0 - np.einsum("ij,ij->i", vectors, vectors), 0.0, None))
    return np.hstack([vectors, lift[:, None].astype(np.float32)])


def from_index(collection: Collection, stored: Any) -> np.ndarray:
    """Stored rows of `collection` as the model's vectors again."""
    stored = np.asarray(stored, dtype=np.float32)
    lifted = (collection.metadata or {}).get(LAYOUT_KEY) == LIFTED
    return stored[:, :-1] if lifted and len(stored) else stored


def open_chroma(url: str | None, data_dir: Path, tenant: str, database: str) -> ClientAPI:
    """A Chroma server client for `url`, else a PersistentClient under `data_dir`."""
    settings = chromadb.Settings(anonymized_telemetry=False)
    if url is None:
        return chromadb.PersistentClient(
            path=str(data_dir / "chroma"), settings=settings, tenant=tenant, database=database
        )
    parsed = urlparse(url)
    ssl = parsed.scheme == "https"
    try:
        return chromadb.HttpClient(
            host=parsed.hostname or "localhost",
            port=parsed.port or (443 if ssl else 8000),
            ssl=ssl,
            settings=settings,
            tenant=tenant,
            database=database,
        )
    except Exception as exc:  # chromadb raises ValueError or httpx errors, depending on the cause
        raise StoreError(f"cannot use the Chroma server at {url}: {exc}") from exc


class VectorStore:
    """Message vectors of every workspace, each in its own collection.

    Collections record the embedding model that filled them; opening one with another model
    is an error, because its vectors would not be comparable.
    """

    def __init__(self, client: ClientAPI, embedding_model: str):
        self.client = client
        self.embedding_model = embedding_model
        self._collections: dict[str, Collection] = {}
        self._counted: dict[str, tuple[float, int]] = {}  # workspace -> (when, count)

    def collection(self, workspace_id: str) -> Collection:
        """The workspace's live collection (its newest finished generation), created on first
        use."""
        if workspace_id not in self._collections:
            _, found = self.live(self.generations(workspace_id))
            found = found or self.create(workspace_id, 0)
            hnsw = (found.configuration or {}).get("hnsw") or {}
            if hnsw.get("ef_search", EF_SEARCH) < EF_SEARCH:
                # collections made before the default changed; read when the index loads
                found.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
            recorded = (found.metadata or {}).get(MODEL_KEY)
            if recorded != self.embedding_model:
                raise EmbedderMismatchError(
                    f"collection {found.name} was embedded with {recorded!r}, not "
                    f"{self.embedding_model!r}; re-import into a new data dir or configure "
                    "the same embedding model"
                )
            self._collections[workspace_id] = found
        return self._collections[workspace_id]

    def generations(self, workspace_id: str) -> dict[int, Collection]:
        """Every collection of the workspace by generation, finished or still being copied."""
        pattern = re.compile(re.escape(collection_name(workspace_id)) + r"(?:_g(\d+))?")
        found = {}
        offset = 0
        while True:  # paged: a server may cap an unbounded listing
            page = self.client.list_collections(limit=LIST_PAGE, offset=offset)
            for candidate in page:
                match = pattern.fullmatch(candidate.name)
                if match:
                    found[int(match.group(1) or 0)] = candidate
            if len(page) < LIST_PAGE:
                return found
            offset += LIST_PAGE

    @staticmethod
    def live(generations: dict[int, Collection]) -> tuple[int, Collection | None]:
        """The newest finished generation (-1 and None when there is none)."""
        finished = [g for g, c in generations.items() if not (c.metadata or {}).get(REBUILDING_KEY)]
        newest = max(finished, default=-1)
        return newest, generations.get(newest)

    def create(self, workspace_id: str, generation: int, rebuilding: bool = False) -> Collection:
        """A generation of the workspace's collection with the current graph."""
        metadata: dict[str, str | bool] = {MODEL_KEY: self.embedding_model, LAYOUT_KEY: LIFTED}
        if rebuilding:
            metadata[REBUILDING_KEY] = True
        return self.client.get_or_create_collection(
            collection_name(workspace_id, generation),
            configuration={
                "hnsw": {
                    "space": SPACE,
                    "max_neighbors": MAX_NEIGHBORS,
                    "ef_construction": EF_CONSTRUCTION,
                    "ef_search": EF_SEARCH,
                }
            },
            metadata=metadata,
            embedding_function=None,
        )

    def graph_summary(self, workspace_id: str) -> str:
        """The live graph (`describe_graph`), with 'reindex for …' when it is not the current
        one."""
        held = describe_graph(graph_of(self.collection(workspace_id)))
        current = describe_graph(CURRENT_GRAPH)
        return held if held == current else f"{held}, reindex for {current}"

    def forget(self, workspace_id: str) -> None:
        """Drop the cached handle: the next use opens the live generation again."""
        self._collections.pop(workspace_id, None)

    def _use(self, workspace_id: str, act: Callable[[Collection], T]) -> T:
        """`act` on the live collection; a handle whose generation a rebuild (perhaps in
        another process) has since deleted is replaced by the live one, once."""
        try:
            return act(self.collection(workspace_id))
        except NotFoundError:
            self.forget(workspace_id)
            return act(self.collection(workspace_id))

    def upsert(
        self, workspace_id: str, records: Sequence[VectorRecord], embeddings: np.ndarray
    ) -> None:
        """Insert or replace records by id (idempotent)."""
        if not records:
            return
        self._counted.pop(workspace_id, None)
        self._use(
            workspace_id,
            lambda c: c.upsert(
                ids=[r.id for r in records],
                documents=[r.document for r in records],
                metadatas=[r.metadata for r in records],
                embeddings=to_index(c, embeddings),
            ),
        )

    def delete(self, workspace_id: str, ids: Sequence[str]) -> None:
        """Remove records by id; ids that are absent are ignored."""
        if ids:
            self._counted.pop(workspace_id, None)
            self._use(workspace_id, lambda c: c.delete(ids=list(ids)))

    def count(self, workspace_id: str) -> int:
        """How many records the workspace's collection holds: messages and passages."""
        count = self._use(workspace_id, lambda c: c.count())
        self._counted[workspace_id] = (time.monotonic(), count)
        return count

    def recent_count(self, workspace_id: str) -> int:
        """`count`, read again only when COUNT_TTL_SECONDS old or after a write through this
        store: for weighing words, where a few messages more or less change nothing."""
        counted = self._counted.get(workspace_id)
        if counted is None or time.monotonic() - counted[0] > COUNT_TTL_SECONDS:
            return self.count(workspace_id)
        return counted[1]

    def passage_count(self, workspace_id: str) -> int:
        """How many of them are passages of long messages (few: only their ids are read)."""
        passages: dict = {"passage": {"$gte": 1}}
        got = self._use(workspace_id, lambda c: c.get(where=passages, include=[]))
        return len(got["ids"])

    def scan(self, workspace_id: str, page: int = 2000) -> Iterator[VectorRecord]:
        """Every record of the workspace (without embeddings), page by page, from one
        generation: pages of a rebuilt one would come in another order."""
        collection = self.collection(workspace_id)
        offset = 0
        while True:
            try:
                got = collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            except NotFoundError as exc:
                self.forget(workspace_id)
                raise StoreError(
                    f"{collection.name} was replaced by a graph rebuild during the scan; run again"
                ) from exc
            yield from _records(got)
            if len(got["ids"]) < page:
                return
            offset += page

    def get(self, workspace_id: str, ids: Sequence[str]) -> dict[str, VectorRecord]:
        """Records by id (missing ids are absent from the result)."""
        if not ids:
            return {}
        got = self._use(
            workspace_id, lambda c: c.get(ids=list(ids), include=["documents", "metadatas"])
        )
        return {record.id: record for record in _records(got)}

    def embeddings(self, workspace_id: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id (missing ids are absent)."""
        if not ids:
            return {}

        def read(c: Collection) -> dict[str, np.ndarray]:
            got = c.get(ids=list(ids), include=["embeddings"])
            return dict(zip(got["ids"], from_index(c, got["embeddings"]), strict=True))

        return self._use(workspace_id, read)

    def query(
        self,
        workspace_id: str,
        embedding: np.ndarray,
        limit: int,
        where: dict | None = None,
        with_documents: bool = True,
        with_metadata: bool = True,
    ) -> list[VectorHit]:
        """Nearest messages to `embedding`, optionally filtered on metadata.

        Deep candidate lists filtered afterwards need neither documents nor, when the filter
        can be read from the ids, metadata: fetching them is most of the cost of a large
        `limit` (1,200 results: 46 ms with metadata, 8 ms without, on 50k vectors).
        """
        include: Include = ["distances"]
        include += ["metadatas"] if with_metadata else []
        include += ["documents"] if with_documents else []
        res = self._use(
            workspace_id,
            lambda c: c.query(
                query_embeddings=to_index(c, embedding[None, :]),
                n_results=limit,
                where=where,
                include=include,
            ),
        )
        ids = res["ids"][0]
        documents = (res["documents"] or [[""] * len(ids)])[0]
        metadatas = (res["metadatas"] or [[{}] * len(ids)])[0]
        distances = (res["distances"] or [[0.0] * len(ids)])[0]
        return [
            VectorHit(id=i, document=d or "", metadata=dict(m or {}), distance=dist)
            for i, d, m, dist in zip(ids, documents, metadatas, distances, strict=True)
        ]


def _records(got: GetResult) -> list[VectorRecord]:
    """A `get` result (with documents and metadatas) as records."""
    ids = got["ids"]
    documents = got["documents"] or [""] * len(ids)
    metadatas = got["metadatas"] or [{}] * len(ids)
    return [
        VectorRecord(
            id=i,
            document=d or "",
            metadata={k: v for k, v in (m or {}).items() if isinstance(v, Scalar)},
        )
        for i, d, m in zip(ids, documents, metadatas, strict=True)
    ]
