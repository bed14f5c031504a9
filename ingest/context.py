"""Contextual embeddings: what a message means to a reader who sees where it was said.

A short Slack message ("yes, from the city's open data portal") means little alone. As in
Anthropic's contextual retrieval (2024), each message is embedded together with the context a
reader has: its channel, its author, and the conversation it answers (its thread parent, or in a
channel without threads the messages just before it, db/conversations.py). Unlike there, the
message comes first and the context after it: MiniLM reads 256 word pieces, so the message
itself is never cut for its context. Only the vector sees the context; Chroma's document, what
is returned and quoted, stays the message's own text.

Each message is embedded twice, with its context and alone, and stored as the mean of the two
unit vectors (`two_views`): a query's inner product with it (the collection's metric,
db/vectors.py) is the mean of its cosines with the two views, CombSUM of two representations
(Fox and Shaw, TREC-2 1994), still on a cosine's scale. With the context alone the replies of
one conversation are nearly one vector, and the reply that states the answer ranks no higher
than its neighbours ("I used getmdl.io as the ui framework" was out of the top ten for "which UI
framework did javier use for the bubble chart?"); alone, a short reply means little.

A reply that says nothing of its own ("Thanks!", "@ann nice job :+1:", `db.message_text`)
gets no context: with it, its vector is its conversation's and it ranks beside the messages
that say what the conversation is about (6% of the top ten hybrid results of houston's dev
questions were such replies), answering nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import psycopg

from db import outbox
from db.conversations import context_ids
from db.message_reads import message_rows
from db.message_text import says_nothing
from db.stores import Stores
from db.vectors import VectorRecord

CONTEXT_CHARS = 200  # of each context message: enough to say what the conversation is about


@dataclass(frozen=True)
class Contextual:
    """A message with its context: what to embed, and what to index for keyword search (the
    message and its conversation's words, as "contextual BM25" does; no names, which every
    message of a channel would share), and where it was said, "(#channel, author)", which
    its passages are embedded with (ingest/passages.py)."""

    embedded: str
    words: str
    place: str = ""


def contextual_texts(
    stores: Stores, conn: psycopg.Connection, workspace_id: str, records: Sequence[VectorRecord]
) -> list[Contextual]:
    """Each record with its context: the message, then where it was said and what it
    answers. `conn` is bound to the workspace."""
    ids = [r.id for r in records]
    contexts = context_ids(conn, ids)
    needed = sorted({c for found in contexts.values() for c in found})
    names = {r["message_id"]: r for r in message_rows(conn, [*ids, *needed])}
    texts = {r.id: r.document for r in records}
    missing = [c for c in needed if c not in texts]
    held = outbox.current_records(conn, stores.vectors, workspace_id, missing)
    texts |= {i: r.document for i, r in held.items()}
    return [
        _with_context(r, names, [c for c in contexts.get(r.id, []) if c in texts], texts)
        for r in records
    ]


def _with_context(
    record: VectorRecord, names: dict[str, dict], context: list[str], texts: dict[str, str]
) -> Contextual:
    row = names.get(record.id)
    if row is None:  # not in PostgreSQL (deleted meanwhile): the message alone
        return Contextual(record.document, record.document)
    where = f"#{row['channel']}" + (f", {row['user']}" if row["user"] else "")
    place = f"({where})"
    if says_nothing(record.document):
        return Contextual(f"{record.document}\n{place}", record.document, place)
    lines, said = [record.document, place], []
    for context_id in context:
        said.append(" ".join(texts[context_id].split())[:CONTEXT_CHARS])
        who = names.get(context_id, {}).get("user") or "someone"
        lines.append(f"In reply to {who}: {said[-1]}")  # the parent, or what was said before
    return Contextual("\n".join(lines), "\n".join([record.document, *said]), place)


def two_views(contextual: np.ndarray, alone: np.ndarray) -> np.ndarray:
    """The vectors stored for messages embedded with their context and alone (rows of unit
    vectors, in the same order): the mean of each pair, not normalised, so that similarity
    to it is the mean of the two views' cosines."""
    return (contextual + alone) / 2
