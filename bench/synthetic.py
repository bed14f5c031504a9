"""The synthetic bench workspace: precomputed vectors around real sentence embeddings stand in
for message embeddings (written straight to Chroma and to a pgvector table), so large
workspaces build in minutes. The data is a pure function of its size and shape."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from bench.pgvector import copy_pgvector, pgvector_table
from db.channels import upsert_channels
from db.messages import upsert_messages
from db.models import Channel, Link, Message, Reaction, User, Workspace, message_id
from db.outbox import content_hash, vector_record
from db.people import upsert_users
from db.stores import Stores
from db.workspaces import upsert_workspace
from ingest.context import two_views
from ingest.progress import Progress
from sample.conversations import CHATTER, STORIES

WORKSPACE = "TBENCH01"
CHANNELS = 50
USERS = 300
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 365
BATCH = 2000
ITEMS = 997  # message texts name one of these items, for exact-term queries
PR_LINK_EVERY = 25  # one message in 25 links a pull request
REACTED_SHARE = 0.2
EMOJI = ["+1", "tada", "eyes", "rocket", "fire"]
# How message vectors sit around the sentences. `blended`: each leans on one sentence and partly
# on a second, so topics shade into each other as in real messages. `islands`: each is one
# sentence plus noise, so a million messages are 59 separate clusters of 17,000 near copies; a
# graph search that enters the wrong one stays there (the earlier default, kept to reproduce it).
VectorShape = Literal["blended", "islands"]


@dataclass
class Synthetic:
    """The generated workspace: what recall is measured against."""

    vectors: np.ndarray
    channels: list[str]
    stamps: np.ndarray
    users: np.ndarray

    def message_id(self, i: int) -> str:
        """The id the stores give message `i`."""
        return message_id(WORKSPACE, self.channels[i], bench_ts(self.stamps[i]))


def synthesize(stores: Stores, n: int, shape: VectorShape) -> Synthetic:
    """The same workspace for the same `n` and `shape`, every time (fixed seeds)."""
    rng = np.random.default_rng(7)
    channel_ids = [f"C{i:04d}" for i in range(CHANNELS)]
    own = _clustered_vectors(stores, rng, n, shape)
    channels = [channel_ids[i] for i in rng.integers(0, CHANNELS, n)]
    vectors = _two_views(own, channels)
    stamps = np.sort(rng.uniform(START.timestamp(), START.timestamp() + SPAN_DAYS * 86400, n))
    return Synthetic(vectors, channels, stamps, users=rng.integers(0, USERS, n))


def build(stores: Stores, data: Synthetic, progress: Progress) -> None:
    """Metadata (with PR links, reactions and the words of each text) into PostgreSQL,
    vectors into Chroma and into a pgvector table."""
    n = len(data.channels)
    with stores.postgres.tenant(WORKSPACE) as conn:
        upsert_workspace(conn, Workspace(workspace_id=WORKSPACE, name="bench"))
        upsert_channels(
            conn,
            WORKSPACE,
            [Channel(channel_id=c, name=f"channel-{c[1:]}") for c in sorted(set(data.channels))],
        )
        upsert_users(
            conn, WORKSPACE, [User(user_id=f"U{u:04d}", name=f"user{u}") for u in range(USERS)]
        )
    extras = np.random.default_rng(11)
    progress.start("built", n)
    with stores.postgres.operator() as pg:
        vector_oid = pgvector_table(pg)
        for lo in range(0, n, BATCH):
            hi = min(n, lo + BATCH)
            batch = [_message(data, i, extras) for i in range(lo, hi)]
            records = [vector_record(m) for m in batch]
            with stores.postgres.tenant(WORKSPACE) as conn:
                upsert_messages(conn, batch, [content_hash(r) for r in records])
            stores.vectors.upsert(WORKSPACE, records, data.vectors[lo:hi])
            copy_pgvector(pg, vector_oid, batch, data.vectors[lo:hi])
            progress.advance("built", hi - lo)
        # the graph fits in memory and a second process helps: minutes instead of an hour at 1M
        pg.execute("SET maintenance_work_mem = '8GB'")
        pg.execute("SET max_parallel_maintenance_workers = 1")
        pg.execute(
            "CREATE INDEX IF NOT EXISTS bench_vectors_hnsw ON bench_vectors "
            "USING hnsw (embedding vector_ip_ops)"  # the metric Chroma's collections use
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
        ts=bench_ts(data.stamps[i]),
        user_id=f"U{data.users[i]:04d}",
        created_at=datetime.fromtimestamp(data.stamps[i], UTC),
        message_type="message",
        is_content=True,
        text=f"message {i} in {channel} about item {i % ITEMS}",
        reactions=reactions,
        links=links,
    )


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


def _two_views(own: np.ndarray, channels: list[str]) -> np.ndarray:
    """What the stores hold for each message (`ingest.context.two_views`: the mean of its own
    unit vector and its contextual one, not normalised; norm 0.8-1, as real messages'). The
    contextual view stands for the message read with its conversation: its own vector plus
    that of the message before it in its channel (messages are in time order), normalised."""
    before = np.arange(len(channels))
    last: dict[str, int] = {}
    for i, channel in enumerate(channels):
        before[i] = last.get(channel, i)
        last[channel] = i
    context = own + own[before]
    context /= np.linalg.norm(context, axis=1, keepdims=True)
    return two_views(context, own).astype(np.float32)


def bench_ts(stamp: float) -> str:
    """A Slack ts for a unix time (microseconds, as Slack writes them)."""
    return f"{stamp:.6f}"
