"""Which messages give a message its context, and which depend on it: a reply's thread parent;
in a channel without threads (exports from before threads existed), the messages just before
it within a short gap. Read from the metadata alone (no text), for contextual embeddings."""

from collections.abc import Sequence

import psycopg

# Before threads, a reply was the next message: what came at most this long before (chained)
# is the conversation a message sits in, and this many of those messages are its context.
CONVERSATION_GAP_SECONDS = 1800
CONTEXT_MESSAGES = 2


def context_ids(conn: psycopg.Connection, message_ids: Sequence[str]) -> dict[str, list[str]]:
    """For each message, the ids of its context, oldest first (none for a thread parent or a
    message that starts a conversation). Every lookup is an index probe: by primary key for a
    parent, by (channel, created_at) for the messages before."""
    rows = conn.execute(
        """WITH wanted AS (
               SELECT message_id, channel_id, ts, thread_ts, created_at FROM message_metadata
               WHERE message_id = ANY(%(ids)s))
           SELECT w.message_id, p.message_id, p.created_at
           FROM wanted w JOIN message_metadata p
             ON p.workspace_id = current_setting('app.current_workspace')
            AND p.message_id = p.workspace_id || ':' || w.channel_id || ':' || w.thread_ts
           WHERE w.thread_ts <> w.ts AND p.is_content
           UNION ALL
           SELECT w.message_id, before.message_id, before.created_at
           FROM wanted w CROSS JOIN LATERAL (
               SELECT b.message_id, b.created_at FROM message_metadata b
               WHERE b.workspace_id = current_setting('app.current_workspace')
                 AND b.channel_id = w.channel_id
                 AND b.created_at < w.created_at
                 AND b.created_at >= w.created_at - make_interval(secs => %(span)s)
                 AND b.is_content AND b.thread_ts IS NULL
               ORDER BY b.created_at DESC LIMIT %(n)s) before
           WHERE w.thread_ts IS NULL AND NOT EXISTS (
               SELECT 1 FROM message_metadata r
               WHERE r.workspace_id = current_setting('app.current_workspace')
                 AND r.channel_id = w.channel_id AND r.thread_ts IS NOT NULL)
           ORDER BY 1, 3""",
        {
            "ids": list(message_ids),
            "span": CONVERSATION_GAP_SECONDS * CONTEXT_MESSAGES,
            "n": CONTEXT_MESSAGES,
        },
    ).fetchall()
    found: dict[str, list[str]] = {}
    for message_id, context_id, _ in rows:
        found.setdefault(message_id, []).append(context_id)
    return found


def dependent_ids(conn: psycopg.Connection, message_ids: Sequence[str]) -> list[str]:
    """The content messages whose context includes one of these: their replies, or in a
    channel without threads the messages right after them."""
    rows = conn.execute(
        """WITH given AS (
               SELECT channel_id, ts, created_at FROM message_metadata
               WHERE message_id = ANY(%(ids)s))
           SELECT DISTINCT m.message_id FROM given g JOIN message_metadata m
             ON m.workspace_id = current_setting('app.current_workspace')
            AND m.channel_id = g.channel_id AND m.is_content
            AND (m.thread_ts = g.ts AND m.ts <> g.ts
                 OR m.thread_ts IS NULL AND m.created_at > g.created_at
                    AND m.created_at <= g.created_at + make_interval(secs => %(span)s))
           WHERE m.message_id <> ALL(%(ids)s)""",
        {"ids": list(message_ids), "span": CONVERSATION_GAP_SECONDS * CONTEXT_MESSAGES},
    ).fetchall()
    candidates = [r[0] for r in rows]
    given = set(message_ids)
    return [m for m, ctx in context_ids(conn, candidates).items() if given & set(ctx)]
