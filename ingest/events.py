"""Apply one Slack Events API payload to both stores, through the same outbox as every ingest.

Each event runs in one transaction that also records its `event_id`: Slack delivers at least
once, and a redelivered event finds its id and changes nothing. Metadata changes land in
PostgreSQL at once; text changes (new, edited, deleted messages) are queued for Chroma and
applied by the next drain (`slack-helper sync`, or the bot's worker).
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from pydantic import BaseModel

from db.attachments import add_links
from db.channels import (
    channel_names_by_id,
    delete_channel,
    ensure_channel,
    rename_channel,
    set_archived,
    set_member,
    upsert_channels,
)
from db.checkpoints import claim_once
from db.messages import (
    delete_message,
    message_created_at,
    message_stored,
    refresh_thread,
    set_pinned,
)
from db.models import ChannelKind, message_id
from db.people import display_names, ensure_users_known, upsert_users
from db.reactions import set_reaction
from db.stores import Stores
from db.workspaces import workspace_stored
from ingest.file_text import add_downloaded_text
from ingest.file_updates import forget_file, refresh_file
from ingest.normalise import (
    Directory,
    channel_from_slack,
    file_text,
    message_from_slack,
    user_from_slack,
)
from ingest.slack_api import SlackApi, SlackError
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


@dataclass(frozen=True)
class Applying:
    """Where an event is applied: the stores, and the transaction bound to its workspace."""

    stores: Stores
    conn: psycopg.Connection
    workspace_id: str


Handler = Callable[[Applying, Mapping[str, Any]], str]


def apply_event(
    stores: Stores, payload: Mapping[str, Any], files: SlackApi | None = None
) -> EventResult:
    """Apply an `event_callback` payload (the envelope Slack POSTs, with team_id, event_id and
    the event) in one transaction. With `files` (the workspace's Web API), file text the
    event needs is fetched first, outside the transaction (`_fetched`); a file that cannot be
    read is skipped with the reason in the result."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("event"), Mapping):
        raise EventRefused("not an event_callback payload: no 'event' object")
    event = payload["event"]
    kind = str(event.get("type") or "")
    workspace_id = payload.get("team_id") or event.get("team")
    if not kind or not isinstance(workspace_id, str):
        raise EventRefused("the event has no type or no team_id")
    event_id = payload.get("event_id")
    handler = HANDLERS.get(kind)
    event, skipped = _fetched(files, kind, event)
    with stores.postgres.tenant(workspace_id) as conn:
        if not workspace_stored(conn):
            raise EventRefused(
                f"unknown workspace {workspace_id}: install the app there or run "
                "`slack-helper ingest backfill` first"
            )
        if handler is None:
            return EventResult(
                event_id=event_id, type=kind, applied=False, detail="ignored: not a sync event"
            )
        if event_id and not claim_once(conn, workspace_id, event_id, kind):
            return EventResult(
                event_id=event_id, type=kind, applied=False, detail="duplicate delivery"
            )
        detail = handler(Applying(stores, conn, workspace_id), event)
    return EventResult(
        event_id=event_id, type=kind, applied=True, detail="; ".join([detail, *skipped])
    )


def _fetched(
    files: SlackApi | None, kind: str, event: Mapping[str, Any]
) -> tuple[Mapping[str, Any], list[str]]:
    """The event with the file text it needs read through the Web API, as backfill does: the
    files a new or edited message shares, a changed file's new version (files.info); and a
    warning for each file that could not be read."""
    if files is None:
        return event, []
    if kind == "message":
        return event, add_downloaded_text(files, _shared_in(event))
    if kind == "file_change":
        file_id = str(event.get("file_id") or "")
        try:
            changed = files.call("files.info", file=file_id)["file"]
        except (SlackError, KeyError) as exc:
            return event, [f"file {file_id}: files.info failed ({exc}); its old text stays"]
        return {**event, "file": changed}, add_downloaded_text(files, [{"files": [changed]}])
    return event, []


# -- messages ---------------------------------------------------------------------------------


def _message(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
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
    ensure_channel(conn, ws, channel_id, _kind(event.get("channel_type")))
    message = message_from_slack(raw, ws, channel_id, _directory(conn, raw.get("text") or ""))
    if message is None:
        raise EventRefused("message event without a ts")
    write_messages(conn, [message])
    if message.thread_ts and message.thread_ts != message.ts:
        refresh_thread(conn, ws, channel_id, message.thread_ts)
    return f"{verb} {message.message_id}"


def _delete_message(conn: psycopg.Connection, ws: str, channel_id: str, ts: str) -> str:
    target = message_id(ws, channel_id, ts)
    if not delete_message(conn, ws, channel_id, ts):
        return f"{target} was not stored"
    return f"deleted {target}"


def _shared_in(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The message objects of a message event that may share files (a new one, an edit's)."""
    found = [event, event.get("message")]
    return [m for m in found if isinstance(m, dict)]


def _directory(conn: psycopg.Connection, text: str) -> Directory:
    """Names for the users and channels a text mentions, for rendering it."""
    users = [target for sigil, target in _MENTION.findall(text) if sigil == "@"]
    channels = [target for sigil, target in _MENTION.findall(text) if sigil == "#"]
    return Directory(users=display_names(conn, users), channels=channel_names_by_id(conn, channels))


def _kind(channel_type: str | None) -> ChannelKind:
    return _CHANNEL_KINDS.get(channel_type or "", "public")


# -- reactions, pins, links, files ------------------------------------------------------------


def _reaction(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    item = event.get("item") or {}
    if item.get("type") != "message":
        return f"ignored: reaction on a {item.get('type')}"
    message = message_id(ws, str(item.get("channel")), str(item.get("ts")))
    if not message_stored(conn, message):
        return f"{message} is not stored"
    emoji, user = event.get("reaction"), event.get("user")
    if not isinstance(emoji, str) or not isinstance(user, str):
        raise EventRefused("a reaction event needs a reaction and a user")
    added = event["type"] == "reaction_added"
    if added:
        ensure_users_known(conn, ws, [user])
    set_reaction(conn, ws, message, emoji, user, added)
    return f"{event['type']} :{emoji}: on {message}"


def _pin(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    item = event.get("item") or {}
    message = item.get("message") or {}
    channel = event.get("channel_id") or item.get("channel")
    target = message_id(ws, str(channel), str(message.get("ts")))
    pinned = event["type"] == "pin_added"
    if not set_pinned(conn, target, pinned):
        return "not stored"
    return f"{'pinned' if pinned else 'unpinned'} {target}"


def _link_shared(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    message = message_id(ws, str(event.get("channel")), str(event.get("message_ts")))
    created_at = message_created_at(conn, message)
    if created_at is None:
        return f"{message} is not stored"
    links = [classify(link["url"]) for link in event.get("links") or [] if link.get("url")]
    add_links(conn, ws, message, links, created_at)
    return f"{len(links)} links on {message}"


def _file_deleted(at: Applying, event: Mapping[str, Any]) -> str:
    file_id = str(event.get("file_id"))
    removed = forget_file(at.stores, at.conn, at.workspace_id, file_id)
    return f"removed file {file_id} and its text from {removed} messages"


def _file_changed(at: Applying, event: Mapping[str, Any]) -> str:
    """An edited file (a snippet, a post, a new version): its new text replaces the old, when
    it was read; the event alone carries only the id, so without it the old text stays."""
    changed, file_id = event.get("file"), event.get("file_id")
    if not isinstance(changed, Mapping) or not file_text(changed):
        return f"file {file_id} changed; its new text was not read, the old stays"
    count = refresh_file(at.stores, at.conn, at.workspace_id, changed)
    return f"file {file_id}: new text in {count} messages"


def _file_shared(at: Applying, event: Mapping[str, Any]) -> str:
    # The event carries only the file id; the file's name and title arrive with the message
    # that shares it (subtype file_share), which is stored by the message handler.
    return f"file {event.get('file_id')} is recorded with its message"


# -- channels and people ----------------------------------------------------------------------


def _channel_created(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    raw = dict(event.get("channel") or {})
    channel = channel_from_slack(raw, "private" if raw.get("is_private") else "public")
    upsert_channels(conn, ws, [channel])
    return f"channel #{channel.name}"


def _channel_renamed(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    raw = event.get("channel") or {}
    ensure_channel(conn, ws, raw["id"])
    rename_channel(conn, raw["id"], raw["name"])
    return f"renamed {raw['id']} to #{raw['name']}"


def _channel_archived(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    archived = event["type"].endswith("_archive")
    ensure_channel(conn, ws, event["channel"])
    set_archived(conn, event["channel"], archived)
    return f"{'archived' if archived else 'unarchived'} {event['channel']}"


def _channel_deleted(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    removed = delete_channel(conn, ws, event["channel"])
    return f"deleted {event['channel']} and its {removed} messages"


def _membership(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    channel_id, user = event["channel"], event["user"]
    ensure_channel(conn, ws, channel_id, _kind(event.get("channel_type")))
    ensure_users_known(conn, ws, [user])
    joined = event["type"] == "member_joined_channel"
    set_member(conn, channel_id, user, joined)
    return f"{user} {'joined' if joined else 'left'} {channel_id}"


def _user(at: Applying, event: Mapping[str, Any]) -> str:
    conn, ws = at.conn, at.workspace_id
    user = user_from_slack(event["user"])
    upsert_users(conn, ws, [user])
    return f"user {user.user_id}"


# The one list of the Slack events that change stored data: the bot subscribes to exactly these
# (bot/listeners.py) and manifest.yml asks Slack for them (a test holds the three together).
HANDLERS: dict[str, Handler] = {
    "message": _message,
    "reaction_added": _reaction,
    "reaction_removed": _reaction,
    "pin_added": _pin,
    "pin_removed": _pin,
    "link_shared": _link_shared,
    "file_shared": _file_shared,
    "file_deleted": _file_deleted,
    "file_change": _file_changed,
    "channel_created": _channel_created,
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
