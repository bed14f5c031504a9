"""The alternative the seed rejected, for comparison: the vectors in a pgvector table, filtered
and ranked inside PostgreSQL (the bench's own SQL: nothing in the product uses pgvector)."""

import struct
from datetime import datetime

import numpy as np
import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types import TypeInfo

from db.models import Message

PGVECTOR_EF_SEARCH = 1000  # pgvector 0.6's widest search: the alternative at its best recall


def pgvector_table(conn: psycopg.Connection) -> int:
    """The pgvector table, and numpy vectors dumped to `conn` in pgvector's binary form;
    returns the vector type's oid."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_vectors (message_id text PRIMARY KEY, "
        "channel_id text, created_at timestamptz, embedding vector(384))"
    )
    info = TypeInfo.fetch(conn, "vector")
    if info is None:
        raise RuntimeError("the vector extension is not installed")
    conn.adapters.register_dumper(np.ndarray, _vector_dumper(info.oid))
    conn.commit()
    return info.oid


def copy_pgvector(
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


def pgvector_query(
    conn: psycopg.Connection, query: np.ndarray, chosen: list[str], since: datetime
) -> list[str]:
    """The alternative the seed rejected: filter and rank inside PostgreSQL, then enrich."""
    rows = conn.execute(
        """SELECT v.message_id, c.name, m.user_id, m.reaction_count
           FROM (SELECT message_id FROM bench_vectors
                 WHERE channel_id = ANY(%s) AND created_at >= %s
                 ORDER BY embedding <#> %s::vector LIMIT 10) v
           JOIN message_metadata m ON m.message_id = v.message_id
           JOIN channels c
             ON c.workspace_id = m.workspace_id AND c.channel_id = m.channel_id""",
        [chosen, since, _vector_text(query)],
    ).fetchall()
    return [r[0] for r in rows]


def _vector_text(v: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in v) + "]"
