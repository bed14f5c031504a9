"""Who posted how much, where and when: the counts behind "who posted most in #x" and "how many
messages in May"."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from db.filters import where


def message_counts(
    conn: psycopg.Connection,
    *,
    channel_ids: Sequence[str] = (),
    user_ids: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    message_ids: Sequence[str] | None = None,
    limit: int,
) -> dict[str, Any]:
    """Content messages (not joins, topic changes and other events) in the scope (of
    `message_ids`, when given): `total`,
    how many people posted them (`posters`), and the `limit` most posting `people` and
    busiest `channels`, each {id, name, count}."""
    condition, params = where(
        ["m.is_content"],
        {
            "channels": ("m.channel_id = ANY(%(channels)s)", list(channel_ids)),
            "users": ("m.user_id = ANY(%(users)s)", list(user_ids)),
            "since": ("m.created_at >= %(since)s", since),
            "until": ("m.created_at < %(until)s", until),
        },
    )
    if message_ids is not None:
        condition += " AND m.message_id = ANY(%(ids)s)"
        params["ids"] = list(message_ids)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"""SELECT m.channel_id, c.name AS channel, m.user_id,
                       coalesce(u.display_name, u.name, u.real_name) AS user, count(*) AS n
                FROM message_metadata m
                JOIN channels c USING (workspace_id, channel_id)
                LEFT JOIN users u USING (workspace_id, user_id)
                WHERE {condition}
                GROUP BY m.channel_id, c.name, m.user_id, u.display_name, u.name, u.real_name""",
            params,
        ).fetchall()
    return {
        "total": sum(r["n"] for r in rows),
        "posters": len({r["user_id"] for r in rows if r["user_id"]}),
        "people": _ranked(rows, "user_id", "user", limit),
        "channels": _ranked(rows, "channel_id", "channel", limit),
    }


def mention_candidates(conn: psycopg.Connection, forms: list[tuple[str, ...]]) -> list[str]:
    """Content messages whose indexed words hold one of the word runs: every message that says
    them, and some whose conversation does (the index holds both, ingest/context.py)."""
    if not forms:
        return []
    query = " | ".join("(" + " <-> ".join(f"'{w}'" for w in form) + ")" for form in forms)
    return [
        row[0]
        for row in conn.execute(
            "SELECT t.message_id FROM message_terms t JOIN message_metadata m "
            "USING (workspace_id, message_id) "
            "WHERE m.is_content AND t.terms @@ to_tsquery('simple', %s)",
            [query],
        )
    ]


def _ranked(rows: list[dict[str, Any]], key: str, name: str, limit: int) -> list[dict[str, Any]]:
    counts: dict[Any, dict[str, Any]] = {}
    for row in rows:
        entry = counts.setdefault(row[key], {"id": row[key], "name": row[name], "count": 0})
        entry["count"] += row["n"]
    return sorted(counts.values(), key=lambda e: (-e["count"], str(e["name"])))[:limit]
