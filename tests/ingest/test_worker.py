"""`slack-helper sync`: several workers, in threads and in processes, each item applied once."""

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

from db import StoreConfig, Stores
from db.counts import collect_status, dead_items
from ingest.worker import run_workers
from ingest.writer import write_messages
from tests.helpers import assert_stores_agree, cli_env, empty_workspace, numbered_messages

WS = "TSYNC001"


def queue_messages(stores: Stores, count: int) -> None:
    """Messages written with their outbox items, nothing drained yet."""
    empty_workspace(stores, WS)
    with stores.postgres.tenant(WS) as conn:
        write_messages(conn, numbered_messages(WS, count, "note {i} about the release train"))


def test_parallel_workers_never_apply_an_item_twice(stores: Stores, monkeypatch):
    queue_messages(stores, 600)
    applied: list[str] = []
    real_upsert = stores.vectors.upsert

    def recording_upsert(workspace_id, records, embeddings):
        applied.extend(r.id for r in records)
        return real_upsert(workspace_id, records, embeddings)

    monkeypatch.setattr(stores.vectors, "upsert", recording_upsert)
    report = run_workers(stores, [WS], workers=4, batch_size=32)

    assert report.upserted == 600 and report.failed == 0
    assert len(applied) == 600 and max(Counter(applied).values()) == 1
    assert_stores_agree(stores, WS)


def test_two_sync_processes_at_once(store_config: StoreConfig, stores: Stores, backend: str):
    if backend == "embedded":
        pytest.skip("Chroma's PersistentClient is one process's; several need a Chroma server")
    queue_messages(stores, 1200)
    env = {**os.environ, **cli_env(store_config)}
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "slack_helper", "sync", "--workers", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=600) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    stored = [int(out.split()[0]) for out, _ in outputs]
    assert sum(stored) == 1200  # each item stored by exactly one of the processes
    assert_stores_agree(stores, WS)


def test_bad_items_retry_alone_then_die_visibly(stores: Stores):
    queue_messages(stores, 40)
    refused = {"id": f"{WS}:C1:1.0", "document": "x", "metadata": {"$bad": 1}}  # Chroma says no
    corrupt = {"id": f"{WS}:C1:2.0", "document": "x", "metadata": {"bad": {"nested": 1}}}
    with stores.postgres.tenant(WS) as conn:
        for payload in (refused, corrupt):
            conn.execute(
                "INSERT INTO processing_queue (workspace_id, message_id, op, payload, content_hash) "
                "VALUES (%s, %s, 'upsert', %s, 'h')",
                [WS, payload["id"], json.dumps(payload)],
            )
    first = run_workers(stores, [WS], workers=2)
    assert first.upserted == 40  # the good ones did not wait for them
    # every failure reported is one attempt of the refused item (the corrupt one fails at claim
    # time, unreported); a slow run can outlast its first 1 s backoff and try it twice
    with stores.postgres.tenant(WS) as conn:
        (attempts,) = conn.execute(
            "SELECT attempts FROM processing_queue WHERE message_id = %s", [refused["id"]]
        ).fetchone()
    assert first.failed == attempts >= 1
    for _ in range(4):  # let the backoff pass, four more times
        with stores.postgres.tenant(WS) as conn:
            conn.execute("UPDATE processing_queue SET available_at = now()")
        run_workers(stores, [WS], workers=1)

    with stores.postgres.tenant(WS) as conn:
        dead = {message_id: (attempts, error) for message_id, attempts, error in dead_items(conn)}
    assert set(dead) == {refused["id"], corrupt["id"]}
    assert dead[refused["id"]][0] == 5 and "InvalidArgumentError" in dead[refused["id"]][1]
    assert dead[corrupt["id"]][0] == 5 and "invalid payload" in dead[corrupt["id"]][1]
    (status,) = collect_status(stores, WS).workspaces
    assert (status.outbox_dead, status.outbox_pending, status.messages_chroma) == (2, 0, 40)


@pytest.fixture(autouse=True)
def _quiet_backoff(monkeypatch):
    """Nothing here should sleep on the idle poll."""
    monkeypatch.setattr("ingest.worker.IDLE_SECONDS", 0.05)
