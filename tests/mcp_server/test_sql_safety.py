"""Hostile SQL for sql_metadata_query: refused by the parser, and harmless even past it."""

import psycopg
import pytest

from db import Stores
from mcp_server.contracts import SqlArgs
from mcp_server.errors import ToolInputError
from mcp_server.safe_sql import UnsafeSqlError, check_select
from mcp_server.tools import WorkspaceTools

HOSTILE = {
    "DROP TABLE users": "only SELECT",
    "CREATE TABLE x (a int)": "only SELECT",
    "DELETE FROM message_metadata": "only SELECT",
    "UPDATE users SET name = 'x'": "only SELECT",
    "INSERT INTO users (workspace_id, user_id) VALUES ('T', 'U')": "only SELECT",
    "SELECT 1; DELETE FROM users": "exactly one statement",
    "SELECT pg_sleep(10)": "pg_sleep",
    "SET ROLE postgres": "only SELECT",
    "SELECT set_config('app.current_workspace', 'TOTHER', false)": "set_config",
    "SET app.current_workspace = 'TOTHER'": "only SELECT",
    "RESET app.current_workspace": "only SELECT",
    "SELECT * FROM installations": "installations",
    "SELECT bot_token_encrypted FROM installations i JOIN users u USING (workspace_id)": "installations",
    "SELECT payload FROM processing_queue": "processing_queue",
    "SELECT terms FROM message_terms": "message_terms",
    "SELECT pg_read_file('/etc/passwd')": "pg_read_file",
    "SELECT * FROM pg_read_binary_file('/etc/passwd')": "pg_read_binary_file",
    "COPY users TO PROGRAM 'id'": "only SELECT",
    "WITH gone AS (DELETE FROM users RETURNING *) SELECT * FROM gone": "data-modifying",
    "SELECT * INTO stolen FROM users": "INTO",
    "SELECT * FROM users FOR UPDATE": "FOR UPDATE",
    "SELECT * FROM pg_catalog.pg_authid": "pg_authid",
    "SELECT current_setting('app.current_workspace')": "current_setting",
    "SELECT/**/pg_sleep(1)": "pg_sleep",
    'SELECT "PG_SLEEP"(1)': "PG_SLEEP",
    "SELECT pg_catalog.pg_sleep(1)": "pg_sleep",
    "SELECT * FROM users u, LATERAL (SELECT pg_sleep(5)) s": "pg_sleep",
    "SELECT lo_import('/etc/passwd')": "lo_import",
    "EXPLAIN ANALYZE DELETE FROM users": "only SELECT",
    "SELECT 'x' FROM users; COMMIT; DROP TABLE users": "exactly one statement",
    "SELECT $$; DROP TABLE users; $$": None,  # a dollar-quoted string: one harmless SELECT
    "SELECT 1 -- ; DROP TABLE users": None,  # a comment: one harmless SELECT
    "SELEC * FROM users": "does not parse",
}


@pytest.mark.parametrize("sql", sorted(HOSTILE))
def test_parser_refuses_or_passes_only_harmless_text(sql: str):
    expected = HOSTILE[sql]
    if expected is None:
        check_select(sql)
    else:
        with pytest.raises(UnsafeSqlError, match=expected):
            check_select(sql)


def _fingerprint(stores: Stores, workspace_id: str):
    with stores.postgres.operator() as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM message_metadata), "
            "(SELECT count(*) FROM pg_tables WHERE schemaname = 'public')"
        ).fetchone()


def test_every_hostile_query_is_a_tool_error_and_nothing_changes(tools: WorkspaceTools):
    before = _fingerprint(tools.stores, tools.workspace_id)
    for sql, expected in HOSTILE.items():
        if expected is None:
            tools.sql_metadata_query(SqlArgs(sql=sql))
            continue
        with pytest.raises(ToolInputError):
            tools.sql_metadata_query(SqlArgs(sql=sql))
    assert _fingerprint(tools.stores, tools.workspace_id) == before


def test_huge_cross_join_is_stopped_by_the_timeout(tools: WorkspaceTools):
    impatient = WorkspaceTools(tools.stores, tools.workspace_id, sql_timeout_ms=300)
    with pytest.raises(ToolInputError, match="longer than 300 ms"):
        impatient.sql_metadata_query(
            SqlArgs(
                sql="SELECT count(*) FROM message_metadata a, message_metadata b, "
                "message_metadata c, message_metadata d"
            )
        )


def test_the_reader_role_is_harmless_even_without_the_parser(tools: WorkspaceTools):
    """Defence in depth: if a query slipped past check_select, the database still refuses."""
    postgres = tools.stores.postgres
    for statement in (
        "DELETE FROM users",
        "SELECT * FROM installations",
        "SELECT payload FROM processing_queue",
        "SELECT terms FROM message_terms",
        "CREATE TABLE stolen AS SELECT * FROM users",
    ):
        with pytest.raises(
            (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)
        ):
            with postgres.reader(tools.workspace_id, 2000) as conn:
                conn.execute(statement)
    with postgres.reader(tools.workspace_id, 2000) as conn:
        settings = (
            "SELECT current_setting('transaction_read_only'), current_setting('statement_timeout')"
        )
        assert conn.execute(settings).fetchone() == ("on", "2s")
    with postgres.reader("TSOMEONE_ELSE", 2000) as conn:
        assert conn.execute("SELECT count(*) FROM message_metadata").fetchone()[0] == 0
    with postgres.reader(tools.workspace_id, 2000) as conn:
        assert (
            conn.execute("SELECT count(DISTINCT workspace_id) FROM message_metadata").fetchone()[0]
            == 1
        )
