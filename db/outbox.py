"""The outbox: Chroma work written in the metadata's transaction, claimed and completed later."""

import hashlib
import json
from collections.abc import Mapping, Sequence

import psycopg
from pydantic import BaseModel, ValidationError

from db.models import Message
from db.vectors import VectorRecord, VectorStore

MAX_ATTEMPTS = 5


class OutboxItem(BaseModel):
    """One claimed unit of vector work."""

    id: int
    message_id: str
    op: str
    record: VectorRecord | None
    content_hash: str | None


def vector_record(message: Message) -> VectorRecord:
    """What Chroma holds for a content message: its resolved text and filterable metadata.

    Metadata is the seed's set and no more (each key costs write time); Slack's raw markup is
    added only where it differs from the resolved text. Names come from PostgreSQL at read time.
    """
    metadata = vector_metadata(
        message_id=message.message_id,
        workspace_id=message.workspace_id,
        channel_id=message.channel_id,
        user_id=message.user_id,
        ts=message.ts,
        thread_ts=message.thread_ts,
        message_type=message.message_type,
    )
    if message.raw_text != message.text:
        metadata["raw_text"] = message.raw_text
    return VectorRecord(id=message.message_id, document=message.text, metadata=metadata)


def vector_metadata(
    *,
    message_id: str,
    workspace_id: str,
    channel_id: str,
    user_id: str | None,
    ts: str,
    thread_ts: str | None,
    message_type: str,
) -> dict[str, str | float]:
    """The filterable metadata Chroma keeps with a message (all of it known to PostgreSQL)."""
    return {
        "message_id": message_id,
        "workspace_id": workspace_id,
        "channel_id": channel_id,
        "user_id": user_id or "",
        "timestamp": float(ts),
        "thread_ts": thread_ts or "",
        "message_type": message_type,
    }


def content_hash(record: VectorRecord) -> str:
    """A stable hash of document and metadata, to tell whether Chroma is up to date."""
    canonical = json.dumps([record.document, record.metadata], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def enqueue(
    conn: psycopg.Connection,
    workspace_id: str,
    items: Sequence[tuple[str, VectorRecord | None, str | None]],
    *,
    again: bool = False,
) -> None:
    """Queue (message_id, record, hash) where Chroma does not already hold that hash (with
    `again`, even where it does: the vector must be remade, its context changed; but never in
    place of work already pending for that message, which is newer).

    A None record asks for the vector to be deleted (only queued if one was indexed). At most
    one item per message is pending: a newer write replaces the older one's payload. One
    set-based statement per batch: the per-row version cost more than the metadata writes.
    """
    if not items:
        return
    conn.execute(
        """INSERT INTO processing_queue (workspace_id, message_id, op, payload, content_hash)
           SELECT %(ws)s, i.message_id, i.op, i.payload::jsonb, i.content_hash
           FROM unnest(%(ids)s::text[], %(ops)s::text[], %(payloads)s::text[],
                       %(hashes)s::text[]) AS i(message_id, op, payload, content_hash)
           LEFT JOIN message_metadata m
             ON m.workspace_id = %(ws)s AND m.message_id = i.message_id
           LEFT JOIN processing_queue q
             ON q.workspace_id = %(ws)s AND q.message_id = i.message_id AND q.status = 'pending'
           WHERE CASE WHEN %(again)s THEN q.id IS NULL  -- never over newer pending work
                 ELSE m.indexed_hash IS DISTINCT FROM i.content_hash OR q.id IS NOT NULL END
           ON CONFLICT (workspace_id, message_id) WHERE status = 'pending' DO UPDATE SET
             op = excluded.op, payload = excluded.payload,
             content_hash = excluded.content_hash, attempts = 0, last_error = NULL,
             available_at = now()""",
        {
            "ws": workspace_id,
            "ids": [message_id for message_id, _, _ in items],
            "ops": ["upsert" if record else "delete" for _, record, _ in items],
            "payloads": [record.model_dump_json() if record else None for _, record, _ in items],
            "hashes": [digest for _, _, digest in items],
            "again": again,
        },
    )


def claim(conn: psycopg.Connection, workspace_id: str, limit: int) -> list[OutboxItem]:
    """Lock up to `limit` ready items; other workers skip them until this transaction ends.

    An item whose payload is not a valid record (corrupted in the table) is failed at once, in
    this transaction, so it cannot stop the drain; it ends up dead like any other failure.
    """
    rows = conn.execute(
        """SELECT id, message_id, op, payload, content_hash FROM processing_queue
           WHERE workspace_id = %s AND status = 'pending' AND available_at <= now()
           ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
        [workspace_id, limit],
    ).fetchall()
    items = []
    for item_id, message_id, op, payload, digest in rows:
        try:
            record = VectorRecord.model_validate(payload) if payload else None
        except ValidationError as exc:
            fail(conn, [item_id], f"invalid payload: {exc}")
            continue
        items.append(
            OutboxItem(id=item_id, message_id=message_id, op=op, record=record, content_hash=digest)
        )
    return items


def complete(
    conn: psycopg.Connection,
    workspace_id: str,
    items: Sequence[OutboxItem],
    passages: Mapping[int, int],
) -> None:
    """Record what Chroma now holds (the hash, and how many passages beside the message's own
    record, by item id) and remove the finished items."""
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE message_metadata SET indexed_hash = %s, passages = %s "
            "WHERE workspace_id = %s AND message_id = %s",
            [
                (
                    i.content_hash if i.op == "upsert" else None,
                    passages.get(i.id, 0),
                    workspace_id,
                    i.message_id,
                )
                for i in items
            ],
        )
        cur.execute("DELETE FROM processing_queue WHERE id = ANY(%s)", [[i.id for i in items]])


def edited_ids(conn: psycopg.Connection, hashes: dict[str, str]) -> list[str]:
    """Of these messages (id: the hash about to be stored), the ones Chroma holds in another
    version: edits, whose dependents' context changes with them."""
    rows = conn.execute(
        """SELECT m.message_id FROM message_metadata m
           JOIN unnest(%s::text[], %s::text[]) AS n(message_id, content_hash) USING (message_id)
           WHERE m.indexed_hash IS NOT NULL AND m.indexed_hash <> n.content_hash""",
        [list(hashes), list(hashes.values())],
    ).fetchall()
    return [r[0] for r in rows]


def fail(conn: psycopg.Connection, item_ids: Sequence[int], error: str) -> None:
    """Retry later with exponential backoff; after MAX_ATTEMPTS the items are dead."""
    conn.execute(
        """UPDATE processing_queue SET
             attempts = attempts + 1,
             last_error = %s,
             available_at = now() + make_interval(secs => least(300, 2 ^ attempts)),
             status = CASE WHEN attempts + 1 >= %s THEN 'dead' ELSE 'pending' END
           WHERE id = ANY(%s)""",
        [error[:2000], MAX_ATTEMPTS, list(item_ids)],
    )


def queued_ids(conn: psycopg.Connection) -> set[str]:
    """Messages of the bound workspace with vector work still queued (pending or dead)."""
    return {r[0] for r in conn.execute("SELECT message_id FROM processing_queue")}


def pending_records(
    conn: psycopg.Connection, message_ids: Sequence[str]
) -> dict[str, VectorRecord]:
    """The records still queued for these messages (text not yet in Chroma), by id."""
    rows = conn.execute(
        "SELECT message_id, payload FROM processing_queue "
        "WHERE message_id = ANY(%s) AND op = 'upsert' AND payload IS NOT NULL",
        [list(message_ids)],
    ).fetchall()
    found = {}
    for message_id, payload in rows:
        try:
            found[message_id] = VectorRecord.model_validate(payload)
        except ValidationError:
            continue  # a corrupted payload fails its own claim; here it only gives no context
    return found


def current_records(
    conn: psycopg.Connection, vectors: VectorStore, workspace_id: str, message_ids: Sequence[str]
) -> dict[str, VectorRecord]:
    """The newest record of each message: the one queued for Chroma, else the one it holds
    (messages with neither are absent)."""
    found = pending_records(conn, message_ids)
    return found | vectors.get(workspace_id, [m for m in message_ids if m not in found])
