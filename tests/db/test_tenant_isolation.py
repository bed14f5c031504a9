"""An attacker's view: bound to workspace A, nothing of workspace B is visible or writable."""

from datetime import UTC, datetime

import psycopg
import pytest

from db import Stores
from db.models import ChannelEvent, Message
from ingest.writer import write_messages
from tests.db.test_migrations import TENANT_TABLES
from tests.helpers import seed_workspace


def _seed(stores: Stores, ws: str, text: str) -> None:
    seed_workspace(stores, ws, text)
    rename = Message(
        workspace_id=ws,
        channel_id="C1",
        ts="1700000001.000100",
        user_id="U1",
        created_at=datetime(2023, 11, 15, tzinfo=UTC),
        subtype="channel_name",
        message_type="channel_name",
        is_content=False,
        event=ChannelEvent(kind="renamed", old_value=f"old-{ws}", new_value="general"),
    )
    with stores.postgres.tenant(ws) as conn:
        write_messages(conn, [rename])
        conn.execute(
            "INSERT INTO installations (workspace_id, installation_id, bot_token_encrypted) "
            "VALUES (%s, 'i1', %s)",
            [ws, f"xoxb-secret-{ws}"],
        )


@pytest.fixture
def two_tenants(stores: Stores) -> Stores:
    _seed(stores, "TAAAA", "alpha launch plan")
    _seed(stores, "TBBBB", "bravo secret acquisition")
    return stores


def test_every_table_shows_only_the_bound_workspace(two_tenants: Stores):
    with two_tenants.postgres.tenant("TAAAA") as conn:
        for table in TENANT_TABLES:
            seen = {r[0] for r in conn.execute(f"SELECT DISTINCT workspace_id FROM {table}")}
            assert seen <= {"TAAAA"}, table
            leaked = conn.execute(
                f"SELECT count(*) FROM {table} WHERE workspace_id = 'TBBBB'"
            ).fetchone()[0]
            assert leaked == 0, table
        # joins, aggregates and subqueries cannot reach B either
        assert (
            conn.execute(
                "SELECT count(*) FROM message_metadata m JOIN reactions r USING (workspace_id, message_id)"
            ).fetchone()[0]
            == 1
        )
        assert conn.execute("SELECT array_agg(bot_token_encrypted) FROM installations").fetchone()[
            0
        ] == ["xoxb-secret-TAAAA"]


def test_no_workspace_bound_sees_nothing(two_tenants: Stores):
    with two_tenants.postgres.pool.connection() as conn:
        for table in TENANT_TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


def test_writes_into_another_workspace_are_refused_or_touch_nothing(two_tenants: Stores):
    with two_tenants.postgres.tenant("TAAAA") as conn:
        assert (
            conn.execute("UPDATE users SET name = 'pwned' WHERE workspace_id = 'TBBBB'").rowcount
            == 0
        )
        assert (
            conn.execute("DELETE FROM message_metadata WHERE workspace_id = 'TBBBB'").rowcount == 0
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO users (workspace_id, user_id) VALUES ('TBBBB', 'UEVIL')")
    with two_tenants.postgres.tenant("TAAAA") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "UPDATE users SET workspace_id = 'TBBBB'"
            )  # moving rows out is refused too
    with two_tenants.postgres.tenant("TBBBB") as conn:
        assert conn.execute("SELECT name FROM users").fetchall() == [("user-TBBBB",)]


def test_the_app_role_cannot_escalate(two_tenants: Stores):
    with two_tenants.postgres.tenant("TAAAA") as conn:
        for attempt in (
            "SET ROLE postgres",
            "ALTER TABLE users DISABLE ROW LEVEL SECURITY",
            "DROP POLICY workspace_isolation ON users",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(attempt)
            conn.rollback()


def test_chroma_collections_never_mix(two_tenants: Stores, embedder):
    vectors = two_tenants.vectors
    assert vectors.collection("TAAAA").name == "workspace_TAAAA_messages"
    query = embedder.embed(["bravo secret acquisition"])[0]
    hits = vectors.query("TAAAA", query, limit=10)
    assert [h.document for h in hits] == ["alpha launch plan"]
    assert {h.metadata["workspace_id"] for h in hits} == {"TAAAA"}


def test_the_search_view_shows_the_bound_workspace_only_and_cannot_write(two_tenants: Stores):
    with two_tenants.postgres.tenant("TAAAA") as conn:
        seen = {r[0] for r in conn.execute("SELECT workspace_id FROM workspace_terms")}
        assert seen == {"TAAAA"}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO workspace_terms VALUES ('TBBBB', 'TBBBB:C1:1.0', 'x')")
    with two_tenants.postgres.pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM workspace_terms").fetchone()[0] == 0


def test_channel_history_tools_see_only_their_workspace(two_tenants: Stores):
    from mcp_server.contracts import ChannelEventsArgs, CountArgs
    from mcp_server.tools import WorkspaceTools

    tools = WorkspaceTools(two_tenants, "TAAAA")
    events = tools.channel_events(ChannelEventsArgs()).events
    assert [e.old_value for e in events] == ["old-TAAAA"]
    assert tools.message_counts(CountArgs()).total == 1
    with two_tenants.postgres.tenant("TAAAA") as conn:
        moved = conn.execute(
            "UPDATE channel_events SET old_value = 'x' WHERE workspace_id = 'TBBBB'"
        ).rowcount
    assert moved == 0
