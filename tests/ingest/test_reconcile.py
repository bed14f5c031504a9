"""Reconcile finds drift between the stores by id and hash, and repairs it in either direction."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np

from db import StoreConfig, Stores
from db.vectors import to_index
from ingest.backfill import backfill
from ingest.export_import import import_export
from ingest.reconcile import reconcile
from ingest.slack_api import SlackApi
from mcp_server.contracts import SearchArgs
from mcp_server.search import ranked_ids
from sample.conversations import TEAM_ID
from sample.export import write_sample_export
from tests.fakes.slack_server import fake_slack
from tests.helpers import assert_stores_agree, cli_env, seed_workspace
from tests.ingest.test_backfill import NOW, make_workspace


def test_drift_is_found_then_repaired_from_the_export(stores: Stores, tmp_path: Path):
    export = write_sample_export(tmp_path / "export", messages=300)
    import_export(stores, export)
    assert reconcile(stores, TEAM_ID, dry_run=True).in_sync

    collection = stores.vectors.collection(TEAM_ID)
    ids = sorted(r.id for r in stores.vectors.scan(TEAM_ID))
    lost, rewritten, relabelled = ids[:3], ids[3:5], ids[5:7]
    originals = stores.vectors.get(TEAM_ID, rewritten)
    collection.delete(ids=lost)
    tampered = ["tampered text", "more tampered text"]
    tampered_vectors = to_index(collection, stores.embedder.embed(tampered))  # as Chroma holds them
    collection.update(ids=rewritten, documents=tampered, embeddings=tampered_vectors)
    relabel = stores.vectors.get(TEAM_ID, relabelled)
    collection.update(
        ids=relabelled,
        metadatas=[{**relabel[i].metadata, "user_id": "UFORGED"} for i in relabelled],
    )
    collection.add(
        ids=[f"{TEAM_ID}:C01GENERAL:1.000000"],
        documents=["orphan"],
        embeddings=to_index(collection, np.ones((1, 384)) / 384**0.5),
    )

    found = reconcile(stores, TEAM_ID, dry_run=True)
    assert (found.missing, sorted(found.stale), found.orphaned) == (
        lost,
        sorted(rewritten + relabelled),
        [f"{TEAM_ID}:C01GENERAL:1.000000"],
    )
    assert reconcile(stores, TEAM_ID, dry_run=True).stale == found.stale  # dry run changed nothing

    repaired = reconcile(stores, TEAM_ID)
    assert repaired.rebuilt == 2  # metadata drift fixed in place, from PostgreSQL
    assert repaired.need_source == sorted(lost + rewritten)
    assert repaired.cleared_checkpoints  # the day files holding them will be read again
    after = reconcile(stores, TEAM_ID, dry_run=True)
    assert (after.orphaned, after.stale, sorted(after.missing)) == (
        [],
        [],
        sorted(lost + rewritten),
    )

    import_export(stores, export)  # restores exactly the texts that were lost or rewritten
    assert reconcile(stores, TEAM_ID, dry_run=True).in_sync
    assert_stores_agree(stores, TEAM_ID)
    restored = stores.vectors.get(TEAM_ID, rewritten)
    assert {i: r.document for i, r in restored.items()} == {
        i: r.document for i, r in originals.items()
    }


def test_lost_thread_replies_come_back_from_slack(stores: Stores):
    w = make_workspace()
    with fake_slack(w) as (url, _):
        api = SlackApi(w.token, url)
        backfill(stores, api, now=NOW)
        replies = [
            f"{w.team_id}:C2:{r['ts']}" for r in w.replies[("C2", w.messages["C2"][2]["ts"])][:2]
        ]
        stores.vectors.collection(w.team_id).delete(ids=replies)

        repaired = reconcile(stores, w.team_id)
        assert repaired.need_source == sorted(replies)
        assert "api:C2" in repaired.cleared_checkpoints
        backfill(stores, api, now=NOW, thread_lookback=timedelta(0))

    assert reconcile(stores, w.team_id, dry_run=True).in_sync
    assert_stores_agree(stores, w.team_id)


def test_messages_stored_before_the_keyword_index_are_indexed_from_chroma(
    stores: Stores, tmp_path: Path
):
    import_export(stores, write_sample_export(tmp_path / "export", messages=120))
    args = SearchArgs(query="WEB-311")
    found = ranked_ids(stores, TEAM_ID, args, "keyword")
    assert found
    with stores.postgres.tenant(TEAM_ID) as conn:  # as a database upgraded from before 0006
        conn.execute("DELETE FROM message_terms")
    assert ranked_ids(stores, TEAM_ID, args, "keyword") == []

    report = reconcile(stores, TEAM_ID, dry_run=True)
    assert not report.in_sync and len(report.unsearchable) == report.postgres
    reconcile(stores, TEAM_ID)
    assert ranked_ids(stores, TEAM_ID, args, "keyword") == found
    assert reconcile(stores, TEAM_ID, dry_run=True).in_sync


def test_reconcile_backfill_restores_the_workspace_it_was_asked_for(
    stores: Stores, store_config: StoreConfig
):
    """`reconcile --backfill --workspace W` reads W's lost texts from Slack; a token of another
    workspace is refused before anything is written, and W is left as it was."""
    w = make_workspace()
    other = "TOTHER01"
    seed_workspace(stores, other, "Our own secret deploy notes", "CSECRET", "secret")
    with fake_slack(w) as (url, _):
        backfill(stores, SlackApi(w.token, url), now=NOW)
        lost = sorted(r.id for r in stores.vectors.scan(w.team_id))[:4]
        stores.vectors.collection(w.team_id).delete(ids=lost)
        theirs = [r.id for r in stores.vectors.scan(other)]
        stores.vectors.collection(other).delete(ids=theirs)
        env = {
            **os.environ,
            **cli_env(store_config),
            "SLACK_HELPER_SLACK_BOT_TOKEN": w.token,
            "SLACK_HELPER_SLACK_API_URL": url,
        }

        def reconcile_cli(workspace: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "slack_helper",
                    "reconcile",
                    "--workspace",
                    workspace,
                    "--backfill",
                    "--json",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )

        refused = reconcile_cli(other)
        restored = reconcile_cli(w.team_id)

    assert refused.returncode == 1
    assert f"belongs to workspace {w.team_id}" in refused.stderr
    assert restored.returncode == 0, restored.stderr
    report = json.loads(restored.stdout)
    assert report["workspace_id"] == w.team_id and report["missing"] == lost
    assert report["after"]["missing"] == [] and report["after"]["stale"] == []
    assert_stores_agree(stores, w.team_id)
    assert set(lost) <= {r.id for r in stores.vectors.scan(w.team_id)}
