"""Apply one Slack Events API payload to both stores, through the same outbox as every ingest.

Each event runs in one transaction that also records its `event_id`: Slack delivers at least
once, and a redelivered event finds its id and changes nothing. Metadata changes land in
PostgreSQL at once; text changes (new, edited, deleted messages) are queued for Chroma and
applied by the next drain (`slack-helper sync`, or the bot's worker).
"""

import re
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
from pydantic import BaseModel

from db import outbox, repository
from db.models import ChannelKind
from db.stores import Stores
from ingest.normalise import Directory, channel_from_slack, message_from_slack, user_from_slack
from ingest.text import classify
from ingest.writer import write_messages

_CHANNEL_KINDS: dict[str, ChannelKind] = {
    "channel": "public",
    "group": "private",
    "im": "im",
    "mpim": "mpim",
}
_MENTION = re.compile(r"<([@#])([A-Z0-9]+)")


class EventRefused(Exception):
    """The payload cannot be applied (malformed, or for a workspace this install does not
    hold); the message says why. Nothing was changed."""


class EventResult(BaseModel):
    """What applying one event did."""

    event_id: str | None
    type: str
    applied: bool
    detail: str


Handler = Callable[[psycopg.Connection, str, Mapping[str, Any]], str]


def apply_event(stores: Stores, payload: Mapping[str, Any]) -> EventResult:
    """Apply an `event_callback` payload (the envelope Slack POSTs, with team_id, event_id and
    the event) in one transaction."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("event"), Mapping):
        raise EventRefused("not an event_callback payload: no 'event' object")
    event = payload["event"]
    kind = str(event.get("type") or "")
    workspace_id = payload.get("team_id") or event.get("team")
    if not kind or not isinstance(workspace_id, str):
        raise EventRefused("the event has no type or no team_id")
    event_id = payload.get("event_id")
    handler = _HANDLERS.get(kind)
    with stores.postgres.tenant(workspace_id) as conn:
        if conn.execute("SELECT 1 FROM workspaces").fetchone() is None:
            raise EventRefused(
                f"unknown workspace {workspace_id}: install the app there or run "
                "`slack-helper ingest backfill` first"
            )
        if handler is None:
            return EventResult(
                event_id=event_id, type=kind, applied=False, detail="ignored: not a sync event"
            )
        if event_id and not repository.claim_once(conn, workspace_id, event_id, kind):
            return EventResult(
                event_id=event_id, type=kind, applied=False, detail="duplicate delivery"
            )
        detail = handler(conn, workspace_id, event)
    return EventResult(event_id=event_id, type=kind, applied=True, detail=detail)


# -- messages ---------------------------------------------------------------------------------


def _message(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    subtype = event.get("subtype")
    channel_id = event.get("channel")
    if not channel_id:
        raise EventRefused("message event without a channel")
    if subtype == "message_changed":
        return _store_message(conn, ws, channel_id, event.get("message") or {}, event, "edited")
    if subtype == "message_deleted":
        return _delete_message(conn, ws, channel_id, str(event.get("deleted_ts") or ""))
    if subtype == "message_replied":
        return _store_message(conn, ws, channel_id, event.get("message") or {}, event, "updated")
    return _store_message(conn, ws, channel_id, event, event, "stored")


def _store_message(
    conn: psycopg.Connection,
    ws: str,
    channel_id: str,
    raw: Mapping[str, Any],
    event: Mapping[str, Any],
    verb: str,
) -> str:
    _ensure_channel(conn, ws, channel_id, event.get("channel_type"))
    message = message_from_slack(raw, ws, channel_id, _directory(conn, raw.get("text") or ""))
    if message is None:
        raise EventRefused("message event without a ts")
    write_messages(conn, [message])
    if message.thread_ts and message.thread_ts != message.ts:
        _refresh_thread(conn, ws, channel_id, message.thread_ts)
    return f"{verb} {message.message_id}"


def _delete_message(conn: psycopg.Connection, ws: str, channel_id: str, ts: str) -> str:
    message_id = f"{ws}:{channel_id}:{ts}"
    row = conn.execute(
        "SELECT thread_ts FROM message_metadata WHERE message_id = %s", [message_id]
    ).fetchone()
    if row is None:
        return f"{message_id} was not stored"
    outbox.enqueue(conn, ws, [(message_id, None, None)])  # before the row: lock order, and
    # enqueue only queues a delete where a vector was indexed, which the row says
    conn.execute("DELETE FROM message_metadata WHERE message_id = %s", [message_id])
    if row[0] and row[0] != ts:
        _refresh_thread(conn, ws, channel_id, row[0])
    return f"deleted {message_id}"


def _refresh_thread(conn: psycopg.Connection, ws: str, channel_id: str, thread_ts: str) -> None:
    """The parent's reply count and latest reply, and the thread's participants, from what is
    stored (recomputed, so a redelivery or an out-of-order event cannot skew them)."""
    conn.execute(
        """UPDATE message_metadata p SET reply_count = r.replies, latest_reply = r.latest
           FROM (SELECT count(*) AS replies, max(ts::numeric)::text AS latest
                 FROM message_metadata
                 WHERE channel_id = %(c)s AND thread_ts = %(t)s AND ts <> %(t)s) r
           WHERE p.channel_id = %(c)s AND p.ts = %(t)s""",
        {"c": channel_id, "t": thread_ts},
    )
    conn.execute(
        "DELETE FROM thread_participants WHERE channel_id = %s AND thread_ts = %s",
        [channel_id, thread_ts],
    )
    conn.execute(
        """INSERT INTO thread_participants (workspace_id, channel_id, thread_ts, user_id,
                                            message_count, first_at, last_at)
           SELECT workspace_id, channel_id, thread_ts, user_id, count(*), min(created_at),
                  max(created_at)
           FROM message_metadata
           WHERE channel_id = %s AND thread_ts = %s AND user_id IS NOT NULL AND is_content
           GROUP BY workspace_id, channel_id, thread_ts, user_id""",
        [channel_id, thread_ts],
    )


def _directory(conn: psycopg.Connection, text: str) -> Directory:
    """Names for the users and channels a text mentions, for rendering it."""
    users = [target for sigil, target in _MENTION.findall(text) if sigil == "@"]
    channels = [target for sigil, target in _MENTION.findall(text) if sigil == "#"]
    return Directory(
        users=dict(
            conn.execute(
                "SELECT user_id, coalesce(display_name, name, real_name, user_id) FROM users "
                "WHERE user_id = ANY(%s)",
                [users],
            ).fetchall()
        ),
        channels=dict(
            conn.execute(
                "SELECT channel_id, name FROM channels WHERE channel_id = ANY(%s)", [channels]
            ).fetchall()
        ),
    )


def _ensure_channel(
    conn: psycopg.Connection, ws: str, channel_id: str, channel_type: str | None = None
) -> None:
    """A message for a channel never seen creates it, named by id until a channel event or a
    backfill names it; its messages are kept, not refused."""
    kind = _CHANNEL_KINDS.get(channel_type or "", "public")
    conn.execute(
        "INSERT INTO channels (workspace_id, channel_id, name, kind) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING",
        [ws, channel_id, channel_id, kind],
    )


# -- reactions, pins, links, files ------------------------------------------------------------


def _reaction(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    item = event.get("item") or {}
    if item.get("type") != "message":
        return f"ignored: reaction on a {item.get('type')}"
    message_id = f"{ws}:{item.get('channel')}:{item.get('ts')}"
    if not _stored(conn, message_id):
        return f"{message_id} is not stored"
    emoji, user = event.get("reaction"), event.get("user")
    if event["type"] == "reaction_added":
        repository.ensure_users_known(conn, ws, [user])
        conn.execute(
            "INSERT INTO reactions (workspace_id, message_id, emoji, user_id) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [ws, message_id, emoji, user],
        )
    else:
        conn.execute(
            "DELETE FROM reactions WHERE message_id = %s AND emoji = %s AND user_id = %s",
            [message_id, emoji, user],
        )
    conn.execute(
        "UPDATE message_metadata SET reaction_count = "
        "(SELECT count(*) FROM reactions WHERE message_id = %(id)s) WHERE message_id = %(id)s",
        {"id": message_id},
    )
    return f"{event['type']} :{emoji}: on {message_id}"


def _pin(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    item = event.get("item") or {}
    message = item.get("message") or {}
    channel = event.get("channel_id") or item.get("channel")
    message_id = f"{ws}:{channel}:{message.get('ts')}"
    pinned = event["type"] == "pin_added"
    updated = conn.execute(
        "UPDATE message_metadata SET is_pinned = %s WHERE message_id = %s", [pinned, message_id]
    ).rowcount
    return f"{'pinned' if pinned else 'unpinned'} {message_id}" if updated else "not stored"


def _link_shared(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    message_id = f"{ws}:{event.get('channel')}:{event.get('message_ts')}"
    row = conn.execute(
        "SELECT created_at FROM message_metadata WHERE message_id = %s", [message_id]
    ).fetchone()
    if row is None:
        return f"{message_id} is not stored"
    links = [link for link in event.get("links") or [] if link.get("url")]
    for raw in links:
        link = classify(raw["url"])
        conn.execute(
            "INSERT INTO links (workspace_id, message_id, url, link_type, domain, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [ws, message_id, link.url, link.link_type, link.domain, row[0]],
        )
    conn.execute("UPDATE message_metadata SET has_links = true WHERE message_id = %s", [message_id])
    return f"{len(links)} links on {message_id}"


def _file_deleted(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    removed = conn.execute("DELETE FROM files WHERE file_id = %s", [event.get("file_id")]).rowcount
    return f"removed file {event.get('file_id')} from {removed} messages"


def _file_shared(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    # The event carries only the file id; the file's name and title arrive with the message
    # that shares it (subtype file_share), which is stored by the message handler.
    return f"file {event.get('file_id')} is recorded with its message"


def _stored(conn: psycopg.Connection, message_id: str) -> bool:
    found = conn.execute("SELECT 1 FROM message_metadata WHERE message_id = %s", [message_id])
    return found.fetchone() is not None


# -- channels and people ----------------------------------------------------------------------


def _channel_created(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    raw = dict(event.get("channel") or {})
    private = raw.get("is_private") or event["type"].startswith("group")
    channel = channel_from_slack(raw, "private" if private else "public")
    repository.upsert_channels(conn, ws, [channel])
    return f"channel #{channel.name}"


def _channel_renamed(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    raw = event.get("channel") or {}
    _ensure_channel(conn, ws, raw["id"])
    conn.execute(
        "UPDATE channels SET name = %s, updated_at = now() WHERE channel_id = %s",
        [raw["name"], raw["id"]],
    )
    return f"renamed {raw['id']} to #{raw['name']}"


def _channel_archived(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    archived = event["type"].endswith("_archive")
    _ensure_channel(conn, ws, event["channel"])
    conn.execute(
        "UPDATE channels SET is_archived = %s, updated_at = now() WHERE channel_id = %s",
        [archived, event["channel"]],
    )
    return f"{'archived' if archived else 'unarchived'} {event['channel']}"


def _channel_deleted(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    channel_id = event["channel"]
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT message_id FROM message_metadata WHERE channel_id = %s ORDER BY message_id",
            [channel_id],
        )
    ]
    outbox.enqueue(conn, ws, [(i, None, None) for i in ids])
    conn.execute("DELETE FROM channels WHERE channel_id = %s", [channel_id])  # cascades
    return f"deleted {channel_id} and its {len(ids)} messages"


def _membership(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    channel_id, user = event["channel"], event["user"]
    _ensure_channel(conn, ws, channel_id, event.get("channel_type"))
    repository.ensure_users_known(conn, ws, [user])
    joined = event["type"] == "member_joined_channel"
    conn.execute(
        "UPDATE channels SET member_ids = "
        + (
            "(SELECT array_agg(DISTINCT m) FROM unnest(array_append(member_ids, %(u)s)) m)"
            if joined
            else "array_remove(member_ids, %(u)s)"
        )
        + ", updated_at = now() WHERE channel_id = %(c)s",
        {"u": user, "c": channel_id},
    )
    return f"{user} {'joined' if joined else 'left'} {channel_id}"


def _user(conn: psycopg.Connection, ws: str, event: Mapping[str, Any]) -> str:
    user = user_from_slack(event["user"])
    repository.upsert_users(conn, ws, [user])
    return f"user {user.user_id}"


_HANDLERS: dict[str, Handler] = {
    "message": _message,
    "reaction_added": _reaction,
    "reaction_removed": _reaction,
    "pin_added": _pin,
    "pin_removed": _pin,
    "link_shared": _link_shared,
    "file_shared": _file_shared,
    "file_deleted": _file_deleted,
    "channel_created": _channel_created,
    "group_created": _channel_created,
    "channel_rename": _channel_renamed,
    "group_rename": _channel_renamed,
    "channel_archive": _channel_archived,
    "channel_unarchive": _channel_archived,
    "group_archive": _channel_archived,
    "group_unarchive": _channel_archived,
    "channel_deleted": _channel_deleted,
    "group_deleted": _channel_deleted,
    "member_joined_channel": _membership,
    "member_left_channel": _membership,
    "user_change": _user,
    "team_join": _user,
}
