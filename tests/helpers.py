"""Assertions shared by the ingest tests: the two stores agree, exactly."""

import json
from datetime import UTC, datetime
from pathlib import Path

from db import StoreConfig, Stores
from db.channels import upsert_channels
from db.models import Channel, Message, Reaction, User, Workspace, message_of, passage_ids
from db.people import upsert_users
from db.workspaces import upsert_workspace
from ingest.passages import passage_count
from ingest.vector_sync import drain
from ingest.writer import write_messages


def assert_stores_agree(stores: Stores, workspace_id: str) -> set[str]:
    """Chroma holds exactly the content messages of PostgreSQL (and the passages of the long
    ones), at the hash PostgreSQL expects."""
    with stores.postgres.tenant(workspace_id) as conn:
        expected = dict(
            conn.execute(
                "SELECT message_id, content_hash FROM message_metadata WHERE is_content"
            ).fetchall()
        )
        stale = conn.execute(
            "SELECT count(*) FROM message_metadata WHERE indexed_hash IS DISTINCT FROM content_hash"
        ).fetchone()[0]
        queued = conn.execute("SELECT count(*) FROM processing_queue").fetchone()[0]
    records = list(stores.vectors.scan(workspace_id))
    assert len(records) == len({r.id for r in records})
    messages = {r.id: r for r in records if message_of(r.id) == r.id}
    assert set(messages) == set(expected)
    passages = {p for m, r in messages.items() for p in passage_ids(m, passage_count(r.document))}
    assert {r.id for r in records} - set(messages) == passages  # each long message's, no more
    assert (stale, queued) == (0, 0)
    return set(expected)


def export_records(export: Path) -> list[dict]:
    """Every message record in an export folder, read straight from its JSON."""
    return [
        record
        for day_file in sorted(export.glob("*/*.json"))
        for record in json.loads(day_file.read_text())
    ]


def cli_env(config: StoreConfig) -> dict[str, str]:
    """Environment that points the `slack-helper` CLI at the stores of `config`."""
    env = {
        "SLACK_HELPER_DATA_DIR": str(config.data_dir),
        "SLACK_HELPER_APP_ROLE": config.app_role,
        "SLACK_HELPER_CHROMA_DATABASE": config.chroma_database,
    }
    if config.database_url:
        env["SLACK_HELPER_DATABASE_URL"] = config.database_url
    if config.chroma_url:
        env["SLACK_HELPER_CHROMA_URL"] = config.chroma_url
    return env


def seed_workspace(
    stores: Stores, workspace_id: str, text: str, channel_id: str = "C1", channel: str = "general"
) -> None:
    """A tiny workspace in both stores: one user, one channel, one message with a reaction."""
    with stores.postgres.tenant(workspace_id) as conn:
        upsert_workspace(conn, Workspace(workspace_id=workspace_id, name=f"name-{workspace_id}"))
        upsert_users(conn, workspace_id, [User(user_id="U1", name=f"user-{workspace_id}")])
        upsert_channels(conn, workspace_id, [Channel(channel_id=channel_id, name=channel)])
        message = Message(
            workspace_id=workspace_id,
            channel_id=channel_id,
            ts="1700000000.000100",
            user_id="U1",
            created_at=datetime(2023, 11, 14, tzinfo=UTC),
            message_type="message",
            is_content=True,
            raw_text=text,
            text=text,
            reactions=[Reaction(emoji="tada", user_ids=["U1"])],
        )
        write_messages(conn, [message])
    drain(stores, workspace_id)


def numbered_messages(workspace_id: str, count: int, text: str) -> list[Message]:
    """`count` content messages in channel C1, text `text.format(i=i)`, nothing else set."""
    return [
        Message(
            workspace_id=workspace_id,
            channel_id="C1",
            ts=f"1700000000.{i:06d}",
            user_id="U1",
            created_at=datetime(2023, 11, 14, tzinfo=UTC),
            message_type="message",
            is_content=True,
            raw_text=text.format(i=i),
            text=text.format(i=i),
        )
        for i in range(count)
    ]


def empty_workspace(stores: Stores, workspace_id: str) -> None:
    """A workspace with one channel, C1, and nothing in it."""
    with stores.postgres.tenant(workspace_id) as conn:
        upsert_workspace(conn, Workspace(workspace_id=workspace_id, name=workspace_id))
        upsert_channels(conn, workspace_id, [Channel(channel_id="C1", name="general")])
