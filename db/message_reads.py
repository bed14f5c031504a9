"""Reads of messages for the tools and reconcile: rows with their channel and author names,
threads, history pages, and what PostgreSQL expects Chroma to hold."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from db.filters import where


def message_rows(conn: psycopg.Connection, message_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Messages by id with channel and author names and counts (no text: that is Chroma's),
    keyed as the tools' MessageRef: message_id, channel_id, channel, ts, thread_ts, user_id,
    user, time, reactions, replies."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT m.message_id, m.channel_id, c.name AS channel, m.ts, m.thread_ts,
                      m.user_id, coalesce(u.display_name, u.name, u.real_name) AS user,
                      m.created_at AS time, m.reaction_count AS reactions,
                      m.reply_count AS replies
               FROM message_metadata m
               JOIN channels c USING (workspace_id, channel_id)
               LEFT JOIN users u USING (workspace_id, user_id)
               WHERE m.message_id = ANY(%s)""",
            [list(message_ids)],
        ).fetchall()


def thread_ids(conn: psycopg.Connection, channel_id: str, thread_ts: str) -> list[str]:
    """The ids of a thread's parent and replies, oldest first (empty: no such message)."""
    rows = conn.execute(
        "SELECT message_id FROM message_metadata WHERE channel_id = %(c)s "
        "AND (ts = %(t)s OR thread_ts = %(t)s) ORDER BY ts::numeric",
        {"c": channel_id, "t": thread_ts},
    )
    return [r[0] for r in rows]


def message_id_at(conn: psycopg.Connection, channel_id: str, ts: str) -> str | None:
    """The id of the stored message at (channel, ts), or None."""
    row = conn.execute(
        "SELECT message_id FROM message_metadata WHERE channel_id = %s AND ts = %s",
        [channel_id, ts],
    ).fetchone()
    return row[0] if row else None


def history_page(
    conn: psycopg.Connection,
    channel_id: str,
    *,
    since: datetime | None,
    until: datetime | None,
    after_ts: str | None,
    limit: int,
    author_ids: Sequence[str] = (),
    newest_first: bool = False,
) -> list[tuple[str, str]]:
    """(message_id, ts) of a channel's content messages (of some authors) oldest first, after
    `after_ts`; or newest first, before it."""
    beyond = "<" if newest_first else ">"
    condition, params = where(
        ["channel_id = %(c)s", "is_content"],
        {
            "since": ("created_at >= %(since)s", since),
            "until": ("created_at < %(until)s", until),
            "cursor": (f"ts::numeric {beyond} %(cursor)s::numeric", after_ts),
            "authors": ("user_id = ANY(%(authors)s)", list(author_ids)),
        },
    )
    order = "DESC" if newest_first else "ASC"
    rows = conn.execute(
        f"SELECT message_id, ts FROM message_metadata WHERE {condition} "
        f"ORDER BY ts::numeric {order} LIMIT %(n)s",
        {**params, "c": channel_id, "n": limit},
    )
    return [(r[0], r[1]) for r in rows]


def expected_hashes(conn: psycopg.Connection) -> dict[str, str | None]:
    """Every content message with the hash of what Chroma must hold for it."""
    rows = conn.execute("SELECT message_id, content_hash FROM message_metadata WHERE is_content")
    return dict(rows.fetchall())


def unsearchable_ids(conn: psycopg.Connection) -> list[str]:
    """Content messages whose words the keyword index lacks (stored before it existed)."""
    rows = conn.execute(
        "SELECT m.message_id FROM message_metadata m LEFT JOIN message_terms t "
        "USING (workspace_id, message_id) WHERE m.is_content AND t.message_id IS NULL "
        "ORDER BY 1"
    )
    return [r[0] for r in rows]


def vector_fields(conn: psycopg.Connection, message_ids: Sequence[str]) -> list[dict[str, Any]]:
    """What a vector's metadata is built from, per message: message_id, channel_id, ts,
    user_id, thread_ts, message_type."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT message_id, channel_id, ts, user_id, thread_ts, message_type "
            "FROM message_metadata WHERE message_id = ANY(%s)",
            [list(message_ids)],
        ).fetchall()


def message_places(
    conn: psycopg.Connection, message_ids: Sequence[str]
) -> list[tuple[str, datetime]]:
    """(channel_id, created_at) of each of these messages: where a source keeps them."""
    rows = conn.execute(
        "SELECT channel_id, created_at FROM message_metadata WHERE message_id = ANY(%s)",
        [list(message_ids)],
    )
    return [(r[0], r[1]) for r in rows]
