"""Write normalised messages: metadata and the outbox in the caller's one transaction."""

from collections.abc import Sequence

import psycopg

from db import outbox
from db.messages import upsert_messages
from db.models import Message
from db.people import ensure_users_known


def write_messages(conn: psycopg.Connection, messages: Sequence[Message]) -> int:
    """Store messages in PostgreSQL and queue their text for Chroma; return how many.

    Content messages queue an upsert unless Chroma already holds the same hash; metadata-only
    ones (joins, topic changes) queue a delete only if a vector was indexed for them before.
    Everything happens in the caller's transaction, so a crash leaves both or neither.
    """
    if not messages:
        return 0
    # Lock order: outbox rows before metadata rows, messages sorted by id. A drain holds the
    # outbox rows it claimed and then updates their metadata; taking the locks in the same
    # order makes a concurrent write wait for it instead of deadlocking with it.
    messages = sorted(messages, key=lambda m: m.message_id)
    workspace_id = messages[0].workspace_id
    records = [outbox.vector_record(m) if m.is_content else None for m in messages]
    hashes = [outbox.content_hash(r) if r else None for r in records]
    outbox.enqueue(
        conn,
        workspace_id,
        [(m.message_id, r, h) for m, r, h in zip(messages, records, hashes, strict=True)],
    )
    upsert_messages(conn, messages, hashes)
    ensure_users_known(
        conn,
        workspace_id,
        [
            u
            for m in messages
            for u in [m.user_id, *(x for r in m.reactions for x in r.user_ids)]
            if u
        ],
    )
    return len(messages)
