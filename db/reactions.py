"""Reactions: added and removed by events (the message's count kept in step), and read per
message or per window for the tools."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from pydantic import BaseModel

from db.filters import where


class ReactionWindow(BaseModel):
    """A channel's or a time window's reactions: per emoji (emoji, count, users), the most
    reacted messages, and the people who react most (user_id, user, count)."""

    per_emoji: list[dict[str, Any]]
    top_message_ids: list[str]
    top_reactors: list[dict[str, Any]]


def set_reaction(
    conn: psycopg.Connection, workspace_id: str, message: str, emoji: str, user: str, added: bool
) -> None:
    """Add or remove one person's emoji on a stored message, and recount the message."""
    if added:
        conn.execute(
            "INSERT INTO reactions (workspace_id, message_id, emoji, user_id) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [workspace_id, message, emoji, user],
        )
    else:
        conn.execute(
            "DELETE FROM reactions WHERE message_id = %s AND emoji = %s AND user_id = %s",
            [message, emoji, user],
        )
    conn.execute(
        "UPDATE message_metadata SET reaction_count = "
        "(SELECT count(*) FROM reactions WHERE message_id = %(id)s) WHERE message_id = %(id)s",
        {"id": message},
    )


def reactions_by_message(
    conn: psycopg.Connection, message_ids: Sequence[str], emoji: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Each message's reactions (optionally one emoji) as emoji, count, users: most given
    first."""
    rows = conn.execute(
        """SELECT message_id, emoji, count(*), array_agg(user_id ORDER BY user_id)
           FROM reactions WHERE message_id = ANY(%(ids)s)
             AND (%(emoji)s::text IS NULL OR emoji = %(emoji)s)
           GROUP BY message_id, emoji ORDER BY count(*) DESC, emoji""",
        {"ids": list(message_ids), "emoji": emoji},
    ).fetchall()
    result: dict[str, list[dict[str, Any]]] = {}
    for message, name, count, users in rows:
        result.setdefault(message, []).append({"emoji": name, "count": count, "users": users})
    return result


def reaction_window(
    conn: psycopg.Connection,
    *,
    channel_id: str | None,
    since: datetime | None,
    until: datetime | None,
    emoji: str | None,
    author_ids: Sequence[str] = (),
) -> ReactionWindow:
    """Reactions on the messages of a channel, window and/or authors, ten of each ranking."""
    condition, params = where(
        [],
        {
            "channel": ("m.channel_id = %(channel)s", channel_id),
            "authors": ("m.user_id = ANY(%(authors)s)", list(author_ids)),
            "since": ("m.created_at >= %(since)s", since),
            "until": ("m.created_at < %(until)s", until),
            "emoji": ("r.emoji = %(emoji)s", emoji),
        },
    )
    per_emoji = conn.execute(
        f"""SELECT r.emoji, count(*), array_agg(DISTINCT r.user_id)
            FROM reactions r JOIN message_metadata m USING (workspace_id, message_id)
            WHERE {condition} GROUP BY r.emoji ORDER BY count(*) DESC, r.emoji""",
        params,
    ).fetchall()
    top = conn.execute(
        f"""SELECT m.message_id FROM reactions r
            JOIN message_metadata m USING (workspace_id, message_id)
            WHERE {condition} GROUP BY m.message_id
            ORDER BY count(*) DESC, m.message_id LIMIT 10""",
        params,
    )
    reactors = conn.execute(
        f"""SELECT r.user_id, coalesce(u.display_name, u.name, u.real_name), count(*)
            FROM reactions r JOIN message_metadata m USING (workspace_id, message_id)
            LEFT JOIN users u ON u.workspace_id = r.workspace_id AND u.user_id = r.user_id
            WHERE {condition} GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 10""",
        params,
    ).fetchall()
    return ReactionWindow(
        per_emoji=[{"emoji": e, "count": n, "users": sorted(u)} for e, n, u in per_emoji],
        top_message_ids=[r[0] for r in top],
        top_reactors=[{"user_id": i, "user": name, "count": n} for i, name, n in reactors],
    )
