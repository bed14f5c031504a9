"""The outbox drain against concurrent writers of the same messages."""

import threading

from db import Stores
from db.models import Message
from ingest.vector_sync import drain
from ingest.writer import write_messages
from tests.helpers import assert_stores_agree, empty_workspace, numbered_messages

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
