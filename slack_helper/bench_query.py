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
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types import TypeInfo
from pydantic import BaseModel

from db import repository
from db.errors import StoreError
from db.models import Channel, Link, Message, Reaction, User, Workspace
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
PGVECTOR_EF_SEARCH = 1000  # pgvector 0.6's widest search: the alternative at its best recall
ITEMS = 997  # message texts name one of these items, for exact-term queries
PR_LINK_EVERY = 25  # one message in 25 links a pull request
REACTED_SHARE = 0.2
EMOJI = ["+1", "tada", "eyes", "rocket", "fire"]
# the seed's pattern 1, "PR links of the last week by reactions"
METADATA_SQL = """SELECT l.url, count(r.user_id) AS reactions
FROM links l LEFT JOIN reactions r USING (workspace_id, message_id)
WHERE l.link_type = 'github_pr' AND l.created_at >= $1 AND l.created_at < $2
GROUP BY l.url ORDER BY reactions DESC, l.url LIMIT 20"""
MARKER = "bench.json"
# How message vectors sit around the sentences. `blended`: each leans on one sentence and partly
# on a second, so topics shade into each other as in real messages. `islands`: each is one
# sentence plus noise, so a million messages are 59 separate clusters of 17,000 near copies; a
# graph search that enters the wrong one stays there (the earlier default, kept to reproduce it).
VectorShape = Literal["blended", "islands"]


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


@dataclass
class Synthetic:
    """The generated workspace: what recall is measured against."""

    vectors: np.ndarray
    channels: list[str]
    stamps: np.ndarray
    users: np.ndarray

    def message_id(self, i: int) -> str:
        """The id the stores give message `i`."""
        return f"{WORKSPACE}:{self.channels[i]}:{_ts(self.stamps[i])}"


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
            data = _synthesize(stores, messages, shape)
            if not built:
                _build(stores, data, progress)
                (data_dir / MARKER).write_text(json.dumps({"messages": messages, "vectors": shape}))
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
                    _pgvector_query(conn, query_vectors[i % len(QUESTIONS)], *filters[i][:2]),
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
        vectors=f"precomputed ({shape}): unit vectors scattered around real sentence "
        "embeddings, stored directly; queries embedded by the model",
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


def _synthesize(stores: Stores, n: int, shape: VectorShape) -> Synthetic:
    """The same workspace for the same `n` and `shape`, every time (fixed seeds)."""
    rng = np.random.default_rng(7)
    channel_ids = [f"C{i:04d}" for i in range(CHANNELS)]
    vectors = _clustered_vectors(stores, rng, n, shape)
    channels = [channel_ids[i] for i in rng.integers(0, CHANNELS, n)]
    stamps = np.sort(rng.uniform(START.timestamp(), START.timestamp() + SPAN_DAYS * 86400, n))
    return Synthetic(vectors, channels, stamps, users=rng.integers(0, USERS, n))


def _build(stores: Stores, data: Synthetic, progress: Progress) -> None:
    """Metadata (with PR links, reactions and the words of each text) into PostgreSQL,
    vectors into Chroma and into a pgvector table."""
    n = len(data.channels)
    with stores.postgres.tenant(WORKSPACE) as conn:
        repository.upsert_workspace(conn, Workspace(workspace_id=WORKSPACE, name="bench"))
        repository.upsert_channels(
            conn,
            WORKSPACE,
            [Channel(channel_id=c, name=f"channel-{c[1:]}") for c in sorted(set(data.channels))],
        )
        repository.upsert_users(
            conn, WORKSPACE, [User(user_id=f"U{u:04d}", name=f"user{u}") for u in range(USERS)]
        )
    extras = np.random.default_rng(11)
    progress.start("built", n)
    with stores.postgres.operator() as pg:
        vector_oid = _pgvector_table(pg)
        for lo in range(0, n, BATCH):
            hi = min(n, lo + BATCH)
            batch = [_message(data, i, extras) for i in range(lo, hi)]
            records = [vector_record(m) for m in batch]
            with stores.postgres.tenant(WORKSPACE) as conn:
                repository.upsert_messages(conn, batch, [content_hash(r) for r in records])
            stores.vectors.upsert(WORKSPACE, records, data.vectors[lo:hi])
            _copy_pgvector(pg, vector_oid, batch, data.vectors[lo:hi])
            progress.advance("built", hi - lo)
        # the graph fits in memory and a second process helps: minutes instead of an hour at 1M
        pg.execute("SET maintenance_work_mem = '8GB'")
        pg.execute("SET max_parallel_maintenance_workers = 1")
        pg.execute(
            "CREATE INDEX IF NOT EXISTS bench_vectors_hnsw ON bench_vectors "
            "USING hnsw (embedding vector_cosine_ops)"
        )
        pg.execute("ANALYZE")


def _message(data: Synthetic, i: int, extras: np.random.Generator) -> Message:
    channel = data.channels[i]
    reactions = []
    if extras.random() < REACTED_SHARE:
        people = extras.choice(USERS, size=int(extras.integers(1, 4)), replace=False)
        reactions = [
            Reaction(
                emoji=EMOJI[int(extras.integers(len(EMOJI)))],
                user_ids=[f"U{u:04d}" for u in people],
            )
        ]
    links = (
        [
            Link(
                url=f"https://github.com/acme/app/pull/{i}",
                link_type="github_pr",
                domain="github.com",
            )
        ]
        if i % PR_LINK_EVERY == 0
        else []
    )
    return Message(
        workspace_id=WORKSPACE,
        channel_id=channel,
        ts=_ts(data.stamps[i]),
        user_id=f"U{data.users[i]:04d}",
        created_at=datetime.fromtimestamp(data.stamps[i], UTC),
        message_type="message",
        is_content=True,
        text=f"message {i} in {channel} about item {i % ITEMS}",
        reactions=reactions,
        links=links,
    )


def _pgvector_table(conn: psycopg.Connection) -> int:
    """The pgvector table, and numpy vectors dumped to `conn` in pgvector's binary form;
    returns the vector type's oid."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_vectors (message_id text PRIMARY KEY, "
        "channel_id text, created_at timestamptz, embedding vector(384))"
    )
    info = TypeInfo.fetch(conn, "vector")
    conn.adapters.register_dumper(np.ndarray, _vector_dumper(info.oid))
    conn.commit()
    return info.oid


def _copy_pgvector(
    conn: psycopg.Connection, vector_oid: int, batch: list[Message], vectors: np.ndarray
) -> None:
    """Binary COPY, committed per batch: formatting a million 384-float vectors as text would
    take minutes."""
    with conn.cursor().copy(
        "COPY bench_vectors (message_id, channel_id, created_at, embedding) "
        "FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["text", "text", "timestamptz", vector_oid])
        for m, v in zip(batch, vectors, strict=True):
            copy.write_row((m.message_id, m.channel_id, m.created_at, v))
    conn.commit()


def _vector_dumper(oid: int) -> type[Dumper]:
    class VectorDumper(Dumper):
        """pgvector's binary input: dimensions, a reserved zero, big-endian float4s."""

        format = Format.BINARY

        def dump(self, obj: np.ndarray) -> bytes:
            return struct.pack(">HH", obj.shape[0], 0) + obj.astype(">f4").tobytes()

    VectorDumper.oid = oid
    return VectorDumper


def _clustered_vectors(
    stores: Stores, rng: np.random.Generator, n: int, shape: VectorShape
) -> np.ndarray:
    """Unit vectors scattered around real sentence embeddings, so neighbourhoods have the
    structure real messages have (uniformly random vectors are all nearly equidistant, which
    makes every approximate index look worse than it is on real text)."""
    sentences = [s for pool in CHATTER.values() for s in pool] + [story[4] for story in STORIES]
    centres = stores.embedder.embed(sentences)
    vectors = centres[rng.integers(0, len(centres), n)]
    if shape == "blended":  # up to half of a second sentence
        lean = rng.uniform(0, 0.5, (n, 1)).astype(np.float32)
        vectors = (1 - lean) * vectors + lean * centres[rng.integers(0, len(centres), n)]
    vectors += rng.standard_normal((n, centres.shape[1]), dtype=np.float32) * np.float32(
        0.7 / np.sqrt(centres.shape[1])
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def _filter(rng: random.Random, channels: list[str], stamps: np.ndarray):
    """The seed's pattern 3: five channels (10 %) and the newest half year."""
    chosen = rng.sample(sorted(set(channels)), 5)
    since = START + timedelta(days=rng.randint(120, 240))
    mask = np.isin(np.array(channels), chosen) & (stamps >= since.timestamp())
    return chosen, since, mask


def _pgvector_query(
    conn: psycopg.Connection, query: np.ndarray, chosen: list[str], since: datetime
) -> list[str]:
    """The alternative the seed rejected: filter and rank inside PostgreSQL, then enrich."""
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


def _ts(stamp: float) -> str:
    return f"{stamp:.6f}"


def _vector_text(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in v) + "]"
