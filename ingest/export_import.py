"""Import a Slack export into both stores: resumable, idempotent, batched transactions."""

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from db.channels import upsert_channels
from db.checkpoints import record_sync, sync_checkpoints
from db.messages import refresh_thread_participants
from db.models import Channel, ChannelKind, Message, User, Workspace
from db.people import upsert_users
from db.stores import Stores
from db.workspaces import bound_workspace, learn_domain, upsert_workspace
from ingest.export_archive import DEFAULT_MAX_FILE_BYTES, ExportArchive, ExportError, parse_json
from ingest.normalise import (
    NORMALISER_VERSION,
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
# Slack's ids are upper-case letters and digits (T024BE7LD, C061A3E0Y); anything else in an
# export's team or channel id would end up in permalinks, ids and collection names.
_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")
# What one malformed message object raises in normalising; it is skipped, not the whole file.
_BAD_OBJECT = (ValueError, TypeError, KeyError, AttributeError, OverflowError, ValidationError)


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
    domain: str | None = Field(None, description="<domain>.slack.com, when known.")


def import_export(
    stores: Stores,
    path: Path,
    workspace_name: str | None = None,
    progress: Progress | None = None,
    *,
    into: str | None = None,
    domain: str | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> ImportReport:
    """Import the export at `path` (ZIP or folder) into PostgreSQL, and its texts into Chroma.

    Day files are written in batches, each batch one transaction with its sync_status rows; the
    outbox is drained into Chroma concurrently and to the end before returning. A day file
    already imported with the same content is skipped, so a rerun changes nothing and a run
    killed at any point is completed by the next one. A malformed day file is reported and
    skipped, as is a malformed message in a good one; what was stored before stays as it was.

    An export whose team id is already stored under another name is refused unless `into`
    names that workspace: a stray export must not rename and overwrite someone's workspace.
    The workspace's domain (for absolute permalinks) is `domain`, else the one its own links
    and file permalinks name.
    """
    progress = progress or NoProgress()
    with ExportArchive(path, max_file_bytes) as archive:
        plan = _register_workspace(stores, archive, workspace_name, into, domain)
        report = ImportReport(
            workspace_id=plan.workspace_id, name=plan.name, warnings=plan.warnings
        )
        progress.start("files", len(plan.day_files))
        progress.start("messages", None)
        progress.start("embedded", None)
        with drain_alongside(stores, plan.workspace_id, progress) as vectors:
            _import_day_files(stores, archive, plan, report, progress)
        report.vectors = vectors
    with stores.postgres.tenant(plan.workspace_id) as conn:
        report.domain = learn_domain(conn)
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
    stores: Stores,
    archive: ExportArchive,
    workspace_name: str | None,
    into: str | None,
    domain: str | None,
) -> _ImportPlan:
    """Store the workspace, its users and channels; list the day files still to import."""
    users, team_id, warnings = _read_users(archive)
    name = workspace_name or archive.name
    workspace = Workspace(workspace_id=workspace_id_for(team_id, name), name=name, domain=domain)
    ws = workspace.workspace_id
    if into is not None and into != ws:
        raise ExportError(f"this export is workspace {ws}, not {into}; nothing imported")
    channels, folders = _read_channels(archive, warnings)
    with stores.postgres.tenant(ws) as conn:
        existing = bound_workspace(conn)
        if existing is not None and existing.name != name and into != ws:
            raise ExportError(
                f"workspace {ws} is already stored as {existing.name!r} and this export would "
                f"rename it {name!r}; to import into it anyway pass --into {ws} (or --workspace "
                f"{existing.name!r}); nothing imported"
            )
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
        try:
            data = archive.read_bytes(member)
            checkpoint = hashlib.sha256(f"{NORMALISER_VERSION}:".encode() + data).hexdigest()
            if plan.done.get(member) == checkpoint:
                report.files_unchanged += 1
            else:
                messages = _parse_day_file(data, member, plan, channel, report.warnings)
                batch.add(member, checkpoint, messages, report.warnings)
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
    by_id: dict[str, Message] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.by_id)

    def add(self, member: str, checkpoint: str, messages: list[Message], warnings: list[str]):
        """One message per id: a ts seen twice keeps its last copy (one row cannot be written
        twice in one statement)."""
        self.files.append((member, checkpoint, len(messages)))
        for message in messages:
            if message.message_id in self.by_id:
                warnings.append(f"{member}: ts {message.ts} appears twice; kept the last copy")
            self.by_id[message.message_id] = message


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
        write_messages(conn, list(batch.by_id.values()))
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


def _parse_day_file(
    data: bytes, member: str, plan: _ImportPlan, channel: Channel, warnings: list[str]
) -> list[Message]:
    """The messages of one day file; ExportError naming the file if it is broken, a warning
    for each message object that is."""
    raw = parse_json(data, member)
    if not isinstance(raw, list):
        raise ExportError(f"{member}: expected a list of messages, got {type(raw).__name__}")
    messages = []
    for position, entry in enumerate(raw):
        if not isinstance(entry, dict):
            continue
        try:
            message = message_from_slack(
                entry, plan.workspace_id, channel.channel_id, plan.directory
            )
        except _BAD_OBJECT as exc:
            warnings.append(f"{member}: message {position} skipped: {_first_line(exc)}")
            continue
        if message is not None:
            messages.append(message)
    return messages


def _is_slack_id(value: object) -> bool:
    return isinstance(value, str) and _SLACK_ID.fullmatch(value) is not None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


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
    if team_id is not None and not _is_slack_id(team_id):
        raise ExportError(
            f"users.json: team id {str(team_id)[:40]!r} is not a Slack team id; nothing imported"
        )
    users, warnings = [], []
    for entry in entries:
        try:
            users.append(user_from_slack(entry))
        except _BAD_OBJECT as exc:
            warnings.append(
                f"users.json: user {str(entry['id'])[:40]!r} skipped: {_first_line(exc)}"
            )
    return users, team_id, warnings


def _read_channels(
    archive: ExportArchive, warnings: list[str]
) -> tuple[list[Channel], dict[str, Channel]]:
    """Every conversation in the export's lists, and the folder each one's files live in.

    Public and private channels and group DMs are exported under their name, DMs by id. Two
    conversations claiming one name cannot share its folder: the folder is skipped with a
    warning rather than merged into either.
    """
    channels: list[Channel] = []
    claims: dict[str, list[Channel]] = {}
    for member, kind in _LISTS:
        if not archive.has(member):
            continue
        raw = archive.read_json(member)
        if not isinstance(raw, list):
            raise ExportError(f"{member}: expected a list of conversations")
        for entry in raw:
            if not isinstance(entry, dict) or not entry.get("id"):
                continue
            if not _is_slack_id(entry["id"]):
                warnings.append(f"{member}: id {str(entry['id'])[:40]!r} is no Slack id; skipped")
                continue
            try:
                channel = channel_from_slack(entry, kind)
            except _BAD_OBJECT as exc:
                warnings.append(f"{member}: {entry['id']} skipped: {_first_line(exc)}")
                continue
            channels.append(channel)
            for folder in dict.fromkeys([entry.get("name") or entry["id"], entry["id"]]):
                claims.setdefault(str(folder), []).append(channel)
    folders = {}
    for folder, claimants in claims.items():
        by_id = {c.channel_id: c for c in claimants}
        if len(by_id) == 1 or folder in by_id:
            folders[folder] = by_id.get(folder, claimants[0])
        else:
            warnings.append(f"{folder}/: {' and '.join(by_id)} are both named {folder!r}; skipped")
    return list({c.channel_id: c for c in channels}.values()), folders
