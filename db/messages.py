"""Message metadata and its keyword index: written from every source in the outbox's
transaction, deleted, pinned, and recounted per thread."""

from collections.abc import Sequence
from datetime import datetime

import psycopg

from db import outbox
from db.channel_events import replace_events
from db.filters import where
from db.models import Message, message_id


def upsert_messages(
    conn: psycopg.Connection, messages: Sequence[Message], hashes: Sequence[str | None]
) -> None:
    """Write message metadata, index the words of content messages, and replace each
    message's reactions, links and files.

    `hashes[i]` is the content hash of what Chroma must hold for `messages[i]` (None: nothing).
    Each table gets one set-based statement (unnest of column arrays) per batch.
    """
    if not messages:
        return
    ws = messages[0].workspace_id
    ids = [m.message_id for m in messages]
    # a message whose content is unchanged keeps its words: the vector sync indexed them
    # with their conversation's (ingest/context.py), which a plain rewrite would lose
    unchanged = {
        row[0]
        for row in conn.execute(
            """SELECT m.message_id FROM message_metadata m
               JOIN unnest(%s::text[], %s::text[]) AS n(message_id, content_hash)
                 USING (message_id)
               WHERE m.content_hash = n.content_hash""",
            [ids, list(hashes)],
        )
    }
    columns = {
        "message_id": ids,
        "channel_id": [m.channel_id for m in messages],
        "ts": [m.ts for m in messages],
        "user_id": [m.user_id for m in messages],
        "bot_id": [m.bot_id for m in messages],
        "created_at": [m.created_at for m in messages],
        "thread_ts": [m.thread_ts for m in messages],
        "subtype": [m.subtype for m in messages],
        "message_type": [m.message_type for m in messages],
        "is_content": [m.is_content for m in messages],
        "reply_count": [m.reply_count for m in messages],
        "latest_reply": [m.latest_reply for m in messages],
        "reaction_count": [sum(len(r.user_ids) for r in m.reactions) for m in messages],
        "has_files": [bool(m.files) for m in messages],
        "has_links": [bool(m.links) for m in messages],
        "edited_at": [m.edited_at for m in messages],
        "content_hash": list(hashes),
    }
    types = {
        "created_at": "timestamptz",
        "edited_at": "timestamptz",
        "is_content": "boolean",
        "has_files": "boolean",
        "has_links": "boolean",
        "reply_count": "integer",
        "reaction_count": "integer",
    }
    names = ", ".join(columns)
    arrays = ", ".join(f"%({c})s::{types.get(c, 'text')}[]" for c in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "message_id")
    conn.execute(
        f"""INSERT INTO message_metadata (workspace_id, {names})
            SELECT %(ws)s, * FROM unnest({arrays})
            ON CONFLICT (workspace_id, message_id) DO UPDATE SET {updates}, updated_at = now()""",
        {"ws": ws, **columns},
    )
    write_terms(
        conn,
        ws,
        [
            (m.message_id, m.text)
            for m in messages
            if m.is_content and m.message_id not in unchanged
        ],
    )
    conn.execute(
        "DELETE FROM message_terms WHERE workspace_id = %s AND message_id = ANY(%s)",
        [ws, [m.message_id for m in messages if not m.is_content]],
    )
    replace_events(conn, ws, messages)
    for table in ("reactions", "links", "files"):
        conn.execute(
            f"DELETE FROM {table} WHERE workspace_id = %s AND message_id = ANY(%s)", [ws, ids]
        )
    reactions = [
        (m.message_id, r.emoji, u) for m in messages for r in m.reactions for u in r.user_ids
    ]
    conn.execute(
        """INSERT INTO reactions (workspace_id, message_id, emoji, user_id)
           SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[]) ON CONFLICT DO NOTHING""",
        [ws, *map(list, zip(*reactions, strict=True))] if reactions else [ws, [], [], []],
    )
    links = [
        (m.message_id, ln.url, ln.link_type, ln.domain, m.created_at)
        for m in messages
        for ln in m.links
    ]
    conn.execute(
        """INSERT INTO links (workspace_id, message_id, url, link_type, domain, created_at)
           SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[],
                                    %s::timestamptz[]) ON CONFLICT DO NOTHING""",
        [ws, *map(list, zip(*links, strict=True))] if links else [ws, [], [], [], [], []],
    )
    files = [
        (
            m.message_id,
            f.file_id,
            f.user_id,
            f.name,
            f.title,
            f.mimetype,
            f.filetype,
            f.size_bytes,
            f.permalink,
            f.created_at,
            *(f.text_span or (None, None)),
        )
        for m in messages
        for f in m.files
    ]
    conn.execute(
        """INSERT INTO files (workspace_id, message_id, file_id, user_id, name, title, mimetype,
                              filetype, size_bytes, permalink, created_at, text_start, text_end)
           SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                                    %s::text[], %s::text[], %s::bigint[], %s::text[],
                                    %s::timestamptz[], %s::integer[], %s::integer[])
           ON CONFLICT DO NOTHING""",
        [ws, *map(list, zip(*files, strict=True))] if files else [ws, *([[]] * 12)],
    )


def write_terms(
    conn: psycopg.Connection, workspace_id: str, texts: Sequence[tuple[str, str]]
) -> None:
    """Index the words of (message_id, text) pairs for keyword search; unchanged ones are left
    as they are, so a re-import rewrites nothing, and messages no longer stored are skipped."""
    if not texts:
        return
    ids, bodies = map(list, zip(*texts, strict=True))
    conn.execute(
        """INSERT INTO message_terms (workspace_id, message_id, terms)
           SELECT %s, i.message_id, search_document(i.body)
           FROM unnest(%s::text[], %s::text[]) AS i(message_id, body)
           JOIN message_metadata m USING (message_id)
           ON CONFLICT (workspace_id, message_id) DO UPDATE SET terms = excluded.terms
           WHERE message_terms.terms IS DISTINCT FROM excluded.terms""",
        [workspace_id, ids, bodies],
    )


def refresh_thread_participants(
    conn: psycopg.Connection, workspace_id: str, thread: tuple[str, str] | None = None
) -> None:
    """Recompute who posted in each thread from the messages (idempotent, unlike counters):
    every thread of the workspace, or one `(channel_id, thread_ts)`, whose participants who no
    longer post in it are dropped."""
    scope, params = where(
        ["workspace_id = %(ws)s", "thread_ts IS NOT NULL"],
        {
            "c": ("channel_id = %(c)s", thread[0] if thread else None),
            "t": ("thread_ts = %(t)s", thread[1] if thread else None),
        },
    )
    params["ws"] = workspace_id
    if thread:
        conn.execute(f"DELETE FROM thread_participants WHERE {scope}", params)
    conn.execute(
        f"""INSERT INTO thread_participants (workspace_id, channel_id, thread_ts, user_id,
                                             message_count, first_at, last_at)
            SELECT workspace_id, channel_id, thread_ts, user_id, count(*), min(created_at),
                   max(created_at)
            FROM message_metadata
            WHERE {scope} AND user_id IS NOT NULL AND is_content
            GROUP BY workspace_id, channel_id, thread_ts, user_id
            ON CONFLICT (workspace_id, channel_id, thread_ts, user_id) DO UPDATE SET
              message_count = excluded.message_count, first_at = excluded.first_at,
              last_at = excluded.last_at""",
        params,
    )


def refresh_thread(
    conn: psycopg.Connection, workspace_id: str, channel_id: str, thread_ts: str
) -> None:
    """A thread's parent reply count and latest reply, and its participants, from what is
    stored (recomputed, so a redelivery or an out-of-order event cannot skew them)."""
    conn.execute(
        """UPDATE message_metadata p SET reply_count = r.replies, latest_reply = r.latest
           FROM (SELECT count(*) AS replies, max(ts::numeric)::text AS latest
                 FROM message_metadata
                 WHERE channel_id = %(c)s AND thread_ts = %(t)s AND ts <> %(t)s) r
           WHERE p.channel_id = %(c)s AND p.ts = %(t)s""",
        {"c": channel_id, "t": thread_ts},
    )
    refresh_thread_participants(conn, workspace_id, (channel_id, thread_ts))


def latest_replies(conn: psycopg.Connection, message_ids: Sequence[str]) -> dict[str, str | None]:
    """The stored `latest_reply` of these messages (absent: not stored yet)."""
    rows = conn.execute(
        "SELECT message_id, latest_reply FROM message_metadata WHERE message_id = ANY(%s)",
        [list(message_ids)],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def delete_message(conn: psycopg.Connection, workspace_id: str, channel_id: str, ts: str) -> bool:
    """Remove one message (its reactions, links and files cascade) and queue its vector's
    deletion; its thread is recounted. False if it was not stored."""
    message = message_id(workspace_id, channel_id, ts)
    row = conn.execute(
        "SELECT thread_ts FROM message_metadata WHERE message_id = %s", [message]
    ).fetchone()
    if row is None:
        return False
    outbox.enqueue(conn, workspace_id, [(message, None, None)])  # before the row: lock order,
    # and enqueue only queues a delete where a vector was indexed, which the row says
    conn.execute("DELETE FROM message_metadata WHERE message_id = %s", [message])
    if row[0] and row[0] != ts:
        refresh_thread(conn, workspace_id, channel_id, row[0])
    return True


def message_stored(conn: psycopg.Connection, message: str) -> bool:
    """Whether a message with this id is stored in the bound workspace."""
    found = conn.execute("SELECT 1 FROM message_metadata WHERE message_id = %s", [message])
    return found.fetchone() is not None


def message_created_at(conn: psycopg.Connection, message: str) -> datetime | None:
    """When a stored message was posted (None: not stored)."""
    row = conn.execute(
        "SELECT created_at FROM message_metadata WHERE message_id = %s", [message]
    ).fetchone()
    return row[0] if row else None


def set_pinned(conn: psycopg.Connection, message: str, pinned: bool) -> bool:
    """Pin or unpin a stored message; False if it is not stored."""
    updated = conn.execute(
        "UPDATE message_metadata SET is_pinned = %s WHERE message_id = %s", [pinned, message]
    )
    return updated.rowcount > 0


def forget_indexed(conn: psycopg.Connection, message_ids: Sequence[str]) -> None:
    """Record that Chroma no longer holds what these messages need, so the outbox queues
    their fixes (it skips what is recorded as indexed)."""
    conn.execute(
        "UPDATE message_metadata SET indexed_hash = NULL WHERE message_id = ANY(%s)",
        [list(message_ids)],
    )


def forget_latest_replies(conn: psycopg.Connection, message_ids: Sequence[str]) -> None:
    """Clear the latest reply of the threads these replies are in, so a backfill reads the
    threads again (it re-reads only threads whose latest reply looks moved)."""
    conn.execute(
        "UPDATE message_metadata p SET latest_reply = NULL FROM message_metadata r "
        "WHERE r.message_id = ANY(%s) AND r.thread_ts IS NOT NULL AND r.thread_ts <> r.ts "
        "AND p.channel_id = r.channel_id AND p.ts = r.thread_ts",
        [list(message_ids)],
    )
