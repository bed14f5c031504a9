"""Compare PostgreSQL and Chroma by id and content hash, and repair drift in either direction.

PostgreSQL records, for every content message, the hash of what Chroma must hold. A vector
that no content message claims is an orphan and is deleted. A vector whose hash differs is
rebuilt in place when only its metadata drifted (the metadata comes from PostgreSQL, and the
document still hashes right with it); when its text is wrong, or the vector is missing,
PostgreSQL has no copy of the text (by design), so the vector is removed and the source
checkpoints covering those messages are cleared: the next `ingest export` or `ingest backfill`
reads them again and the outbox restores exactly those texts.

A content message whose words are missing from the keyword index (it was stored before the
index existed) is indexed from the document Chroma holds for it, when that document is right.
"""

from collections.abc import Iterable
from datetime import timedelta

from pydantic import BaseModel

from db import outbox, repository
from db.postgres import lock_vector_writes
from db.stores import Stores
from db.vectors import VectorRecord
from ingest import backfill, export_import
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
    rebuilt: int = 0  # stale metadata fixed in place
    need_source: list[str] = []  # texts only the source can restore
    cleared_checkpoints: list[str] = []
    after: "ReconcileReport | None" = None  # a check after restoring from the source

    @property
    def in_sync(self) -> bool:
        """Whether the stores agree (apart from queued work)."""
        return not (self.missing or self.stale or self.orphaned or self.unsearchable)


def reconcile(stores: Stores, workspace_id: str, *, dry_run: bool = False) -> ReconcileReport:
    """Find drift between the stores; unless `dry_run`, repair what can be repaired here and
    clear the source checkpoints of what cannot."""
    with stores.postgres.tenant(workspace_id) as conn:
        expected = dict(
            conn.execute(
                "SELECT message_id, content_hash FROM message_metadata WHERE is_content"
            ).fetchall()
        )
        queued = {r[0] for r in conn.execute("SELECT message_id FROM processing_queue")}
        unsearchable = [
            r[0]
            for r in conn.execute(
                "SELECT m.message_id FROM message_metadata m LEFT JOIN message_terms t "
                "USING (workspace_id, message_id) WHERE m.is_content AND t.message_id IS NULL "
                "ORDER BY 1"
            )
        ]
    held = {record.id: record for record in stores.vectors.scan(workspace_id)}
    missing = sorted(set(expected) - set(held) - queued)
    orphaned = sorted(set(held) - set(expected) - queued)
    stale = sorted(
        i
        for i in set(expected) & set(held)
        if i not in queued and outbox.content_hash(held[i]) != expected[i]
    )
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
    )
    if dry_run or report.in_sync:
        return report
    with stores.postgres.tenant(workspace_id) as conn:
        lock_vector_writes(conn, workspace_id)
        stores.vectors.delete(workspace_id, orphaned)
        # a wrong or missing document is restored from the source, which indexes its words too
        untrusted = set(stale) | queued  # a set: an upgraded database lacks every message's words
        right = [i for i in unsearchable if i in held and i not in untrusted]
        repository.write_terms(conn, workspace_id, [(i, held[i].document) for i in right])
        # Chroma no longer holds what PostgreSQL expects for any of these: say so first, so
        # the outbox queues their fixes (it skips what is recorded as indexed)
        conn.execute(
            "UPDATE message_metadata SET indexed_hash = NULL WHERE message_id = ANY(%s)",
            [sorted(set(missing) | set(stale))],
        )
        rebuilt = _rebuild_metadata(conn, workspace_id, [held[i] for i in stale], expected)
        report.rebuilt = len(rebuilt)
        report.need_source = sorted(set(missing) | (set(stale) - set(rebuilt)))
        stores.vectors.delete(workspace_id, sorted(set(stale) - set(rebuilt)))
        report.cleared_checkpoints = _clear_checkpoints(conn, report.need_source)
    drain(stores, workspace_id)
    return report


def _rebuild_metadata(
    conn, workspace_id: str, records: list[VectorRecord], expected: dict[str, str]
) -> list[str]:
    """Queue a fix for vectors whose document is right and only metadata drifted."""
    if not records:
        return []
    rows = conn.execute(
        "SELECT message_id, channel_id, ts, user_id, thread_ts, message_type "
        "FROM message_metadata WHERE message_id = ANY(%s)",
        [[r.id for r in records]],
    ).fetchall()
    truth = {r[0]: r for r in rows}
    fixes = []
    for record in records:
        message_id, channel_id, ts, user_id, thread_ts, message_type = truth[record.id]
        metadata = outbox.vector_metadata(
            message_id=message_id,
            workspace_id=workspace_id,
            channel_id=channel_id,
            user_id=user_id,
            ts=ts,
            thread_ts=thread_ts,
            message_type=message_type,
        )
        if "raw_text" in record.metadata:
            metadata["raw_text"] = str(record.metadata["raw_text"])
        candidate = VectorRecord(id=record.id, document=record.document, metadata=metadata)
        if outbox.content_hash(candidate) == expected[record.id]:
            fixes.append((record.id, candidate, expected[record.id]))
    outbox.enqueue(conn, workspace_id, fixes)
    return [message_id for message_id, _, _ in fixes]


def _clear_checkpoints(conn, message_ids: Iterable[str]) -> list[str]:
    """Make the next export import or backfill read these messages again."""
    ids = list(message_ids)
    if not ids:
        return []
    rows = conn.execute(
        "SELECT channel_id, created_at, thread_ts, ts FROM message_metadata "
        "WHERE message_id = ANY(%s)",
        [ids],
    ).fetchall()
    days = sorted(
        {
            (created + timedelta(days=shift)).date().isoformat()
            for _, created, _, _ in rows
            for shift in (-1, 0, 1)
        }
    )
    channels = sorted({channel for channel, _, _, _ in rows})
    cleared = [
        r[0]
        for r in conn.execute(
            "DELETE FROM sync_status WHERE (source = %s AND scope LIKE ANY(%s)) "
            "OR (source = %s AND scope = ANY(%s)) RETURNING source || ':' || scope",
            [
                export_import.SOURCE,
                [f"%/{day}.json" for day in days],
                backfill.SOURCE,
                channels,
            ],
        )
    ]
    # replies come back only for threads whose latest_reply looks moved to backfill
    conn.execute(
        "UPDATE message_metadata p SET latest_reply = NULL FROM message_metadata r "
        "WHERE r.message_id = ANY(%s) AND r.thread_ts IS NOT NULL AND r.thread_ts <> r.ts "
        "AND p.channel_id = r.channel_id AND p.ts = r.thread_ts",
        [ids],
    )
    return sorted(cleared)
