import json
import shutil
import zipfile
from pathlib import Path

import pytest

from db import Stores
from db.counts import collect_status
from ingest.export_archive import ExportError
from ingest.export_import import import_export
from sample.conversations import TEAM_ID
from sample.export import write_sample_export
from tests.conftest import shared_export
from tests.helpers import assert_stores_agree, export_records


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample_export(tmp_path / "sample-export")


def _one(conn, query: str, *params):
    return conn.execute(query, params).fetchone()


def test_sample_export_fills_both_stores(stores: Stores, sample: Path):
    records = export_records(sample)
    report = import_export(stores, sample, workspace_name="acme")

    assert (report.workspace_id, report.files_failed, report.warnings) == (TEAM_ID, 0, [])
    assert report.messages == len(records)
    content_ids = assert_stores_agree(stores, TEAM_ID)
    joins = [r for r in records if r.get("subtype") == "channel_join"]
    assert joins and len(content_ids) == len(records) - len(joins)

    with stores.postgres.tenant(TEAM_ID) as conn:
        assert _one(conn, "SELECT count(*) FROM message_metadata")[0] == len(records)
        expected_reactions = sum(len(x["users"]) for r in records for x in r.get("reactions", []))
        assert _one(conn, "SELECT count(*) FROM reactions")[0] == expected_reactions
        # the deploy how-to thread: parent by alice, replies by bob, alice and dave
        parent = _one(
            conn,
            "SELECT message_id, ts, reply_count FROM message_metadata m JOIN channels c "
            "USING (workspace_id, channel_id) WHERE c.name = 'engineering' "
            "AND m.reply_count = 3 AND m.ts = m.thread_ts AND m.user_id = 'U01ALICE'",
        )
        assert parent is not None
        participants = dict(
            conn.execute(
                "SELECT user_id, message_count FROM thread_participants WHERE thread_ts = %s",
                [parent[1]],
            ).fetchall()
        )
        assert participants == {"U01ALICE": 2, "U02BOB": 1, "U04DAVE": 1}
        link_types = dict(
            conn.execute(
                "SELECT url, link_type FROM links WHERE url LIKE '%%pull/1234' "
                "OR url LIKE '%%atlassian%%' OR url LIKE '%%docs.google%%'"
            ).fetchall()
        )
        assert sorted(link_types.values()) == ["github_pr", "google_doc", "jira"]
        fire = _one(conn, "SELECT count(*) FROM reactions WHERE emoji = 'fire'")[0]
        assert fire == 6

    pr_message = stores.vectors.get(
        TEAM_ID,
        [f"{TEAM_ID}:C02ENG:{r['ts']}" for r in records if "pull/1234|PR 1234" in r["text"]],
    )
    (record,) = pr_message.values()
    assert "PR 1234 (https://github.com/acme/webapp/pull/1234)" in record.document
    assert "<https://github.com/acme/webapp/pull/1234|PR 1234>" in record.metadata["raw_text"]
    docs = [r.document for r in stores.vectors.scan(TEAM_ID)]
    assert any("posts to #deploys when done" in d for d in docs)
    assert any("@dave can you own it?" in d for d in docs)

    status = collect_status(stores).workspaces[0]
    assert (status.messages_postgres, status.messages_chroma) == (len(records), len(content_ids))
    assert (status.users, status.channels, status.outbox_pending) == (9, 6, 0)


def test_timestamps_are_numbers_in_chroma_so_ranges_filter(stores: Stores, sample: Path, embedder):
    import_export(stores, sample)
    cutoff = 1710000000.0  # 2024-03-09
    hits = stores.vectors.query(
        TEAM_ID, embedder.embed(["deploy"])[0], limit=50, where={"timestamp": {"$gte": cutoff}}
    )
    assert hits and all(h.metadata["timestamp"] >= cutoff for h in hits)


def test_rerun_changes_nothing(stores: Stores, sample: Path):
    first = import_export(stores, sample)
    with stores.postgres.tenant(TEAM_ID) as conn:
        before = _one(conn, "SELECT count(*), max(updated_at) FROM message_metadata")
    again = import_export(stores, sample)
    assert (again.files_imported, again.messages, again.vectors.upserted) == (0, 0, 0)
    assert again.files_unchanged == first.files_imported
    with stores.postgres.tenant(TEAM_ID) as conn:
        assert _one(conn, "SELECT count(*), max(updated_at) FROM message_metadata") == before
    assert_stores_agree(stores, TEAM_ID)


def test_an_edited_day_file_reembeds_what_changed_and_its_replies(stores: Stores, sample: Path):
    import_export(stores, sample)
    day_file = sample / "engineering" / "2024-03-04.json"
    records = json.loads(day_file.read_text())
    target = next(r for r in records if r["text"].startswith("How we deploy"))
    target["text"] = "How we deploy now: `make ship` and nothing else."
    day_file.write_text(json.dumps(records))

    report = import_export(stores, sample)
    # the edited message, and its replies: their vectors carry it as context
    replies = [
        r
        for day in (sample / "engineering").glob("*.json")
        for r in json.loads(day.read_text())
        if r.get("thread_ts") == target["ts"] and r["ts"] != target["ts"]
    ]
    assert replies
    assert (report.files_imported, report.vectors.upserted) == (1, 1 + len(replies))
    assert_stores_agree(stores, TEAM_ID)
    (record,) = stores.vectors.get(TEAM_ID, [f"{TEAM_ID}:C02ENG:{target['ts']}"]).values()
    assert record.document == "How we deploy now: `make ship` and nothing else."


def test_malformed_day_file_is_reported_and_stored_data_stays(stores: Stores, sample: Path):
    import_export(stores, sample)
    with stores.postgres.tenant(TEAM_ID) as conn:
        before = _one(conn, "SELECT count(*) FROM message_metadata")[0]
    (sample / "engineering" / "2024-03-04.json").write_text('[{"ts": "1.0", "text": "cut off')

    report = import_export(stores, sample)
    assert report.files_failed == 1
    assert any("engineering/2024-03-04.json: malformed JSON" in w for w in report.warnings)
    with stores.postgres.tenant(TEAM_ID) as conn:
        assert _one(conn, "SELECT count(*) FROM message_metadata")[0] == before
        error = _one(
            conn,
            "SELECT status, error FROM sync_status WHERE scope LIKE 'engineering/2024-03-04%%'",
        )
        assert error[0] == "failed" and "malformed JSON" in error[1]
    assert_stores_agree(stores, TEAM_ID)


def test_unknown_channel_folder_is_a_warning(stores: Stores, sample: Path):
    (sample / "ghost").mkdir()
    (sample / "ghost" / "2024-03-05.json").write_text(
        '[{"ts": "1709630000.000100", "text": "boo"}]'
    )
    report = import_export(stores, sample)
    assert any(w.startswith("ghost/: folder matches no channel") for w in report.warnings)
    assert report.files_failed == 0


def test_things_that_are_not_exports_get_clear_errors(stores: Stores, tmp_path: Path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello")
    with pytest.raises(ExportError, match="not a ZIP file or folder"):
        import_export(stores, text_file)
    empty_zip = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("readme.json", "{}")
    with pytest.raises(ExportError, match="not a Slack export"):
        import_export(stores, empty_zip)
    with pytest.raises(ExportError, match="no such file or folder"):
        import_export(stores, tmp_path / "missing")
    bad_channels = tmp_path / "bad"
    bad_channels.mkdir()
    (bad_channels / "channels.json").write_text("{oops")
    with pytest.raises(ExportError, match="channels.json: malformed JSON"):
        import_export(stores, bad_channels)


def test_real_zip_export(stores: Stores):
    path = shared_export("slack-export-viewer/testarchive.zip")
    with zipfile.ZipFile(path) as z:
        day_files = [n for n in z.namelist() if n.count("/") == 1 and n.endswith(".json")]
        records = sum(len(json.loads(z.read(n))) for n in day_files)
    report = import_export(stores, path)
    assert (report.workspace_id, report.files_failed, report.warnings) == ("T0BMHLSRH", 0, [])
    assert (report.files_imported, report.messages) == (len(day_files), records)
    assert_stores_agree(stores, report.workspace_id)


def test_export_without_users_json_knows_users_by_id(stores: Stores, sample: Path):
    (sample / "users.json").unlink()
    report = import_export(stores, sample, workspace_name="no-users")
    assert any("users.json: not in the export" in w for w in report.warnings)
    assert report.workspace_id.startswith("no-users-")  # no team id: derived from the name
    assert report.messages == len(export_records(sample))
    with stores.postgres.tenant(report.workspace_id) as conn:
        users = dict(conn.execute("SELECT user_id, has_profile FROM users").fetchall())
    assert users and not any(users.values()) and "U01ALICE" in users
    docs = [r.document for r in stores.vectors.scan(report.workspace_id)]
    assert any("@U04DAVE can you own it?" in d for d in docs)
    assert_stores_agree(stores, report.workspace_id)


def test_zipped_folder_export_imports_like_the_folder(stores: Stores, sample: Path, tmp_path: Path):
    archive = Path(shutil.make_archive(str(tmp_path / "acme"), "zip", sample.parent, sample.name))
    report = import_export(stores, archive)
    assert report.messages == len(export_records(sample))
    assert_stores_agree(stores, report.workspace_id)


def test_real_houston_export(stores: Stores):
    report = import_export(stores, shared_export("houston-datavis"))
    assert (report.messages, report.files_failed) == (1382, 0)
    ws = report.workspace_id
    assert ws == "T061A2UFL"
    content_ids = assert_stores_agree(stores, ws)
    with stores.postgres.tenant(ws) as conn:
        assert _one(conn, "SELECT count(*) FROM channels")[0] == 16
        assert _one(conn, "SELECT count(*) FROM users WHERE has_profile")[0] == 71
        kinds = dict(
            conn.execute(
                "SELECT coalesce(subtype, 'plain'), count(*) FROM message_metadata GROUP BY 1"
            ).fetchall()
        )
        embedded_kinds = dict(
            conn.execute(
                "SELECT coalesce(subtype, 'plain'), count(*) FROM message_metadata "
                "WHERE is_content GROUP BY 1"
            ).fetchall()
        )
        with_reactions = _one(
            conn, "SELECT count(*) FROM message_metadata WHERE reaction_count > 0"
        )[0]
    assert (kinds["plain"], kinds["channel_join"], kinds["file_share"]) == (964, 320, 61)
    assert "channel_join" not in embedded_kinds and "channel_purpose" not in embedded_kinds
    assert (
        embedded_kinds["file_share"] == 61
        and embedded_kinds["file_comment"] == kinds["file_comment"]
    )
    assert with_reactions == 89
    assert len(content_ids) == sum(embedded_kinds.values())
