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
    # a WITH name is judged by its body, not by the name it gives itself
    "WITH pg_roles AS (SELECT * FROM pg_roles) SELECT rolname FROM pg_roles": "pg_roles",
    "WITH users AS (SELECT * FROM pg_stat_activity) SELECT * FROM users": "pg_stat_activity",
    "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM pg_class) SELECT * FROM a": "not available",
    "WITH x AS (SELECT 1) SELECT * FROM (WITH y AS (SELECT * FROM x) SELECT * FROM pg_user) q": (
        "pg_user"
    ),
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT * FROM n": (
        None
    ),
    "WITH c AS (SELECT channel_id FROM channels) SELECT count(*) FROM c": None,
    # the parser recurses in C: text like this once overflowed its stack and killed the server
    "SELECT " + "+".join(["1"] * 30_000): "characters",
    "SELECT " + "(" * 200 + "1" + ")" * 200: "brackets deep",
    "SELECT ARRAY" + "[" * 100 + "1" + "]" * 100: "brackets deep",
}


@pytest.mark.parametrize("sql", sorted(HOSTILE), ids=lambda sql: sql[:60])
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


def test_a_value_over_the_cap_is_refused_before_it_is_sent(tools: WorkspaceTools):
    # 100 times the cap, yet small enough that the server builds it well inside the timeout on
    # a loaded machine (a 300 MB value once hit the 2 s timeout in CI instead of the cap)
    frugal = WorkspaceTools(tools.stores, tools.workspace_id, result_bytes=10_000)
    with pytest.raises(ToolInputError, match="over 10,000 bytes"):
        frugal.sql_metadata_query(SqlArgs(sql="SELECT format('%1000000s', 'x')"))


def test_rows_stop_at_the_byte_cap_and_say_so(tools: WorkspaceTools):
    frugal = WorkspaceTools(tools.stores, tools.workspace_id, result_bytes=10_000)
    result = frugal.sql_metadata_query(
        SqlArgs(sql="SELECT i, format('%1000s', 'x') AS pad FROM generate_series(1, 1000) AS i")
    )
    assert result.truncated
    assert [row[0] for row in result.rows] == list(range(1, len(result.rows) + 1))
    assert 5 <= len(result.rows) <= 10
    assert all(len(row[1]) == 1000 for row in result.rows)


def test_the_wrapper_keeps_what_the_query_said(tools: WorkspaceTools):
    """Duplicate column names, ORDER BY, '%', params and a trailing comment survive the caps."""
    result = tools.sql_metadata_query(
        SqlArgs(
            sql="SELECT i, i * 2, '100%' AS pct, $1::text AS p FROM generate_series(1, 3) AS i "
            "ORDER BY i DESC; -- newest first",
            params=["given"],
        )
    )
    assert result.columns == ["i", "?column?", "pct", "p"]
    assert result.rows == [
        [3, 6, "100%", "given"],
        [2, 4, "100%", "given"],
        [1, 2, "100%", "given"],
    ]
    assert not result.truncated
    assert tools.sql_metadata_query(SqlArgs(sql="SELECT FROM channels LIMIT 2")).rows == [[], []]


def test_the_reader_role_cannot_read_catalogs_of_roles_sessions_or_statistics(
    tools: WorkspaceTools,
):
    for view in (
        "pg_roles",
        "pg_user",
        "pg_stat_activity",
        "pg_stat_user_tables",
        "pg_class",
        "pg_policies",
        "pg_stats",
        "pg_settings",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with tools.stores.postgres.reader(tools.workspace_id, 2000) as conn:
                conn.execute(f"SELECT * FROM pg_catalog.{view} LIMIT 1")


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
