"""`slack-helper bench query`: query latency and filtered recall, Chroma strategies vs pgvector.

The workspace is synthetic and built without embedding every text: precomputed vectors around
real sentence embeddings stand in for message embeddings (written straight to Chroma and to a
pgvector table), so large workspaces build in minutes. Queries are real sentences embedded by
the real model. Every filtered query's recall@10 is measured against an exact brute-force
search over the same filter, so speed never hides lost results.
"""

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from db import repository
from db.models import Channel, Message, User, Workspace
from db.outbox import content_hash, vector_record
from db.stores import StoreConfig, Stores, open_stores
from ingest.progress import NoProgress, Progress
from ingest.sample_export import CHATTER, STORIES
from mcp_server.contracts import SearchArgs, SqlArgs
from mcp_server.tools import WorkspaceTools

WORKSPACE = "TBENCH01"
CHANNELS = 50
USERS = 300
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 365
BATCH = 2000
QUESTIONS = [
    "How do we deploy to production?",
    "Why did the API return 502 errors?",
    "Who is reviewing the session storage change?",
    "What did customers say about CSV exports?",
    "When does the code freeze start?",
    "How do I rotate the database password?",
    "What shipped in the last release?",
    "Is the staging database slow again?",
    "What are the plans for dark mode?",
    "Who owns the billing webhook?",
]
PGVECTOR_EF_SEARCH = 400
METADATA_SQL = (
    "SELECT u.name, count(*) AS messages FROM message_metadata m "
    "JOIN users u USING (workspace_id, user_id) WHERE m.created_at >= $1 "
    "GROUP BY u.name ORDER BY 2 DESC LIMIT 10"
)


class Latency(BaseModel):
    """p50/p95 of one query kind, and recall@10 against exact search where it applies."""

    p50_ms: float
    p95_ms: float
    recall_at_10: float | None = None
    strategies: dict[str, int] | None = None


class QueryBench(BaseModel):
    """The `bench query --json` document."""

    messages: int
    vectors: str
    metadata: Latency
    semantic: Latency
    hybrid: Latency
    hybrid_pgvector: Latency


def bench_query(
    config: StoreConfig,
    messages: int,
    queries: int = 60,
    progress: Progress | None = None,
    embedder=None,
) -> QueryBench:
    """Build a synthetic workspace of `messages` in scratch embedded stores, then time queries."""
    progress = progress or NoProgress()
    with tempfile.TemporaryDirectory(prefix="slack-helper-bench-") as scratch:
        scratch_config = config.model_copy(
            update={"data_dir": Path(scratch) / "data", "database_url": None, "chroma_url": None}
        )
        with open_stores(scratch_config, embedder=embedder) as stores:
            vectors, channels, stamps = _build(stores, messages, progress)
            tools = WorkspaceTools(stores, WORKSPACE)
            rng = random.Random(5)
            query_vectors = stores.embedder.embed(QUESTIONS)
            tools.semantic_search(SearchArgs(query="warm up the caches, untimed"))
            since = START + timedelta(days=SPAN_DAYS // 2)
            metadata = _time(
                queries,
                lambda i: tools.sql_metadata_query(
                    SqlArgs(sql=METADATA_SQL, params=[since - timedelta(days=i % 90)])
                ),
            )
            semantic_runs: list[tuple[int, list[str], np.ndarray]] = []
            everything = np.ones(len(channels), dtype=bool)
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
            filters = [_filter(rng, channels, stamps) for _ in range(queries)]
            hybrid_runs: list[tuple[int, list[str], np.ndarray]] = []
            strategies: dict[str, int] = {}

            def hybrid_query(i: int) -> None:
                chosen, since_i, mask = filters[i]
                result = tools.semantic_search(
                    SearchArgs(
                        query=QUESTIONS[i % len(QUESTIONS)],
                        channels=chosen,
                        since=since_i,
                        limit=10,
                    )
                )
                strategies[result.strategy] = strategies.get(result.strategy, 0) + 1
                hybrid_runs.append((i, [h.message_id for h in result.hits], mask))

            hybrid = _time(queries, hybrid_query)
            hybrid.strategies = strategies
            pg_runs: list[tuple[int, list[str], np.ndarray]] = []
            hybrid_pg = _time(
                queries,
                lambda i: pg_runs.append(
                    (
                        i,
                        _pgvector_query(stores, query_vectors[i % len(QUESTIONS)], *filters[i][:2]),
                        filters[i][2],
                    )
                ),
            )
            ids = [f"{WORKSPACE}:{c}:{_ts(s)}" for c, s in zip(channels, stamps, strict=True)]
            semantic.recall_at_10 = _recall(semantic_runs, query_vectors, vectors, ids)
            hybrid.recall_at_10 = _recall(hybrid_runs, query_vectors, vectors, ids)
            hybrid_pg.recall_at_10 = _recall(pg_runs, query_vectors, vectors, ids)
    return QueryBench(
        messages=messages,
        vectors="precomputed: unit vectors scattered around real sentence embeddings, stored "
        "directly; queries embedded by the model",
        metadata=metadata,
        semantic=semantic,
        hybrid=hybrid,
        hybrid_pgvector=hybrid_pg,
    )


def _build(stores: Stores, n: int, progress: Progress) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Metadata into PostgreSQL, vectors into Chroma and a pgvector table; returns the truth."""
    rng = np.random.default_rng(7)
    channel_ids = [f"C{i:04d}" for i in range(CHANNELS)]
    with stores.postgres.tenant(WORKSPACE) as conn:
        repository.upsert_workspace(conn, Workspace(workspace_id=WORKSPACE, name="bench"))
        repository.upsert_channels(
            conn, WORKSPACE, [Channel(channel_id=c, name=f"channel-{c[1:]}") for c in channel_ids]
        )
        repository.upsert_users(
            conn, WORKSPACE, [User(user_id=f"U{u:04d}", name=f"user{u}") for u in range(USERS)]
        )
    with stores.postgres.operator() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_vectors (message_id text PRIMARY KEY, "
            "channel_id text, created_at timestamptz, embedding vector(384))"
        )
    vectors = _clustered_vectors(stores, rng, n)
    channels = [channel_ids[i] for i in rng.integers(0, CHANNELS, n)]
    stamps = np.sort(rng.uniform(START.timestamp(), START.timestamp() + SPAN_DAYS * 86400, n))
    users = rng.integers(0, USERS, n)
    progress.start("built", n)
    for lo in range(0, n, BATCH):
        hi = min(n, lo + BATCH)
        batch = [
            Message(
                workspace_id=WORKSPACE,
                channel_id=channels[i],
                ts=_ts(stamps[i]),
                user_id=f"U{users[i]:04d}",
                created_at=datetime.fromtimestamp(stamps[i], UTC),
                message_type="message",
                is_content=True,
                text=f"message {i} in {channels[i]} about item {i % 997}",
            )
            for i in range(lo, hi)
        ]
        records = [vector_record(m) for m in batch]
        with stores.postgres.tenant(WORKSPACE) as conn:
            repository.upsert_messages(conn, batch, [content_hash(r) for r in records])
        stores.vectors.upsert(WORKSPACE, records, vectors[lo:hi])
        with (
            stores.postgres.operator() as conn,
            conn.cursor().copy(
                "COPY bench_vectors (message_id, channel_id, created_at, embedding) FROM STDIN"
            ) as copy,
        ):
            for m, v in zip(batch, vectors[lo:hi], strict=True):
                copy.write_row((m.message_id, m.channel_id, m.created_at, _vector_text(v)))
        progress.advance("built", hi - lo)
    with stores.postgres.operator() as conn:
        conn.execute(
            "CREATE INDEX IF NOT EXISTS bench_vectors_hnsw ON bench_vectors "
            "USING hnsw (embedding vector_cosine_ops)"
        )
        conn.execute("ANALYZE")
    return vectors, channels, stamps


def _clustered_vectors(stores: Stores, rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit vectors scattered around real sentence embeddings, so neighbourhoods have the
    structure real messages have (uniformly random vectors are all nearly equidistant, which
    makes every approximate index look worse than it is on real text)."""
    sentences = [s for pool in CHATTER.values() for s in pool] + [story[4] for story in STORIES]
    centres = stores.embedder.embed(sentences)
    vectors = centres[rng.integers(0, len(centres), n)] + rng.standard_normal(
        (n, centres.shape[1]), dtype=np.float32
    ) * np.float32(0.7 / np.sqrt(centres.shape[1]))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def _filter(rng: random.Random, channels: list[str], stamps: np.ndarray):
    """The seed's pattern 3: five channels (10 %) and the newest half year."""
    chosen = rng.sample(sorted(set(channels)), 5)
    since = START + timedelta(days=rng.randint(120, 240))
    mask = np.isin(np.array(channels), chosen) & (stamps >= since.timestamp())
    return chosen, since, mask


def _pgvector_query(stores: Stores, query: np.ndarray, chosen: list[str], since: datetime):
    """The alternative the seed rejected: filter and rank inside PostgreSQL, then enrich."""
    with stores.postgres.operator() as conn:
        # pgvector 0.6 post-filters its HNSW candidates; a wider search keeps more of them
        conn.execute(f"SET LOCAL hnsw.ef_search = {PGVECTOR_EF_SEARCH}")
        rows = conn.execute(
            """SELECT v.message_id, c.name, m.user_id, m.reaction_count
               FROM (SELECT message_id FROM bench_vectors
                     WHERE channel_id = ANY(%s) AND created_at >= %s
                     ORDER BY embedding <=> %s::vector LIMIT 10) v
               JOIN message_metadata m ON m.message_id = v.message_id
               JOIN channels c
                 ON c.workspace_id = m.workspace_id AND c.channel_id = m.channel_id""",
            [chosen, since, _vector_text(query)],
        ).fetchall()
    return [r[0] for r in rows]


def _recall(runs, query_vectors: np.ndarray, vectors: np.ndarray, ids: list[str]) -> float:
    """Mean share of the exact top 10 (within each run's filter) that the run returned."""
    scores = []
    for i, returned, mask in runs:
        sims = vectors @ query_vectors[i % len(QUESTIONS)]
        sims[~mask] = -np.inf
        exact = {ids[j] for j in np.argsort(-sims)[:10] if np.isfinite(sims[j])}
        if exact:
            scores.append(len(exact & set(returned[:10])) / len(exact))
    return round(statistics.fmean(scores), 3) if scores else 1.0


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


def _ts(stamp: float) -> str:
    return f"{stamp:.6f}"


def _vector_text(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in v) + "]"
