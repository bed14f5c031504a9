"""Shared reads of the tools: names to ids, and message ids to enriched MessageRefs."""

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg

from db.stores import Stores
from mcp_server.contracts import MessageRef
from mcp_server.errors import ToolInputError


def where(required: Sequence[str], optional: Mapping[str, tuple[str, Any]]) -> tuple[str, dict]:
    """An AND of the required clauses and of each optional `name: (clause, value)` whose value
    is set (not None, not empty); those values become the named parameters."""
    clauses, params = list(required) or ["true"], {}
    for name, (clause, value) in optional.items():
        if value is not None and value != []:
            clauses.append(clause)
            params[name] = value
    return " AND ".join(clauses), params


def permalink(channel_id: str, ts: str) -> str:
    """Slack's permalink path for a message (prefix the workspace's URL to open it)."""
    return f"/archives/{channel_id}/p{ts.replace('.', '')}"


def channel_ids(conn: psycopg.Connection, names_or_ids: Sequence[str]) -> list[str]:
    """Resolve channel names ('#general' or 'general') or ids; unknown ones are a tool error."""
    wanted = [n.strip().lstrip("#") for n in names_or_ids if n.strip()]
    rows = conn.execute(
        "SELECT channel_id, lower(name) FROM channels "
        "WHERE channel_id = ANY(%(w)s) OR lower(name) = ANY(%(l)s)",
        {"w": wanted, "l": [w.lower() for w in wanted]},
    ).fetchall()
    found = {cid for cid, _ in rows}
    known = found | {name for _, name in rows}
    missing = [w for w in wanted if w not in known and w.lower() not in known]
    if missing:
        names = [r[0] for r in conn.execute("SELECT name FROM channels ORDER BY name LIMIT 50")]
        raise ToolInputError(
            f"unknown channel {', '.join(map(repr, missing))}; channels are: {', '.join(names)}"
        )
    return sorted(found)


def channel_id(conn: psycopg.Connection, name_or_id: str) -> str:
    """One channel by name or id."""
    (found,) = channel_ids(conn, [name_or_id])
    return found


def user_ids(conn: psycopg.Connection, names_or_ids: Sequence[str]) -> list[str]:
    """Resolve people by id, handle, display name or real name (case-insensitive, '@' optional)."""
    found: set[str] = set()
    for raw in names_or_ids:
        key = raw.strip().lstrip("@")
        rows = conn.execute(
            "SELECT user_id FROM users WHERE user_id = %(k)s OR lower(name) = lower(%(k)s) "
            "OR lower(display_name) = lower(%(k)s) OR lower(real_name) = lower(%(k)s)",
            {"k": key},
        ).fetchall()
        if not rows:
            raise ToolInputError(f"unknown user {raw!r}; use find_users to look people up")
        found.update(r[0] for r in rows)
    return sorted(found)


def message_refs(stores: Stores, workspace_id: str, ids: Sequence[str]) -> list[MessageRef]:
    """Messages by id with channel and author names, counts, text from Chroma; input order."""
    if not ids:
        return []
    with stores.postgres.tenant(workspace_id) as conn:
        rows = conn.execute(
            """SELECT m.message_id, m.channel_id, c.name, m.ts, m.thread_ts, m.user_id,
                      coalesce(u.display_name, u.name, u.real_name), m.created_at,
                      m.reaction_count, m.reply_count
               FROM message_metadata m
               JOIN channels c USING (workspace_id, channel_id)
               LEFT JOIN users u USING (workspace_id, user_id)
               WHERE m.message_id = ANY(%s)""",
            [list(ids)],
        ).fetchall()
    texts = {i: r.document for i, r in stores.vectors.get(workspace_id, list(ids)).items()}
    by_id = {
        r[0]: MessageRef(
            message_id=r[0],
            channel_id=r[1],
            channel=r[2],
            ts=r[3],
            thread_ts=r[4],
            user_id=r[5],
            user=r[6],
            time=r[7],
            reactions=r[8],
            replies=r[9],
            text=texts.get(r[0], ""),
            permalink=permalink(r[1], r[3]),
        )
        for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]
