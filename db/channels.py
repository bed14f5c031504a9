"""Channels and their bookmarks: written from every source, resolved by name or id once
(any case), and changed by channel events."""

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel

from db import outbox
from db.models import Bookmark, Channel, ChannelKind


def upsert_channels(
    conn: psycopg.Connection, workspace_id: str, channels: Iterable[Channel]
) -> None:
    """Insert or refresh channels."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO channels (workspace_id, channel_id, name, kind, topic, purpose,
                                     creator_id, is_archived, member_ids, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (workspace_id, channel_id) DO UPDATE SET
                 name = excluded.name, kind = excluded.kind, topic = excluded.topic,
                 purpose = excluded.purpose, creator_id = excluded.creator_id,
                 is_archived = excluded.is_archived, member_ids = excluded.member_ids,
                 created_at = excluded.created_at, updated_at = now()""",
            [
                (
                    workspace_id,
                    c.channel_id,
                    c.name,
                    c.kind,
                    c.topic,
                    c.purpose,
                    c.creator_id,
                    c.is_archived,
                    c.member_ids,
                    c.created_at,
                )
                for c in channels
            ],
        )


def replace_bookmarks(
    conn: psycopg.Connection, workspace_id: str, channel_id: str, bookmarks: Sequence[Bookmark]
) -> None:
    """Make the channel's stored bookmarks exactly `bookmarks`."""
    conn.execute("DELETE FROM bookmarks WHERE channel_id = %s", [channel_id])
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO bookmarks (workspace_id, bookmark_id, channel_id, title, link, emoji,
                                      created_by, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (workspace_id, bookmark_id) DO UPDATE SET
                 channel_id = excluded.channel_id, title = excluded.title, link = excluded.link,
                 emoji = excluded.emoji""",
            [
                (
                    workspace_id,
                    b.bookmark_id,
                    channel_id,
                    b.title,
                    b.link,
                    b.emoji,
                    b.created_by,
                    b.created_at,
                )
                for b in bookmarks
            ],
        )


def channel_names_by_id(conn: psycopg.Connection, channel_ids: Sequence[str]) -> dict[str, str]:
    """The name of each of these channels that is stored."""
    rows = conn.execute(
        "SELECT channel_id, name FROM channels WHERE channel_id = ANY(%s)", [list(channel_ids)]
    ).fetchall()
    return dict(rows)


class ChannelMatch(BaseModel):
    """Channel names or ids resolved: the ids found, and what matched nothing."""

    ids: list[str]
    missing: list[str]


def match_channels(conn: psycopg.Connection, names_or_ids: Sequence[str]) -> ChannelMatch:
    """Resolve channel ids and names ('#general' or 'General': any case, '#' optional)."""
    wanted = [n.strip().lstrip("#") for n in names_or_ids if n.strip()]
    rows = conn.execute(
        "SELECT channel_id, lower(name) FROM channels "
        "WHERE channel_id = ANY(%(w)s) OR lower(name) = ANY(%(l)s)",
        {"w": wanted, "l": [w.lower() for w in wanted]},
    ).fetchall()
    known = {cid for cid, _ in rows} | {name for _, name in rows}
    missing = [w for w in wanted if w not in known and w.lower() not in known]
    return ChannelMatch(ids=sorted({cid for cid, _ in rows}), missing=missing)


def channel_names(conn: psycopg.Connection, limit: int = 50) -> list[str]:
    """The first channel names in order, for an error that lists what exists."""
    return [r[0] for r in conn.execute("SELECT name FROM channels ORDER BY name LIMIT %s", [limit])]


def channel_kinds(conn: psycopg.Connection, channel_ids: Sequence[str]) -> dict[str, str]:
    """public / private / im / mpim of each of these channels that is stored."""
    rows = conn.execute(
        "SELECT channel_id, kind FROM channels WHERE channel_id = ANY(%s)", [list(channel_ids)]
    ).fetchall()
    return dict(rows)


def channel_summaries(
    conn: psycopg.Connection, member_id: str | None = None
) -> list[dict[str, Any]]:
    """Every channel (or those `member_id` is a member of) with its member and content-message
    counts, who created it and when, by name."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """SELECT c.channel_id, c.name, c.kind, c.topic, c.purpose, c.is_archived,
                      cardinality(c.member_ids) AS members,
                      (SELECT count(*) FROM message_metadata m
                       WHERE m.channel_id = c.channel_id AND m.is_content) AS messages,
                      c.created_at AS created,
                      coalesce(u.display_name, u.name, u.real_name, c.creator_id) AS creator
               FROM channels c LEFT JOIN users u
                 ON u.workspace_id = c.workspace_id AND u.user_id = c.creator_id
               WHERE %(member)s::text IS NULL OR %(member)s = ANY(c.member_ids)
               ORDER BY c.name""",
            {"member": member_id},
        ).fetchall()


def ensure_channel(
    conn: psycopg.Connection, workspace_id: str, channel_id: str, kind: ChannelKind = "public"
) -> None:
    """A channel seen only through a message or event: created, named by its id until a
    channel event or a backfill names it, so its messages are kept, not refused."""
    conn.execute(
        "INSERT INTO channels (workspace_id, channel_id, name, kind) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        [workspace_id, channel_id, channel_id, kind],
    )


def rename_channel(conn: psycopg.Connection, channel_id: str, name: str) -> None:
    """Give a stored channel its new name."""
    conn.execute(
        "UPDATE channels SET name = %s, updated_at = now() WHERE channel_id = %s",
        [name, channel_id],
    )


def set_archived(conn: psycopg.Connection, channel_id: str, archived: bool) -> None:
    """Mark a stored channel archived or not."""
    conn.execute(
        "UPDATE channels SET is_archived = %s, updated_at = now() WHERE channel_id = %s",
        [archived, channel_id],
    )


def set_member(conn: psycopg.Connection, channel_id: str, user_id: str, member: bool) -> None:
    """Add a user to a channel's members, or remove them (each id at most once)."""
    change = (
        "(SELECT array_agg(DISTINCT m) FROM unnest(array_append(member_ids, %(u)s)) m)"
        if member
        else "array_remove(member_ids, %(u)s)"
    )
    conn.execute(
        f"UPDATE channels SET member_ids = {change}, updated_at = now() WHERE channel_id = %(c)s",
        {"u": user_id, "c": channel_id},
    )


def delete_channel(conn: psycopg.Connection, workspace_id: str, channel_id: str) -> int:
    """Remove a channel and everything in it (the rows cascade); its vectors are queued for
    deletion first, through the outbox. Returns how many messages went."""
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT message_id FROM message_metadata WHERE channel_id = %s ORDER BY message_id",
            [channel_id],
        )
    ]
    outbox.enqueue(conn, workspace_id, [(i, None, None) for i in ids])
    conn.execute("DELETE FROM channels WHERE channel_id = %s", [channel_id])
    return len(ids)
