"""Compare PostgreSQL and Chroma by id and content hash, and repair drift in either direction.

PostgreSQL records, for every content message, the hash of what Chroma must hold. A vector
that no content message claims is an orphan and is deleted. A vector whose hash differs is
rebuilt in place when only its metadata drifted (the metadata comes from PostgreSQL, and the
document still hashes right with it); when its text is wrong, or the vector is missing,
PostgreSQL has no copy of the text (by design), so the vector is removed and the source
checkpoints covering those messages are cleared: the next `ingest export` or `ingest backfill`
reads them again and the outbox restores exactly those texts.

A passage record (ingest/passages.py) belongs to its message: one its message's text does not
make is an orphan, and a message lacking one of its passages is embedded again.

A content message whose words are missing from the keyword index (it was stored before the
index existed) is indexed from the document Chroma holds for it, when that document is right.
"""

from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

import psycopg
from pydantic import BaseModel

from db import outbox
from db.checkpoints import clear_checkpoints
from db.message_reads import expected_hashes, message_places, unsearchable_ids, vector_fields
from db.messages import forget_indexed, forget_latest_replies, write_terms
from db.models import Workspace, message_of, passage_ids
from db.postgres import lock_vector_writes
from db.stores import Stores
from db.vectors import VectorRecord
from ingest import backfill, export_import
from ingest.context import contextual_texts
from ingest.passages import passage_count
from ingest.progress import Progress
from ingest.slack_api import SlackApi
from ingest.vector_sync import drain


class ReconcileReport(BaseModel):
    """What the comparison found and what was done about it."""

    workspace_id: str
    dry_run: bool
    postgres: int  # content messages PostgreSQL expects in Chroma
    chroma: int  # vectors Chroma holds
    pending: int  # already queued in the outbox; the next drain applies them
    missing: list[str]
    stale: list[str]
    orphaned: list[str]
    unsearchable: list[str] = []  # content messages the keyword index lacks
    unpassaged: list[str] = []  # long messages Chroma lacks some passages of (ingest/passages.py)
    rebuilt: int = 0  # stale metadata fixed in place
    need_source: list[str] = []  # texts only the source can restore
    cleared_checkpoints: list[str] = []
    after: "ReconcileReport | None" = None  # a check after restoring from the source

    @property
    def in_sync(self) -> bool:
        """Whether the stores agree (apart from queued work)."""
        return not (
            self.missing or self.stale or self.orphaned or self.unsearchable or self.unpassaged
        )


def reconcile(stores: Stores, workspace_id: str, *, dry_run: bool = False) -> ReconcileReport:
    """Find drift between the stores; unless `dry_run`, repair what can be repaired here and
    clear the source checkpoints of what cannot."""
    with stores.postgres.tenant(workspace_id) as conn:
        expected = expected_hashes(conn)
        queued = outbox.queued_ids(conn)
        unsearchable = unsearchable_ids(conn)
    held: dict[str, VectorRecord] = {}
    held_passages: set[str] = set()
    for record in stores.vectors.scan(workspace_id):
        if message_of(record.id) == record.id:
            held[record.id] = record
        else:
            held_passages.add(record.id)
    missing = sorted(set(expected) - set(held) - queued)
    stale = sorted(
        i
        for i in set(expected) & set(held)
        if i not in queued and outbox.content_hash(held[i]) != expected[i]
    )
    # a right message's passages are those its text makes; others are orphans, and a message
    # lacking some of its own is embedded again from the text Chroma holds
    trusted = set(expected) & set(held) - set(stale) - queued
    wanted = {m: set(passage_ids(m, passage_count(held[m].document))) for m in trusted}
    unpassaged = sorted(m for m in trusted if wanted[m] - held_passages)
    kept = set().union(*wanted.values())
    spare = {p for p in held_passages if message_of(p) not in queued} - kept
    orphaned = sorted((set(held) - set(expected) - queued) | spare)
    report = ReconcileReport(
        workspace_id=workspace_id,
        dry_run=dry_run,
        postgres=len(expected),
        chroma=len(held),
        pending=len(queued),
        missing=missing,
        stale=stale,
        orphaned=orphaned,
        unsearchable=unsearchable,
        unpassaged=unpassaged,
    )
    if dry_run or report.in_sync:
        return report
    with stores.postgres.tenant(workspace_id) as conn:
        lock_vector_writes(conn, workspace_id)
        stores.vectors.delete(workspace_id, orphaned)
        outbox.enqueue(
            conn,
            workspace_id,
            [(m, held[m], expected[m]) for m in unpassaged],
            again=True,
        )
        # a wrong or missing document is restored from the source, which indexes its words too
        untrusted = set(stale) | queued  # a set: an upgraded database lacks every message's words
        right = [i for i in unsearchable if i in held and i not in untrusted]
        contextual = contextual_texts(stores, conn, workspace_id, [held[i] for i in right])
        write_terms(
            conn, workspace_id, [(i, c.words) for i, c in zip(right, contextual, strict=True)]
        )
        # Chroma no longer holds what PostgreSQL expects for any of these: say so first, so
        # the outbox queues their fixes (it skips what is recorded as indexed)
        forget_indexed(conn, sorted(set(missing) | set(stale)))
        rebuilt = _rebuild_metadata(conn, workspace_id, [held[i] for i in stale], expected)
        report.rebuilt = len(rebuilt)
        report.need_source = sorted(set(missing) | (set(stale) - set(rebuilt)))
        stores.vectors.delete(workspace_id, sorted(set(stale) - set(rebuilt)))
        report.cleared_checkpoints = _clear_checkpoints(conn, report.need_source)
    drain(stores, workspace_id)
    return report


def reconcile_and_restore(
    stores: Stores,
    workspace: Workspace,
    *,
    dry_run: bool = False,
    export: Path | None = None,
    api: SlackApi | None = None,
    thread_lookback: timedelta = backfill.THREAD_LOOKBACK,
    progress: Progress | None = None,
) -> ReconcileReport:
    """`reconcile`, then, for texts only the source holds, read them again from `export` or
    from Slack through `api` (whose token must belong to `workspace`) and check once more."""
    report = reconcile(stores, workspace.workspace_id, dry_run=dry_run)
    if dry_run or not report.need_source or (export is None and api is None):
        return report
    if export is not None:
        export_import.import_export(stores, export, progress=progress)
    elif api is not None:
        backfill.backfill(
            stores,
            api,
            workspace_name=workspace.name,
            expected_workspace=workspace.workspace_id,
            thread_lookback=thread_lookback,
            progress=progress,
        )
    after = reconcile(stores, workspace.workspace_id, dry_run=True)
    return report.model_copy(update={"after": after})


def _rebuild_metadata(
    conn: psycopg.Connection,
    workspace_id: str,
    records: list[VectorRecord],
    expected: Mapping[str, str | None],
) -> list[str]:
    """Queue a fix for vectors whose document is right and only metadata drifted."""
    if not records:
        return []
    truth = {row["message_id"]: row for row in vector_fields(conn, [r.id for r in records])}
    fixes = []
    for record in records:
        metadata = outbox.vector_metadata(workspace_id=workspace_id, **truth[record.id])
        if "raw_text" in record.metadata:
            metadata["raw_text"] = str(record.metadata["raw_text"])
        candidate = VectorRecord(id=record.id, document=record.document, metadata=metadata)
        if outbox.content_hash(candidate) == expected[record.id]:
            fixes.append((record.id, candidate, expected[record.id]))
    outbox.enqueue(conn, workspace_id, fixes)
    return [message_id for message_id, _, _ in fixes]


def _clear_checkpoints(conn: psycopg.Connection, message_ids: Iterable[str]) -> list[str]:
    """Make the next export import or backfill read these messages again."""
    ids = list(message_ids)
    if not ids:
        return []
    places = message_places(conn, ids)
    days = sorted(
        {
            (created + timedelta(days=shift)).date().isoformat()
            for _, created in places
            for shift in (-1, 0, 1)
        }
    )
    cleared = clear_checkpoints(
        conn,
        scopes_like={export_import.SOURCE: [f"%/{day}.json" for day in days]},
        scopes={backfill.SOURCE: sorted({channel for channel, _ in places})},
    )
    forget_latest_replies(conn, ids)  # replies come back only for threads that look moved
    return cleared
