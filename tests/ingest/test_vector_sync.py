"""The outbox drain against concurrent writers of the same messages."""

import threading

import numpy as np

from db import Stores, outbox
from db.models import Message
from ingest.context import contextual_texts
from ingest.vector_sync import drain
from ingest.writer import write_messages
from tests.helpers import (
    assert_stores_agree,
    empty_workspace,
    numbered_messages,
    seed_workspace,
)

WS = "TDRAIN01"


def _messages(version: int, count: int = 400) -> list[Message]:
    return numbered_messages(WS, count, "message {i}, version " + str(version))


def test_rewrites_during_a_drain_never_deadlock_or_lose_the_last_version(stores: Stores):
    empty_workspace(stores, WS)
    with stores.postgres.tenant(WS) as conn:
        write_messages(conn, _messages(0))
    done = threading.Event()
    draining = threading.Thread(target=lambda: drain(stores, WS, batch_size=64, until=done))
    draining.start()
    try:
        for version in range(1, 6):
            batch = _messages(version)
            for start in range(0, len(batch), 50):  # many small transactions, newest ids first
                with stores.postgres.tenant(WS) as conn:
                    write_messages(conn, list(reversed(batch[start : start + 50])))
    finally:
        done.set()
        draining.join()

    with stores.postgres.tenant(WS) as conn:
        errors = conn.execute(
            "SELECT last_error FROM processing_queue WHERE last_error IS NOT NULL"
        ).fetchall()
    assert errors == []
    assert_stores_agree(stores, WS)
    texts = {r.document for r in stores.vectors.scan(WS)}
    assert texts == {f"message {i}, version 5" for i in range(400)}


def test_requeueing_for_context_never_replaces_newer_pending_work(stores: Stores):
    seed_workspace(stores, "TQUEUE1", "the original text")
    message_id = "TQUEUE1:C1:1700000000.000100"
    (held,) = stores.vectors.get("TQUEUE1", [message_id]).values()
    newer = held.model_copy(update={"document": "an edit not yet embedded"})
    with stores.postgres.tenant("TQUEUE1") as conn:
        outbox.enqueue(conn, "TQUEUE1", [(message_id, newer, outbox.content_hash(newer))])
        outbox.enqueue(conn, "TQUEUE1", [(message_id, held, outbox.content_hash(held))], again=True)
        (pending,) = outbox.pending_records(conn, [message_id]).values()
    assert pending.document == "an edit not yet embedded"


def test_a_message_is_embedded_as_itself_and_in_its_conversation(stores: Stores):
    """A short reply's vector is the mean of its two views: its context shapes it, but does
    not drown the reply's own words (which are what it is cited for)."""
    empty_workspace(stores, "TVIEWS1")
    said = ["The venue wifi is HackHouse, the password is on the fridge", "thanks, see you there!"]
    opening, reply = (
        m.model_copy(update={"raw_text": text, "text": text, "thread_ts": "1700000000.000000"})
        for m, text in zip(numbered_messages("TVIEWS1", 2, ""), said, strict=True)
    )
    with stores.postgres.tenant("TVIEWS1") as conn:
        write_messages(conn, [opening, reply])
    drain(stores, "TVIEWS1")
    reply_id = f"TVIEWS1:C1:{reply.ts}"
    (record,) = stores.vectors.get("TVIEWS1", [reply_id]).values()
    with stores.postgres.tenant("TVIEWS1") as conn:
        (views,) = contextual_texts(stores, conn, "TVIEWS1", [record])
    assert said[0] in views.embedded and said[0] not in views.alone
    alone, in_context = stores.embedder.embed([views.alone, views.embedded])
    stored = stores.vectors.embeddings("TVIEWS1", [reply_id])[reply_id]
    stored = stored / np.linalg.norm(stored)
    assert stored @ alone > in_context @ alone + 0.05  # its own words weigh in
    assert stored @ in_context > alone @ in_context + 0.05  # and so does its conversation
