import psycopg
import pytest

from db import Stores
from db.migrate import available_migrations, upgrade

TENANT_TABLES = {
    "workspaces",
    "users",
    "channels",
    "message_metadata",
    "message_terms",
    "reactions",
    "links",
    "files",
    "bookmarks",
    "thread_participants",
    "channel_events",
    "sync_status",
    "processing_queue",
    "bot_config",
    "installations",
    "mcp_tokens",
    "processed_events",
    "bot_answers",
    "bot_feedback",
}


def test_blank_database_gets_every_migration_once(stores: Stores):
    with stores.postgres.operator() as conn:
        applied = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
        assert applied == [version for version, _ in available_migrations()]
        assert upgrade(conn) == []  # a second upgrade has nothing to do


def test_every_tenant_table_has_workspace_id_and_forced_rls(stores: Stores):
    with stores.postgres.operator() as conn:
        rows = conn.execute(
            """SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                      EXISTS (SELECT 1 FROM information_schema.columns i
                              WHERE i.table_name = c.relname AND i.column_name = 'workspace_id'),
                      (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid
                         AND p.polname = 'workspace_isolation')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'schema_migrations'"""
        ).fetchall()
    assert {r[0] for r in rows} == TENANT_TABLES
    for name, enabled, forced, has_workspace_id, policies in rows:
        assert (enabled, forced, has_workspace_id, policies) == (True, True, True, 1), name


def test_app_role_cannot_bypass_rls_and_owns_nothing(stores: Stores):
    with stores.postgres.pool.connection() as conn:
        role = conn.execute(
            "SELECT rolsuper, rolbypassrls, current_user FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        assert role[:2] == (False, False)
        owned = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        ).fetchone()[0]
        assert owned == 0


def test_indexes_for_the_seed_query_patterns(stores: Stores):
    with stores.postgres.operator() as conn:
        indexes = {
            r[0]: r[1]
            for r in conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            )
        }
    assert "(workspace_id, channel_id, created_at)" in indexes["message_channel_time_idx"]
    assert "(workspace_id, user_id, created_at)" in indexes["message_user_time_idx"]
    assert "thread_ts" in indexes["message_thread_idx"]
    assert "(workspace_id, link_type, created_at)" in indexes["links_type_time_idx"]


def test_app_role_cannot_touch_the_migration_ledger(stores: Stores):
    with stores.postgres.pool.connection() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM schema_migrations")
        conn.rollback()
