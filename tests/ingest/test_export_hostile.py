"""Exports built to hurt: each is refused with a clear error or reported and skipped, and
what was stored before stays as it was."""

import json
import zipfile
from pathlib import Path

import pytest

from db import Stores
from ingest.export_archive import ExportError
from ingest.export_import import import_export
from sample.conversations import TEAM_ID
from sample.export import write_sample_export
from tests.helpers import assert_stores_agree

DAY = "general/2024-03-05.json"


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample_export(tmp_path / "sample-export")


def _messages(stores: Stores, workspace_id: str = TEAM_ID) -> dict[str, str]:
    return {r.id: r.document for r in stores.vectors.scan(workspace_id)}


def _workspace_name(stores: Stores) -> str:
    with stores.postgres.tenant(TEAM_ID) as conn:
        return conn.execute("SELECT name FROM workspaces").fetchone()[0]


def test_an_export_naming_a_stored_team_under_another_name_is_refused(
    stores: Stores, sample: Path, tmp_path: Path
):
    import_export(stores, sample, workspace_name="acme")
    texts = _messages(stores)
    impostor = write_sample_export(tmp_path / "impostor")
    day = impostor / DAY
    day.write_text(day.read_text().replace("Welcome", "Overwritten"))

    with pytest.raises(ExportError, match=f"already stored as 'acme'.*--into {TEAM_ID}"):
        import_export(stores, impostor)
    with pytest.raises(ExportError, match="not TSOMEONE"):
        import_export(stores, impostor, into="TSOMEONE")
    assert _workspace_name(stores) == "acme" and _messages(stores) == texts

    import_export(stores, impostor, into=TEAM_ID)  # asked for explicitly
    assert _workspace_name(stores) == "impostor"


def test_bad_day_files_and_messages_are_skipped_and_the_rest_imported(stores: Stores, sample: Path):
    general = sample / "general"
    (general / "2024-01-01.json").write_text("[" * 200_000 + "]" * 200_000)
    (general / "2024-01-02.json").write_text(
        json.dumps(
            [
                {"type": "message", "ts": "abc", "user": "U01ALICE", "text": "bad ts"},
                {"type": "message", "ts": "1704153600.000100", "user": "U01ALICE", "text": "v1"},
                {"type": "message", "ts": "1704153600.000100", "user": "U01ALICE", "text": "v2"},
                {"type": "message", "ts": "1704153600.000200", "user": 7, "text": "no"},
                {"type": "message", "ts": "1704153600.000300", "text": "nul\u0000 here"},
                {"type": "message", "ts": "1704153600.000400", "text": "lone \ud800 surrogate"},
            ]
        )
    )
    users = json.loads((sample / "users.json").read_text())
    users[0]["real_name"] = "Alice\u0000 Nul"
    (sample / "users.json").write_text(json.dumps(users))

    report = import_export(stores, sample)

    assert report.files_failed == 1
    warnings = "\n".join(report.warnings)
    assert "general/2024-01-01.json: JSON nested too deeply" in warnings
    assert (
        "general/2024-01-02.json: message 0 skipped: ts 'abc' is not a Slack timestamp" in warnings
    )
    assert "ts 1704153600.000100 appears twice; kept the last copy" in warnings
    assert "general/2024-01-02.json: message 3 skipped" in warnings
    texts = _messages(stores)
    assert texts[f"{TEAM_ID}:C01GENERAL:1704153600.000100"] == "v2"
    assert texts[f"{TEAM_ID}:C01GENERAL:1704153600.000300"] == "nul here"
    assert texts[f"{TEAM_ID}:C01GENERAL:1704153600.000400"] == "lone ? surrogate"
    with stores.postgres.tenant(TEAM_ID) as conn:
        assert conn.execute(
            "SELECT real_name FROM users WHERE user_id = 'U01ALICE'"
        ).fetchone() == ("Alice Nul",)
    assert_stores_agree(stores, TEAM_ID)
    again = import_export(stores, sample)
    assert (again.files_imported, again.files_failed, again.messages) == (0, 1, 0)


def test_a_team_id_that_is_not_a_slack_id_is_refused(stores: Stores, sample: Path):
    users = json.loads((sample / "users.json").read_text())
    for user in users:
        user["team_id"] = "../../evil'team"
    (sample / "users.json").write_text(json.dumps(users))
    with pytest.raises(ExportError, match="is not a Slack team id"):
        import_export(stores, sample)
    with stores.postgres.operator() as conn:
        assert conn.execute("SELECT count(*) FROM workspaces").fetchone() == (0,)


def test_two_channels_with_one_name_are_not_merged(stores: Stores, sample: Path):
    channels = json.loads((sample / "channels.json").read_text())
    twin = {**channels[0], "id": "C09TWIN"}
    (sample / "channels.json").write_text(json.dumps([*channels, twin]))
    report = import_export(stores, sample)
    assert any("C01GENERAL and C09TWIN are both named 'general'" in w for w in report.warnings)
    with stores.postgres.tenant(TEAM_ID) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM message_metadata WHERE channel_id IN ('C01GENERAL', 'C09TWIN')"
        ).fetchone()
    assert rows == (0,)


def test_a_folder_export_does_not_follow_links_out_of_it(
    stores: Stores, sample: Path, tmp_path: Path
):
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps([{"ts": "1709900000.000100", "text": "from outside"}]))
    (sample / "general" / "2024-03-20.json").symlink_to(outside)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "2024-03-21.json").write_text(outside.read_text())
    (sample / "random" / "linked").symlink_to(elsewhere, target_is_directory=True)
    import_export(stores, sample)
    assert "from outside" not in _messages(stores).values()


def _zip_export(folder: Path, target: Path, extra: dict[str, int]) -> Path:
    """The folder zipped, plus members of `extra` that expand to that many zero bytes."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*.json")):
            archive.write(file, file.relative_to(folder).as_posix())
        for name, size in extra.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for _ in range(size >> 20):
                    member.write(bytes(1 << 20))
    return target


def test_a_zip_member_that_expands_past_the_cap_is_refused_unread(
    stores: Stores, sample: Path, tmp_path: Path
):
    bomb = _zip_export(sample, tmp_path / "bomb.zip", {"general/2024-01-01.json": 64 << 20})
    assert bomb.stat().st_size < 1 << 20
    report = import_export(stores, bomb, max_file_bytes=8 << 20)
    assert report.files_failed == 1
    assert any("2024-01-01.json: larger than 8 MiB" in w for w in report.warnings)
    assert report.messages > 0

    (sample / "users.json").unlink()
    bomb_users = _zip_export(sample, tmp_path / "users.zip", {"users.json": 64 << 20})
    with pytest.raises(ExportError, match="users.json: larger than 8 MiB"):
        import_export(stores, bomb_users, max_file_bytes=8 << 20)
