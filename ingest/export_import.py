"""Import a Slack export into both stores: resumable, idempotent, batched transactions."""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field

from db.channels import upsert_channels
from db.checkpoints import record_sync, sync_checkpoints
from db.messages import refresh_thread_participants
from db.models import Channel, ChannelKind, Message, User, Workspace
from db.people import upsert_users
from db.stores import Stores
from db.workspaces import upsert_workspace
from ingest.export_archive import ExportArchive, ExportError, parse_json
from ingest.normalise import (
    Directory,
    channel_from_slack,
    display_name,
    message_from_slack,
    user_from_slack,
    workspace_id_for,
)
from ingest.progress import NoProgress, Progress
from ingest.vector_sync import DrainReport, drain_alongside
from ingest.writer import write_messages

SOURCE = "export"
_LISTS: tuple[tuple[str, ChannelKind], ...] = (
    ("channels.json", "public"),
    ("groups.json", "private"),
    ("dms.json", "im"),
    ("mpims.json", "mpim"),
)


class ImportReport(BaseModel):
    """What an import did; warnings name the files they concern."""

    workspace_id: str
    name: str
    files_imported: int = 0
    files_unchanged: int = 0
    files_failed: int = 0
    messages: int = 0
    warnings: list[str] = Field(default_factory=list)
    vectors: DrainReport = Field(default_factory=DrainReport)


def import_export(
    stores: Stores,
    path: Path,
    workspace_name: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the export at `path` (ZIP or folder) into PostgreSQL, and its texts into Chroma.

    Day files are written in batches, each batch one transaction with its sync_status rows; the
    outbox is drained into Chroma concurrently and to the end before returning. A day file
    already imported with the same content is skipped, so a rerun changes nothing and a run
    killed at any point is completed by the next one. A malformed day file is reported and
    skipped; what was stored before stays as it was.
    """
    progress = progress or NoProgress()
    with ExportArchive(path) as archive:
        plan = _register_workspace(stores, archive, workspace_name)
        report = ImportReport(
            workspace_id=plan.workspace_id, name=plan.name, warnings=plan.warnings
        )
        progress.start("files", len(plan.day_files))
        progress.start("messages", None)
        progress.start("embedded", None)
        with drain_alongside(stores, plan.workspace_id, progress) as vectors:
            _import_day_files(stores, archive, plan, report, progress)
        report.vectors = vectors
    return report


@dataclass
class _ImportPlan:
    """What an import works through, known once the export's lists are read."""

    workspace_id: str
    name: str
    directory: Directory
    day_files: list[tuple[Channel, str]]
    done: dict[str, str]
    warnings: list[str]


def _register_workspace(
    stores: Stores, archive: ExportArchive, workspace_name: str | None
) -> _ImportPlan:
    """Store the workspace, its users and channels; list the day files still to import."""
    users, team_id, warnings = _read_users(archive)
    name = workspace_name or archive.name
    workspace = Workspace(workspace_id=workspace_id_for(team_id, name), name=name)
    ws = workspace.workspace_id
    channels, folders = _read_channels(archive)
    with stores.postgres.tenant(ws) as conn:
        upsert_workspace(conn, workspace)
        upsert_users(conn, ws, users)
        upsert_channels(conn, ws, channels)
        done = sync_checkpoints(conn, ws, SOURCE)
    day_files = archive.folders()
    warnings.extend(
        f"{folder}/: folder matches no channel in the export's channel lists; skipped"
        for folder in day_files
        if folder not in folders
    )
    return _ImportPlan(
        workspace_id=ws,
        name=name,
        directory=Directory(
            users={u.user_id: display_name(u) for u in users},
            channels={c.channel_id: c.name for c in channels},
        ),
        day_files=[
            (folders[folder], member)
            for folder, members in day_files.items()
            if folder in folders
            for member in members
        ],
        done=done,
        warnings=warnings,
    )


def _import_day_files(
    stores: Stores,
    archive: ExportArchive,
    plan: _ImportPlan,
    report: ImportReport,
    progress: Progress,
) -> None:
    """Parse changed day files and write them in batches of about BATCH_MESSAGES messages."""
    batch = _Batch()
    for channel, member in plan.day_files:
        data = archive.read_bytes(member)
        checkpoint = hashlib.sha256(data).hexdigest()
        if plan.done.get(member) == checkpoint:
            report.files_unchanged += 1
        else:
            try:
                messages = _parse_day_file(data, member, plan, channel)
                batch.add(member, checkpoint, messages)
            except ExportError as exc:
                batch.failed.append((member, str(exc)))
        if batch.size >= BATCH_MESSAGES:
            _write_batch(stores, plan.workspace_id, batch, report, progress)
            batch = _Batch()
        progress.advance("files")
    _write_batch(stores, plan.workspace_id, batch, report, progress)
    with stores.postgres.tenant(plan.workspace_id) as conn:
        refresh_thread_participants(conn, plan.workspace_id)


BATCH_MESSAGES = 1000


@dataclass
class _Batch:
    """Parsed day files waiting to be written in one transaction."""

    files: list[tuple[str, str, int]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.messages)

    def add(self, member: str, checkpoint: str, messages: list[Message]) -> None:
        self.files.append((member, checkpoint, len(messages)))
        self.messages.extend(messages)


def _write_batch(
    stores: Stores,
    ws: str,
    batch: _Batch,
    report: ImportReport,
    progress: Progress,
) -> None:
    """Write a batch's messages, outbox items and sync_status rows in one transaction."""
    if not batch.files and not batch.failed:
        return
    with stores.postgres.tenant(ws) as conn:
        write_messages(conn, batch.messages)
        for member, checkpoint, count in batch.files:
            record_sync(conn, ws, SOURCE, member, status="done", checkpoint=checkpoint, items=count)
        for member, error in batch.failed:
            record_sync(conn, ws, SOURCE, member, status="failed", error=error)
    report.files_imported += len(batch.files)
    report.files_failed += len(batch.failed)
    report.warnings.extend(
        f"{error}; file skipped, nothing stored from it" for _, error in batch.failed
    )
    report.messages += batch.size
    progress.advance("messages", batch.size)


def _parse_day_file(data: bytes, member: str, plan: _ImportPlan, channel: Channel) -> list[Message]:
    """The messages of one day file; ExportError naming the file if it is broken."""
    raw = parse_json(data, member)
    if not isinstance(raw, list):
        raise ExportError(f"{member}: expected a list of messages, got {type(raw).__name__}")
    return [
        m
        for m in (
            message_from_slack(r, plan.workspace_id, channel.channel_id, plan.directory)
            for r in raw
            if isinstance(r, dict)
        )
        if m is not None
    ]


def _read_users(archive: ExportArchive) -> tuple[list[User], str | None, list[str]]:
    """users.json's users and team id (the most common `team_id`), or a warning if absent.

    Without users.json messages still carry user ids, so users are known by id only.
    """
    if not archive.has("users.json"):
        return [], None, ["users.json: not in the export; users are known by id only"]
    raw = archive.read_json("users.json")
    if not isinstance(raw, list):
        raise ExportError("users.json: expected a list of users")
    entries = [u for u in raw if isinstance(u, dict) and u.get("id")]
    teams = Counter(u.get("team_id") or u.get("team") for u in entries)
    teams.pop(None, None)
    team_id = teams.most_common(1)[0][0] if teams else None
    return [user_from_slack(u) for u in entries], team_id, []


def _read_channels(archive: ExportArchive) -> tuple[list[Channel], dict[str, Channel]]:
    """Every conversation in the export's lists, and the folder each one's files live in."""
    channels: list[Channel] = []
    folders: dict[str, Channel] = {}
    for member, kind in _LISTS:
        if not archive.has(member):
            continue
        raw = archive.read_json(member)
        if not isinstance(raw, list):
            raise ExportError(f"{member}: expected a list of conversations")
        for entry in raw:
            if not isinstance(entry, dict) or not entry.get("id"):
                continue
            channel = channel_from_slack(entry, kind)
            channels.append(channel)
            # public and private channels and group DMs are exported under their name, DMs by id
            folders[entry.get("name") or entry["id"]] = channel
            folders.setdefault(entry["id"], channel)
    return channels, folders
