"""The workspace's own history (renames, topics, purposes, archives, joins, leaves, pins,
integrations): written with the messages that record it, read per channel, kind and window."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from db.filters import where
from db.models import Message


def replace_events(
    conn: psycopg.Connection, workspace_id: str, messages: Sequence[Message]
) -> None:
    """Make the stored events of these messages exactly what they record now."""
    conn.execute(
        "DELETE FROM channel_events WHERE workspace_id = %s AND message_id = ANY(%s)",
        [workspace_id, [m.message_id for m in messages]],
    )
    rows = [
        (
            m.message_id,
            m.channel_id,
            m.event.kind,
            m.user_id,
            m.created_at,
            m.event.old_value,
            m.event.new_value,
            m.event.item_ts,
        )
        for m in messages
        if m.event is not None
    ]
    if rows:
        conn.execute(
            """INSERT INTO channel_events (workspace_id, message_id, channel_id, kind, user_id,
                                           created_at, old_value, new_value, item_ts)
               SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[],
                                        %s::timestamptz[], %s::text[], %s::text[], %s::text[])""",
            [workspace_id, *map(list, zip(*rows, strict=True))],
        )


def channel_events(
    conn: psycopg.Connection,
    *,
    channel_ids: Sequence[str] = (),
    kinds: Sequence[str] = (),
    user_ids: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    newest_first: bool = False,
) -> list[dict[str, Any]]:
    """Events oldest (or newest) first, keyed as the tool's ChannelEvent: message_id, kind,
    channel_id, channel, user_id, user, time, old_value, new_value, item_message_id (the pinned
    message, when stored)."""
    condition, params = where(
        [],
        {
            "channels": ("e.channel_id = ANY(%(channels)s)", list(channel_ids)),
            "kinds": ("e.kind = ANY(%(kinds)s)", list(kinds)),
            "users": ("e.user_id = ANY(%(users)s)", list(user_ids)),
            "since": ("e.created_at >= %(since)s", since),
            "until": ("e.created_at < %(until)s", until),
        },
    )
    order = "DESC" if newest_first else "ASC"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"""SELECT e.message_id, e.kind, e.channel_id, c.name AS channel, e.user_id,
                       coalesce(u.display_name, u.name, u.real_name) AS user,
                       e.created_at AS time, e.old_value, e.new_value,
                       p.message_id AS item_message_id
                FROM channel_events e
                JOIN channels c USING (workspace_id, channel_id)
                LEFT JOIN users u USING (workspace_id, user_id)
                LEFT JOIN message_metadata p
                       ON p.workspace_id = e.workspace_id AND p.channel_id = e.channel_id
                      AND p.ts = e.item_ts
                WHERE {condition}
                ORDER BY e.created_at {order}, e.message_id {order} LIMIT %(n)s""",
            {**params, "n": limit},
        ).fetchall()
