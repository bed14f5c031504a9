"""Typed rows: what the repository takes and returns."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

LinkType = Literal["github_pr", "github_issue", "jira", "google_doc", "other"]
ChannelKind = Literal["public", "private", "im", "mpim"]
# What a channel-settings or membership message records (Slack's channel_*/group_*, bot_*,
# pinned_item subtypes), one word each.
ChannelEventKind = Literal[
    "renamed",
    "topic",
    "purpose",
    "archived",
    "unarchived",
    "joined",
    "left",
    "pinned",
    "unpinned",
    "integration_added",
    "integration_removed",
]


def message_id(workspace_id: str, channel_id: str, ts: str) -> str:
    """The id of a message in both stores (Slack's ts is unique only within a channel)."""
    return f"{workspace_id}:{channel_id}:{ts}"


def split_message_id(value: str) -> tuple[str, str, str]:
    """(workspace_id, channel_id, ts) of a message id, or of a passage's (its message's);
    none of the three contains ':'."""
    workspace_id, channel_id, ts = message_of(value).split(":")
    return workspace_id, channel_id, ts


def passage_id(message: str, number: int) -> str:
    """The vector record of a long message's `number`th passage (1, 2, ...; the message's
    own record covers its start)."""
    return f"{message}#{number}"


def passage_ids(message: str, count: int) -> list[str]:
    """The records of a message's `count` passages."""
    return [passage_id(message, number) for number in range(1, count + 1)]


def message_of(record_id: str) -> str:
    """The message a vector record belongs to: itself, or the message of a passage."""
    return record_id.partition("#")[0]


class Workspace(BaseModel):
    """A tenant: one Slack workspace."""

    workspace_id: str
    name: str
    domain: str | None = None


class User(BaseModel):
    """A workspace member (or a user id seen in messages when the export has no users.json)."""

    user_id: str
    name: str | None = None
    real_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    title: str | None = None
    tz: str | None = None
    is_bot: bool = False
    is_admin: bool = False
    is_deleted: bool = False
    has_profile: bool = True


class Channel(BaseModel):
    """A conversation: public or private channel, DM or group DM."""

    channel_id: str
    name: str
    kind: ChannelKind = "public"
    topic: str | None = None
    purpose: str | None = None
    creator_id: str | None = None
    is_archived: bool = False
    member_ids: list[str] = Field(default_factory=list)
    created_at: datetime | None = None


class Reaction(BaseModel):
    """One emoji on a message and everyone who reacted with it."""

    emoji: str
    user_ids: list[str]


class Link(BaseModel):
    """A URL found in a message's text or attachments, classified for the seed's queries."""

    url: str
    link_type: LinkType
    domain: str | None = None


class FileRef(BaseModel):
    """A file shared in a message (metadata only; content stays in Slack)."""

    file_id: str
    user_id: str | None = None
    name: str | None = None
    title: str | None = None
    mimetype: str | None = None
    filetype: str | None = None
    size_bytes: int | None = None
    permalink: str | None = None
    created_at: datetime | None = None
    # where its title and text sit in the message's text (start, end), if it brought any
    text_span: tuple[int, int] | None = None


class ChannelEvent(BaseModel):
    """A change to a channel that Slack posted as a message: the message's author did it."""

    kind: ChannelEventKind
    old_value: str | None = None  # the name before a rename
    new_value: str | None = None  # new name, topic or purpose (None: cleared); an integration
    item_ts: str | None = None  # the pinned or unpinned message, in the same channel


class Message(BaseModel):
    """One Slack message, normalised from any source (export, Web API, event).

    `text` is what gets embedded (mentions resolved to names); `raw_text` is Slack's original
    markup, kept beside it in Chroma.
    """

    workspace_id: str
    channel_id: str
    ts: str
    user_id: str | None = None
    bot_id: str | None = None
    created_at: datetime
    thread_ts: str | None = None
    subtype: str | None = None
    message_type: str
    is_content: bool
    raw_text: str = ""
    text: str = ""
    reply_count: int = 0
    latest_reply: str | None = None
    edited_at: datetime | None = None
    reactions: list[Reaction] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    files: list[FileRef] = Field(default_factory=list)
    event: ChannelEvent | None = None

    @property
    def message_id(self) -> str:
        """The cross-store id."""
        return message_id(self.workspace_id, self.channel_id, self.ts)


class Bookmark(BaseModel):
    """A link pinned to a channel's header."""

    bookmark_id: str
    channel_id: str
    title: str | None = None
    link: str | None = None
    emoji: str | None = None
    created_by: str | None = None
    created_at: datetime | None = None


class SyncState(BaseModel):
    """How far one source got through one scope (an export day file, a channel's history)."""

    status: str
    cursor: str | None = None  # the next page of an unfinished pass
    oldest_ts: str | None = None  # the unfinished pass's lower bound
    newest_ts: str | None = None  # newest message of the last finished pass
    checkpoint: str | None = None
    items: int = 0
    error: str | None = None


class WorkspaceStatus(BaseModel):
    """Counts of one workspace in both stores, as `slack-helper status` prints them."""

    workspace_id: str
    name: str
    url: str | None  # https://<domain>.slack.com, once known
    messages_postgres: int
    messages_embeddable: int  # content messages: the ones Chroma should hold
    messages_chroma: int
    passages_chroma: int  # extra records of long messages (see ingest/passages.py)
    vector_graph: str  # HNSW neighbours / build candidates, and whether `reindex` would change it
    users: int
    channels: int
    reactions: int
    links: int
    files: int
    outbox_pending: int
    outbox_dead: int
    indexed_through: datetime | None
