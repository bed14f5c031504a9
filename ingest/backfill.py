"""Backfill a workspace from the Slack Web API into both stores: resumable per channel.

Each channel is read newest first, page by page (conversations.history); a page, the threads
whose `latest_reply` moved (conversations.replies) and the channel's cursor are written in one
transaction, so a crash loses at most the page in flight and the next run continues from the
stored cursor. A finished channel records its newest ts; the next run asks only for what is
newer, re-reading the last `thread_lookback` of history so late replies to recent threads are
found. Texts go through the outbox, drained into Chroma alongside.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from db.channels import replace_bookmarks, upsert_channels
from db.checkpoints import save_sync_state, sync_state
from db.messages import latest_replies, refresh_thread_participants
from db.models import Channel, Message, SyncState, Workspace, message_id
from db.people import upsert_users
from db.stores import Stores
from db.workspaces import domain_of, upsert_workspace
from ingest.file_text import add_downloaded_text
from ingest.normalise import (
    Directory,
    bookmark_from_slack,
    channel_from_slack,
    display_name,
    message_from_slack,
    user_from_slack,
)
from ingest.progress import NoProgress, Progress
from ingest.slack_api import SlackApi, SlackError
from ingest.vector_sync import DrainReport, drain_alongside
from ingest.writer import write_messages

SOURCE = "api"
THREAD_LOOKBACK = timedelta(days=7)


class ChannelReport(BaseModel):
    """What backfill did in one channel."""

    channel_id: str
    name: str
    status: str  # done | failed
    messages: int = 0
    threads: int = 0
    error: str | None = None


class BackfillReport(BaseModel):
    """What a backfill run did; warnings and failed channels say why."""

    workspace_id: str
    name: str
    users: int = 0
    channels: list[ChannelReport] = Field(default_factory=list)
    messages: int = 0
    warnings: list[str] = Field(default_factory=list)
    vectors: DrainReport = Field(default_factory=DrainReport)

    @property
    def failed(self) -> list[ChannelReport]:
        """Channels that could not be read."""
        return [c for c in self.channels if c.status == "failed"]


@dataclass
class _Run:
    """What every channel's backfill needs to know."""

    stores: Stores
    api: SlackApi
    workspace_id: str
    directory: Directory
    since: datetime | None
    now: datetime
    thread_lookback: timedelta
    progress: Progress
    warnings: list[str] = field(default_factory=list)


def backfill(
    stores: Stores,
    api: SlackApi,
    *,
    workspace_name: str | None = None,
    expected_workspace: str | None = None,
    channels: Sequence[str] | None = None,
    since: datetime | None = None,
    thread_lookback: timedelta = THREAD_LOOKBACK,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> BackfillReport:
    """Copy the workspace the token belongs to (or only `channels`, by name or id) into both
    stores. One channel's failure is reported and the others continue; an invalid token stops
    the run (SlackError). With `expected_workspace`, a token of another workspace is refused
    before anything is written (ValueError)."""
    progress = progress or NoProgress()
    workspace, users, conversations = _read_workspace(api, workspace_name)
    ws = workspace.workspace_id
    if expected_workspace and ws != expected_workspace:
        raise ValueError(
            f"the bot token belongs to workspace {ws} ({workspace.name}), not "
            f"{expected_workspace}: use that workspace's token"
        )
    with stores.postgres.tenant(ws) as conn:
        upsert_workspace(conn, workspace)
        upsert_users(conn, ws, users)
        upsert_channels(conn, ws, conversations)
    report = BackfillReport(workspace_id=ws, name=workspace.name, users=len(users))
    run = _Run(
        stores=stores,
        api=api,
        workspace_id=ws,
        directory=Directory(
            users={u.user_id: display_name(u) for u in users},
            channels={c.channel_id: c.name for c in conversations},
        ),
        since=since,
        now=now or datetime.now(UTC),
        thread_lookback=thread_lookback,
        progress=progress,
    )
    selected = _select(conversations, channels)
    progress.start("channels", len(selected))
    progress.start("embedded", None)
    with drain_alongside(stores, ws, progress) as vectors:
        for channel in selected:
            try:
                result = _backfill_channel(run, channel)
            except SlackError as exc:
                if exc.fatal:
                    raise
                result = ChannelReport(
                    channel_id=channel.channel_id,
                    name=channel.name,
                    status="failed",
                    error=str(exc),
                )
                with stores.postgres.tenant(ws) as conn:
                    _mark_failed(conn, ws, channel.channel_id, str(exc))
            report.channels.append(result)
            report.messages += result.messages
            progress.advance("channels")
    report.vectors = vectors
    with stores.postgres.tenant(ws) as conn:
        refresh_thread_participants(conn, ws)
    report.warnings = run.warnings
    return report


def _read_workspace(
    api: SlackApi, workspace_name: str | None
) -> tuple[Workspace, list, list[Channel]]:
    identity = api.call("auth.test")
    workspace = Workspace(
        workspace_id=identity["team_id"],
        name=workspace_name or identity.get("team") or identity["team_id"],
        domain=domain_of(identity.get("url") or ""),
    )
    users = [user_from_slack(u) for page, _ in api.pages("users.list", "members") for u in page]
    conversations = [
        channel_from_slack(c, "private" if c.get("is_private") else "public")
        for page, _ in api.pages(
            "conversations.list",
            "channels",
            types="public_channel,private_channel",
            exclude_archived="false",
        )
        for c in page
    ]
    return workspace, users, conversations


def _select(conversations: list[Channel], wanted: Sequence[str] | None) -> list[Channel]:
    if not wanted:
        return conversations
    by_key = {c.channel_id: c for c in conversations} | {c.name: c for c in conversations}
    unknown = [w for w in wanted if w.lstrip("#") not in by_key]
    if unknown:
        known = ", ".join(sorted(c.name for c in conversations))
        raise ValueError(f"unknown channel(s) {', '.join(unknown)}; the token sees: {known}")
    return list({by_key[w.lstrip("#")].channel_id: by_key[w.lstrip("#")] for w in wanted}.values())


def _backfill_channel(run: _Run, channel: Channel) -> ChannelReport:
    """Continue the channel's unfinished pass, or start one for what is new since the last."""
    ws, cid = run.workspace_id, channel.channel_id
    with run.stores.postgres.tenant(ws) as conn:
        state = sync_state(conn, SOURCE, cid)
    if state and state.status == "running" and state.cursor:
        oldest, cursor, pass_newest = state.oldest_ts or "0", state.cursor, state.checkpoint
    else:
        previous = state.newest_ts if state else None
        oldest = _pass_start(run, previous)
        cursor, pass_newest = None, previous
    fetched, threads = 0, 0
    items = state.items if state else 0
    counter = f"#{channel.name}"
    run.progress.start(counter, None)
    params = {"channel": cid, "oldest": oldest} | ({"cursor": cursor} if cursor else {})
    for page, next_cursor in run.api.pages("conversations.history", "messages", **params):
        messages, opened = _page_messages(run, cid, page)
        if page:
            newest_on_page = max(page, key=lambda m: float(m["ts"]))["ts"]
            if pass_newest is None or float(newest_on_page) > float(pass_newest):
                pass_newest = newest_on_page
        items += len(messages)
        done = next_cursor is None
        with run.stores.postgres.tenant(ws) as conn:
            write_messages(conn, messages)
            save_sync_state(
                conn,
                ws,
                SOURCE,
                cid,
                SyncState(
                    status="done" if done else "running",
                    cursor=next_cursor,
                    oldest_ts=oldest,
                    newest_ts=pass_newest if done else (state.newest_ts if state else None),
                    checkpoint=pass_newest,
                    items=items,
                ),
            )
        fetched += len(messages)
        threads += opened
        _show(run, counter, fetched, page, channel)
    run.progress.start(counter, fetched)
    _backfill_bookmarks(run, channel)
    return ChannelReport(
        channel_id=cid, name=channel.name, status="done", messages=fetched, threads=threads
    )


def _pass_start(run: _Run, previous_newest: str | None) -> str:
    """`oldest` for a new pass: after the last pass's newest message, reaching back
    `thread_lookback` so threads with late replies are seen again; else `since`, else all."""
    if previous_newest is None:
        return f"{run.since.timestamp():.6f}" if run.since else "0"
    lookback = (run.now - run.thread_lookback).timestamp()
    return f"{min(float(previous_newest), lookback):.6f}"


def _page_messages(run: _Run, cid: str, page: list[dict]) -> tuple[list[Message], int]:
    """The page's messages plus the replies of every thread that is new or has moved."""
    ws = run.workspace_id
    parents = [m for m in page if m.get("reply_count") and m.get("ts") == m.get("thread_ts")]
    with run.stores.postgres.tenant(ws) as conn:
        stored = latest_replies(conn, [message_id(ws, cid, m["ts"]) for m in parents])
    moved = [
        m for m in parents if stored.get(message_id(ws, cid, m["ts"]), "?") != m.get("latest_reply")
    ]
    raw = list(page)
    for parent in moved:
        for replies, _ in run.api.pages(
            "conversations.replies", "messages", channel=cid, ts=parent["ts"]
        ):
            raw.extend(r for r in replies if r.get("ts") != parent["ts"])
    raw = [r for r in raw if isinstance(r, dict)]
    run.warnings.extend(add_downloaded_text(run.api, raw))
    messages = [message_from_slack(r, ws, cid, run.directory) for r in raw]
    return [m for m in messages if m is not None], len(moved)


def _show(run: _Run, counter: str, fetched: int, page: list[dict], channel: Channel) -> None:
    """Advance the channel's bar; its total is estimated from how far back in time the pages
    have reached, so the bar can show time left."""
    run.progress.advance(counter, len(page))
    if not page:
        return
    start = run.since or channel.created_at
    if start is None:
        return
    reached = min(float(m["ts"]) for m in page)
    span = run.now.timestamp() - start.timestamp()
    covered = (run.now.timestamp() - reached) / span if span > 0 else 1.0
    if covered > 0:
        run.progress.start(counter, max(fetched, int(fetched / min(covered, 1.0))))


def _backfill_bookmarks(run: _Run, channel: Channel) -> None:
    try:
        data = run.api.call("bookmarks.list", channel_id=channel.channel_id)
    except SlackError as exc:
        if exc.fatal:
            raise
        run.warnings.append(f"#{channel.name}: bookmarks not read: {exc}")
        return
    bookmarks = [bookmark_from_slack(b, channel.channel_id) for b in data.get("bookmarks") or []]
    with run.stores.postgres.tenant(run.workspace_id) as conn:
        replace_bookmarks(conn, run.workspace_id, channel.channel_id, bookmarks)


def _mark_failed(conn, ws: str, cid: str, error: str) -> None:
    """Record the error; a pass that got part way keeps its cursor for the next run."""
    state = sync_state(conn, SOURCE, cid) or SyncState(status="failed")
    status = "running" if state.cursor else "failed"
    save_sync_state(
        conn, ws, SOURCE, cid, state.model_copy(update={"status": status, "error": error})
    )
