"""A file's text in search follows the file: a deleted file's is cut out of every message it
was shared in, a changed file's new text takes the place of its old.

A file's text joined its message's (ingest/normalise.py), at a span PostgreSQL records. When
Slack says the file was deleted or changed, that span is rewritten in the message's text, in
PostgreSQL's keyword index at once and, through the outbox, in Chroma (vector and passages).
The message itself stays, as it does in Slack.
"""

from collections.abc import Mapping
from typing import Any

import psycopg

from db import outbox
from db.attachments import delete_file, file_shares, record_text_change
from db.messages import write_terms
from db.stores import Stores
from db.vectors import VectorRecord
from ingest.normalise import FILE_REFERENCE_SUBTYPES, file_piece

Span = tuple[int, int]


def forget_file(stores: Stores, conn: psycopg.Connection, workspace_id: str, file_id: str) -> int:
    """Remove a deleted file from its messages; returns how many messages it was in. `conn`
    is bound to the workspace, in the event's transaction."""
    shares = delete_file(conn, file_id)
    spans = {s.message_id: s.text_span for s in shares if s.text_span}
    held = outbox.current_records(conn, stores.vectors, workspace_id, list(spans))
    for message, record in held.items():
        document, _, moved = replaced(record.document, spans[message], "")
        _rewrite(conn, workspace_id, message, record, document, None, None, moved)
    return len(shares)


def refresh_file(
    stores: Stores, conn: psycopg.Connection, workspace_id: str, shared: Mapping[str, Any]
) -> int:
    """Put a changed file's text (`shared`: the file object, its text read) in place of the old
    in every message it was shared in; returns how many messages changed."""
    file_id = str(shared["id"])
    shares = {s.message_id: s for s in file_shares(conn, file_id)}
    held = outbox.current_records(conn, stores.vectors, workspace_id, list(shares))
    changed = 0
    for message, record in held.items():
        with_text = shares[message].subtype not in FILE_REFERENCE_SUBTYPES
        piece = file_piece(shared, str(record.metadata.get("raw_text") or ""), with_text)
        document, span, moved = replaced(record.document, shares[message].text_span, piece)
        if document != record.document:
            _rewrite(conn, workspace_id, message, record, document, file_id, span, moved)
            changed += 1
    return changed


def replaced(text: str, span: Span | None, piece: str) -> tuple[str, Span | None, Span]:
    """`text` with the file's piece at `span` replaced by `piece`: appended on its own line when
    the file had none, cut with its line break when `piece` is empty. Returns the new text, the
    piece's new span, and (from, by): spans starting at or after `from` move by `by`."""
    if span is None:
        if not piece:
            return text, None, (len(text), 0)
        start = len(text) + 1 if text else 0
        joined = f"{text}\n{piece}" if text else piece
        return joined, (start, len(joined)), (len(text), 0)
    start, end = span
    if not piece:
        if start > 0:
            start -= 1  # the "\n" before the file's piece
        elif end < len(text):
            end += 1  # the piece came first: the "\n" after it
        return text[:start] + text[end:], None, (span[1], start - end)
    return (
        text[:start] + piece + text[end:],
        (start, start + len(piece)),
        (end, len(piece) - (end - start)),
    )


def _rewrite(
    conn: psycopg.Connection,
    workspace_id: str,
    message: str,
    record: VectorRecord,
    document: str,
    file_id: str | None,
    span: Span | None,
    moved: Span,
) -> None:
    """Record the message's new text: spans, keyword terms now, Chroma through the outbox."""
    updated = record.model_copy(update={"document": document})
    digest = outbox.content_hash(updated)
    record_text_change(conn, message, file_id, span, moved, digest)
    write_terms(conn, workspace_id, [(message, document)])  # the drain adds its context
    outbox.enqueue(conn, workspace_id, [(message, updated, digest)])
