"""Slack's JSON (export files, Web API, events share one shape) -> the typed models of db."""

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from db.models import (
    Bookmark,
    Channel,
    ChannelEvent,
    ChannelEventKind,
    ChannelKind,
    FileRef,
    Message,
    Reaction,
    User,
)
from ingest.text import extract_links, html_text, render

# Membership and settings events: kept as metadata, never embedded.
METADATA_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_purpose",
        "channel_topic",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "channel_convert_to_private",
        "channel_convert_to_public",
        "group_join",
        "group_leave",
        "group_purpose",
        "group_topic",
        "group_name",
        "group_archive",
        "group_unarchive",
        "bot_add",
        "bot_remove",
        "bot_enable",
        "bot_disable",
        "pinned_item",
        "unpinned_item",
        "tombstone",
        "sh_room_created",
    }
)


# The subtypes that record a change to the channel, and what each records.
_EVENT_ACTIONS: dict[str, ChannelEventKind] = {
    "name": "renamed",
    "topic": "topic",
    "purpose": "purpose",
    "archive": "archived",
    "unarchive": "unarchived",
    "join": "joined",
    "leave": "left",
}
EVENT_SUBTYPES: dict[str, ChannelEventKind] = {
    **{
        f"{prefix}_{action}": kind
        for prefix in ("channel", "group")
        for action, kind in _EVENT_ACTIONS.items()
    },
    "pinned_item": "pinned",
    "unpinned_item": "unpinned",
    "bot_add": "integration_added",
    "bot_remove": "integration_removed",
}

# Bump when a Slack object normalises to something else (text, fields): a day file's import
# checkpoint covers its bytes and this, so the next import reads every file again (and only
# messages whose content changed are embedded again). 2: shared files' text joins the message;
# 3: channel events (renames, topics, pins, ...) are kept with their values; 4: where each
# file's text sits in its message's text; 5: a comment on a file no longer copies its text.
NORMALISER_VERSION = 5

_SLACK_TS = re.compile(r"\d{1,12}(\.\d{1,9})?")


class Directory(BaseModel):
    """Names of the workspace's users and channels, for resolving `<@U…>` and `<#C…>`."""

    users: dict[str, str] = {}
    channels: dict[str, str] = {}


def workspace_id_for(team_id: str | None, name: str) -> str:
    """The Slack team id when known, else a stable id derived from the name."""
    if team_id:
        return team_id
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "workspace"
    return f"{slug}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"


def to_datetime(epoch: str | float | int | None) -> datetime | None:
    """Slack seconds (ts string or int) -> aware UTC datetime."""
    if epoch in (None, "", 0):
        return None
    return datetime.fromtimestamp(float(epoch), tz=UTC)


def user_from_slack(raw: Mapping[str, Any]) -> User:
    """A users.json / users.list entry."""
    profile = raw.get("profile") or {}
    return User(
        user_id=raw["id"],
        name=raw.get("name"),
        real_name=raw.get("real_name") or profile.get("real_name"),
        display_name=profile.get("display_name") or None,
        email=profile.get("email"),
        title=profile.get("title") or None,
        tz=raw.get("tz"),
        is_bot=bool(raw.get("is_bot")),
        is_admin=bool(raw.get("is_admin")),
        is_deleted=bool(raw.get("deleted")),
    )


def display_name(user: User) -> str:
    """The name Slack shows for a user."""
    return user.display_name or user.name or user.real_name or user.user_id


def channel_from_slack(raw: Mapping[str, Any], kind: ChannelKind) -> Channel:
    """A channels/groups/dms/mpims.json or conversations.list entry."""
    members = raw.get("members") or []
    name = raw.get("name") or ("dm-" + "-".join(members) if kind == "im" else raw["id"])
    return Channel(
        channel_id=raw["id"],
        name=name,
        kind=kind,
        topic=(raw.get("topic") or {}).get("value") or None,
        purpose=(raw.get("purpose") or {}).get("value") or None,
        creator_id=raw.get("creator"),
        is_archived=bool(raw.get("is_archived")),
        member_ids=list(members),
        created_at=to_datetime(raw.get("created")),
    )


def bookmark_from_slack(raw: Mapping[str, Any], channel_id: str) -> Bookmark:
    """A bookmarks.list entry."""
    return Bookmark(
        bookmark_id=raw["id"],
        channel_id=channel_id,
        title=raw.get("title"),
        link=raw.get("link"),
        emoji=raw.get("emoji") or None,
        created_by=raw.get("created_by") or None,
        created_at=to_datetime(raw.get("date_created")),
    )


def message_from_slack(
    raw: Mapping[str, Any], workspace_id: str, channel_id: str, directory: Directory
) -> Message | None:
    """One message object; None for objects that are not messages (no ts), ValueError for a
    ts that is not Slack's seconds.microseconds."""
    ts = raw.get("ts")
    if not isinstance(ts, str) or not ts:
        return None
    if not _SLACK_TS.fullmatch(ts):
        raise ValueError(f"ts {ts[:40]!r} is not a Slack timestamp")
    subtype = raw.get("subtype")
    thread_ts = raw.get("thread_ts")
    raw_text = raw.get("text") or ""
    attachments = [a for a in raw.get("attachments") or [] if isinstance(a, Mapping)]
    shared_files = file_objects(raw)
    files = [_file_ref(f) for f in shared_files]

    def resolve(markup: str) -> str:
        return render(markup, directory.users.get, directory.channels.get)

    pieces = [resolve(raw_text)]
    for att in attachments:
        pieces.extend(resolve(att[k]) for k in ("pretext", "title") if att.get(k))
        body = att.get("text") or att.get("fallback")
        if body:
            pieces.append(resolve(body))
    text = "\n".join(p for p in pieces if p.strip())
    for shared, ref in zip(shared_files, files, strict=True):
        piece = file_piece(shared, raw_text, with_text=subtype not in FILE_REFERENCE_SUBTYPES)
        if piece.strip():
            start = len(text) + 1 if text else 0
            text = f"{text}\n{piece}" if text else piece
            ref.text_span = (start, len(text))

    link_sources = [raw_text] + [
        str(att.get(k))
        for att in attachments
        for k in ("text", "from_url", "title_link", "original_url")
        if att.get(k)
    ]
    found = raw.get("comment")
    comment: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    user_id = raw.get("user") or comment.get("user")
    if thread_ts and thread_ts != ts and subtype != "thread_broadcast":
        message_type = "thread_reply"
    else:
        message_type = subtype or "message"
    return Message(
        workspace_id=workspace_id,
        channel_id=channel_id,
        ts=ts,
        user_id=user_id,
        bot_id=raw.get("bot_id"),
        created_at=datetime.fromtimestamp(float(ts), tz=UTC),
        thread_ts=thread_ts,
        subtype=subtype,
        message_type=message_type,
        is_content=subtype not in METADATA_SUBTYPES and bool(text.strip()),
        raw_text=raw_text,
        text=text,
        reply_count=int(raw.get("reply_count") or 0),
        latest_reply=raw.get("latest_reply"),
        edited_at=to_datetime((raw.get("edited") or {}).get("ts")),
        reactions=[
            Reaction(emoji=r["name"], user_ids=list(dict.fromkeys(r.get("users") or [])))
            for r in raw.get("reactions") or []
            if isinstance(r, Mapping) and r.get("name")
        ],
        links=extract_links(link_sources),
        files=files,
        event=channel_event(raw, resolve(raw_text)),
    )


def channel_event(raw: Mapping[str, Any], text: str) -> ChannelEvent | None:
    """What a channel-history message records (None for any other message). `text` is its
    rendered text, which names the integration a bot_add added."""
    kind = EVENT_SUBTYPES.get(str(raw.get("subtype")))
    if kind is None:
        return None
    values = {"renamed": "name", "topic": "topic", "purpose": "purpose"}
    value = raw.get(values[kind]) if kind in values else None
    if kind.startswith("integration"):
        named = re.search(r"integration[^:]*:\s*([^(\n]+)", text)  # "…: github (https://…)"
        value = named[1].strip() if named else raw.get("bot_id")
    return ChannelEvent(
        kind=kind,
        old_value=_string(raw.get("old_name")),
        new_value=_string(value) or None,
        item_ts=_pinned_ts(raw) if kind in ("pinned", "unpinned") else None,
    )


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _pinned_ts(raw: Mapping[str, Any]) -> str | None:
    """The pinned message: `item.message` in events and the Web API, the unfurl in exports."""
    item = raw.get("item")
    if isinstance(item, Mapping) and isinstance(item.get("message"), Mapping):
        return _string(item["message"].get("ts"))
    for att in raw.get("attachments") or []:
        if isinstance(att, Mapping) and _SLACK_TS.fullmatch(str(att.get("ts", ""))):
            return str(att["ts"])
    return None


def file_piece(shared: Mapping[str, Any], raw_text: str, with_text: bool = True) -> str:
    """What a shared file adds to its message's text: its title, unless the message already
    says it, and its text (`with_text`)."""
    title = shared.get("title")
    title = title if title and title not in raw_text else None
    return "\n".join(p for p in (title, file_text(shared) if with_text else "") if p)


def file_text(shared: Mapping[str, Any]) -> str:
    """What a shared file says, as Slack hands it over with the message: a snippet's or text
    file's `plain_text` or `preview`, a post's preview as text (it is HTML), at most
    FILE_TEXT_CHARS. Images and other binaries have none."""
    for key in ("plain_text", "preview", "preview_highlight"):
        found = shared.get(key)
        if isinstance(found, str) and found.strip():
            is_html = key == "preview_highlight" or shared.get("mode") in ("space", "post")
            return (html_text(found) if is_html else found)[:FILE_TEXT_CHARS]
    return ""


# Messages that refer to a file shared before (older exports copy the whole file into each):
# its text is indexed with the message that shared it, so that one file is one search result and
# its comments are indexed for what they say.
FILE_REFERENCE_SUBTYPES = frozenset({"file_comment", "file_mention"})

# A shared file's text joins its message's, split into passages for the vectors
# (ingest/passages.py): ~100 of them, and what a tool returns stays readable.
FILE_TEXT_CHARS = 100_000


def file_objects(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Files of a message, one per id: `files` in current exports, `file` in older ones."""
    found = list(raw.get("files") or [])
    if isinstance(raw.get("file"), Mapping):
        found.append(raw["file"])
    unique: dict[str, Mapping[str, Any]] = {}
    for f in found:
        if isinstance(f, Mapping) and f.get("id"):
            unique[str(f["id"])] = f
    return list(unique.values())


def _file_ref(f: Mapping[str, Any]) -> FileRef:
    """A shared file as stored metadata."""
    return FileRef(
        file_id=f["id"],
        user_id=f.get("user"),
        name=f.get("name"),
        title=f.get("title"),
        mimetype=f.get("mimetype"),
        filetype=f.get("filetype"),
        size_bytes=f.get("size"),
        permalink=f.get("permalink"),
        created_at=to_datetime(f.get("created")),
    )
