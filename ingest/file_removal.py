"""A deleted file leaves search: its text is cut out of every message it was shared in.

A file's text joined its message's (ingest/normalise.py), at a span PostgreSQL records. When
Slack says the file was deleted, that span is removed from the message's text, in PostgreSQL's
keyword index at once and, through the outbox, in Chroma (vector and passages). The message
itself stays, as it does in Slack.
"""

import psycopg

from db import outbox
from db.attachments import delete_file, record_text_cut
from db.messages import write_terms
from db.stores import Stores


def forget_file(stores: Stores, conn: psycopg.Connection, workspace_id: str, file_id: str) -> int:
    """Remove a deleted file from its messages; returns how many messages it was in. `conn`
    is bound to the workspace, in the event's transaction."""
    shares = delete_file(conn, file_id)
    spans = {s.message_id: s.text_span for s in shares if s.text_span}
    held = outbox.current_records(conn, stores.vectors, workspace_id, list(spans))
    for message, record in held.items():
        start, end = spans[message]
        document, removed = without(record.document, start, end)
        updated = record.model_copy(update={"document": document})
        digest = outbox.content_hash(updated)
        record_text_cut(conn, message, end, removed, digest)
        write_terms(conn, workspace_id, [(message, document)])  # the drain adds its context
        outbox.enqueue(conn, workspace_id, [(message, updated, digest)])
    return len(shares)


def without(text: str, start: int, end: int) -> tuple[str, int]:
    """`text` without [start, end) and the line break that joined it; and how many characters
    went (all of them before `end`, or at it)."""
    if start > 0:
        start -= 1  # the "\n" before the file's piece
    elif end < len(text):
        end += 1  # the piece came first: the "\n" after it
    return text[:start] + text[end:], end - start
