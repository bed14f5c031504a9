"""`slack-helper bench query`: query latency and filtered recall, Chroma strategies vs pgvector.

The workspace is synthetic and built without embedding every text: precomputed vectors around
real sentence embeddings stand in for message embeddings (written straight to Chroma and to a
pgvector table), so large workspaces build in minutes. Queries are real sentences embedded by
the real model; they hold no exact-looking terms, so recall measures the vector side alone
(exact-term queries are timed on their own, as `keyword`). Every filtered query's recall@10
is measured against an exact brute-force search over the same filter, so speed never hides
lost results.

A million messages take most of an hour to build, so `--store DIR` keeps the built workspace
and later runs with the same size and vectors reuse it: the synthetic data is a pure function of
both, so the truth recall is measured against is regenerated rather than stored.
"""

import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import numpy as np
import psycopg
from pydantic import BaseModel

from bench.pgvector import PGVECTOR_EF_SEARCH, pgvector_query
from bench.synthetic import (
    ITEMS,
    START,
    WORKSPACE,
    Synthetic,
    VectorShape,
    build,
    synthesize,
)
from db.errors import StoreError
from db.stores import StoreConfig, Stores, open_stores
from db.vectors import CURRENT_GRAPH, describe_graph, graph_of
from ingest.progress import NoProgress, Progress
from mcp_server.contracts import SearchArgs, SqlArgs
from mcp_server.tools import WorkspaceTools

QUESTIONS = [
    "How do we deploy to production?",
    "Why did the service return errors?",
    "Who is reviewing the session storage change?",
    "What did customers say about exports?",
    "When does the code freeze start?",
    "How do I rotate the database password?",
    "What shipped in the last release?",
    "Is the staging database slow again?",
    "What are the plans for dark mode?",
    "Who owns the billing webhook?",
]
# the seed's pattern 1, "PR links of the last week by reactions"
METADATA_SQL = """SELECT l.url, count(r.user_id) AS reactions
FROM links l LEFT JOIN reactions r USING (workspace_id, message_id)
WHERE l.link_type = 'github_pr' AND l.created_at >= $1 AND l.created_at < $2
GROUP BY l.url ORDER BY reactions DESC, l.url LIMIT 20"""
MARKER = "bench.json"
# stored vectors are two-view means ranked by inner product, in Chroma and in pgvector
# (bench/synthetic.py); a store built before holds unit vectors and a cosine index: stale
VIEWS = 2


class Latency(BaseModel):
    """p50/p95 of one query kind, and recall@10 against exact search where it applies."""

    p50_ms: float
    p95_ms: float
    recall_at_10: float | None = None
    # the worst single query: low while the mean is high means a few queries lost everything
    worst_recall_at_10: float | None = None
    strategies: dict[str, int] | None = None


class QueryBench(BaseModel):
    """The `bench query --json` document."""

    messages: int
    vectors: str
    metadata: Latency
    semantic: Latency
    hybrid: Latency
    hybrid_pgvector: Latency
    keyword: Latency


def bench_query(
    config: StoreConfig,
    messages: int,
    queries: int = 60,
    progress: Progress | None = None,
    embedder=None,
    store: Path | None = None,
    shape: VectorShape = "blended",
) -> QueryBench:
    """Build (or reuse, from `store`) a synthetic workspace of `messages` in embedded stores,
    then time queries through the tool functions."""
    progress = progress or NoProgress()
    with _data_dir(store, messages, shape) as (data_dir, built):
        bench_config = config.model_copy(
            update={"data_dir": data_dir, "database_url": None, "chroma_url": None}
        )
        with open_stores(bench_config, embedder=embedder) as stores:
            data = synthesize(stores, messages, shape)
            held = graph_of(stores.vectors.collection(WORKSPACE))
            if built and held != CURRENT_GRAPH:
                raise StoreError(
                    f"{store} holds a {describe_graph(held)} graph, not the current "
                    f"{describe_graph(CURRENT_GRAPH)}; remove it"
                )
            if not built:
                build(stores, data, progress)
                held = {"messages": messages, "vectors": shape, "views": VIEWS}
                (data_dir / MARKER).write_text(json.dumps(held))
            return _measure(stores, data, queries, shape)


def _measure(stores: Stores, data: Synthetic, queries: int, shape: VectorShape) -> QueryBench:
    tools = WorkspaceTools(stores, WORKSPACE)
    rng = random.Random(5)
    query_vectors = stores.embedder.embed(QUESTIONS)
    tools.semantic_search(SearchArgs(query="warm up the caches, untimed"))
    week = timedelta(days=7)
    metadata = _time(
        queries,
        lambda i: tools.sql_metadata_query(
            SqlArgs(sql=METADATA_SQL, params=[START + week * (i % 52), START + week * (i % 52 + 1)])
        ),
    )
    semantic_runs: list[tuple[int, list[str], np.ndarray]] = []
    everything = np.ones(len(data.channels), dtype=bool)
    semantic = _time(
        queries,
        lambda i: semantic_runs.append(
            (
                i,
                [
                    h.message_id
                    for h in tools.semantic_search(
                        SearchArgs(query=QUESTIONS[i % len(QUESTIONS)], limit=10)
                    ).hits
                ],
                everything,
            )
        ),
    )
    filters = [_filter(rng, data.channels, data.stamps) for _ in range(queries)]
    hybrid_runs: list[tuple[int, list[str], np.ndarray]] = []
    strategies: dict[str, int] = {}

    def hybrid_query(i: int) -> None:
        chosen, since_i, mask = filters[i]
        result = tools.semantic_search(
            SearchArgs(
                query=QUESTIONS[i % len(QUESTIONS)], channels=chosen, since=since_i, limit=10
            )
        )
        strategies[result.strategy] = strategies.get(result.strategy, 0) + 1
        hybrid_runs.append((i, [h.message_id for h in result.hits], mask))

    hybrid = _time(queries, hybrid_query)
    hybrid.strategies = strategies
    pg_runs: list[tuple[int, list[str], np.ndarray]] = []
    with psycopg.connect(stores.postgres.operator_dsn, autocommit=True) as conn:
        # pgvector 0.6 post-filters its HNSW candidates (no iterative scans before 0.8)
        conn.execute(f"SET hnsw.ef_search = {PGVECTOR_EF_SEARCH}")
        hybrid_pg = _time(
            queries,
            lambda i: pg_runs.append(
                (
                    i,
                    pgvector_query(conn, query_vectors[i % len(QUESTIONS)], *filters[i][:2]),
                    filters[i][2],
                )
            ),
        )
    ids = [data.message_id(i) for i in range(len(data.channels))]
    for latency, runs in ((semantic, semantic_runs), (hybrid, hybrid_runs), (hybrid_pg, pg_runs)):
        latency.recall_at_10, latency.worst_recall_at_10 = _recall(
            runs, query_vectors, data.vectors, ids
        )
    # an exact term in the question adds the full-text match in PostgreSQL to the vector side
    keyword = _time(
        queries,
        lambda i: tools.semantic_search(
            SearchArgs(query=f"What happened to item {i * 7 % ITEMS}?", limit=10)
        ),
    )
    return QueryBench(
        messages=len(data.channels),
        vectors=f"precomputed ({shape}): two-view means of unit vectors scattered around "
        "real sentence embeddings, stored directly; queries embedded by the model",
        metadata=metadata,
        semantic=semantic,
        hybrid=hybrid,
        hybrid_pgvector=hybrid_pg,
        keyword=keyword,
    )


@contextmanager
def _data_dir(store: Path | None, messages: int, shape: VectorShape) -> Iterator[tuple[Path, bool]]:
    """Scratch stores, or `store` and whether it already holds a finished build of this size
    and shape."""
    if store is None:
        with tempfile.TemporaryDirectory(prefix="slack-helper-bench-") as scratch:
            yield Path(scratch) / "data", False
        return
    marker = store / MARKER
    if marker.exists():
        built = json.loads(marker.read_text())
        held, held_shape = built["messages"], built.get("vectors", "islands")
        if built.get("views", 1) != VIEWS:
            raise StoreError(f"{store} holds unit vectors from before two views; remove it")
        if (held, held_shape) != (messages, shape):
            raise StoreError(
                f"{store} holds a bench workspace of {held:,} messages with {held_shape} "
                f"vectors; pass --messages {held} --vectors {held_shape} or another --store"
            )
        yield store, True
        return
    if store.exists() and any(store.iterdir()):
        raise StoreError(f"{store} holds an unfinished build or other data; remove it first")
    store.mkdir(parents=True, exist_ok=True)
    yield store, False


def _filter(rng: random.Random, channels: list[str], stamps: np.ndarray):
    """The seed's pattern 3: five channels (10 %) and the newest half year."""
    chosen = rng.sample(sorted(set(channels)), 5)
    since = START + timedelta(days=rng.randint(120, 240))
    mask = np.isin(np.array(channels), chosen) & (stamps >= since.timestamp())
    return chosen, since, mask


def _recall(
    runs, query_vectors: np.ndarray, vectors: np.ndarray, ids: list[str]
) -> tuple[float, float]:
    """Mean and least share of the exact top 10 (within each run's filter) that a run
    returned."""
    scores = []
    for i, returned, mask in runs:
        sims = vectors @ query_vectors[i % len(QUESTIONS)]
        sims[~mask] = -np.inf
        exact = {ids[j] for j in np.argsort(-sims)[:10] if np.isfinite(sims[j])}
        if exact:
            scores.append(len(exact & set(returned[:10])) / len(exact))
    if not scores:
        return 1.0, 1.0
    return round(statistics.fmean(scores), 3), round(min(scores), 3)


def _time(n: int, run: Callable[[int], object]) -> Latency:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        run(i)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return Latency(
        p50_ms=round(statistics.median(samples), 2),
        p95_ms=round(samples[min(len(samples) - 1, int(0.95 * len(samples)))], 2),
    )
