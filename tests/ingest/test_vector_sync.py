"""The outbox drain against concurrent writers of the same messages."""

import threading

from db import Stores, outbox
from db.models import Message
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
