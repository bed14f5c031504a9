"""`kill -9` an import at different points; the next run completes it, nothing lost or doubled."""

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from db import StoreConfig, open_stores
from ingest.export_import import import_export
from sample.conversations import TEAM_ID
from sample.export import write_sample_export
from tests.helpers import assert_stores_agree, cli_env, export_records

KILL_POINTS = {
    # some day files committed to PostgreSQL, the rest not read yet
    "after_first_batch": "SELECT count(*) > 0 FROM sync_status WHERE status = 'done'",
    # some vectors in Chroma, others still queued
    "mid_drain": "SELECT (SELECT count(*) FROM message_metadata WHERE indexed_hash IS NOT NULL) > 0 "
    "AND (SELECT count(*) FROM processing_queue) > 0",
}


def _wait_for(dsn: str, query: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            with psycopg.connect(dsn) as conn:
                if conn.execute(query).fetchone()[0]:
                    return
        except psycopg.errors.UndefinedTable:
            pass  # the child has not migrated yet
        time.sleep(0.02)
    raise AssertionError(f"never reached: {query}")


@pytest.mark.parametrize("kill_point", sorted(KILL_POINTS))
def test_kill_9_then_rerun_completes(
    store_config: StoreConfig, embedder, tmp_path: Path, kill_point: str
):
    export = write_sample_export(tmp_path / "export", messages=2500, seed=3)
    child = subprocess.Popen(
        [sys.executable, "-m", "slack_helper", "ingest", "export", str(export)],
        env={**os.environ, **cli_env(store_config)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(store_config.database_url, KILL_POINTS[kill_point], child)
    finally:
        child.kill()  # SIGKILL: no cleanup, no atexit
        child.wait()

    with open_stores(store_config, embedder=embedder) as stores:
        with stores.postgres.operator() as conn:
            done = conn.execute(
                "SELECT count(*) FROM sync_status WHERE status = 'done'"
            ).fetchone()[0]
            queued = conn.execute("SELECT count(*) FROM processing_queue").fetchone()[0]
        total_files = len(list(export.glob("*/*.json")))
        assert done < total_files or queued > 0, "the kill came too late to test anything"

        report = import_export(stores, export)
        assert report.files_imported == total_files - done
        ids = assert_stores_agree(stores, TEAM_ID)
        with stores.postgres.tenant(TEAM_ID) as conn:
            stored = conn.execute("SELECT count(*) FROM message_metadata").fetchone()[0]
        records = export_records(export)
        assert stored == len(records)
        assert len(ids) == sum(1 for r in records if r.get("subtype") != "channel_join")
