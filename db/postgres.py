"""PostgreSQL connections: the operator's for schema work, a pooled tenant role for the rest."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool

from db.errors import StoreError
from db.migrate import ensure_app_roles, reader_role, upgrade

EMBEDDED_DATABASE = "slack_helper"


class Postgres:
    """Three doors into one database.

    `operator()` connects as the role that owns the schema: migrations and cross-workspace
    status. `tenant(workspace_id)` lends a pooled connection of the application role with
    `app.current_workspace` set for one transaction, so row-level security scopes every
    statement in it to that workspace. `reader(workspace_id)` does the same for the read-only
    role that runs user-written SQL, in a READ ONLY transaction with a statement timeout.
    """

    def __init__(
        self, operator_dsn: str, app_dsn: str, reader_dsn: str, *, pool_size: int = 6, server=None
    ):
        self.operator_dsn = operator_dsn
        self._server = server  # keeps an embedded server alive as long as we are
        self.pool = ConnectionPool(
            app_dsn, min_size=1, max_size=pool_size, open=True, name="slack-helper-app"
        )
        self.reader_pool = ConnectionPool(
            reader_dsn, min_size=0, max_size=pool_size, open=True, name="slack-helper-reader"
        )
        # pooled too: the MCP server looks up a bearer token on every request
        self.operator_pool = ConnectionPool(
            operator_dsn, min_size=0, max_size=2, open=True, name="slack-helper-operator"
        )

    @contextmanager
    def operator(self) -> Iterator[psycopg.Connection]:
        """A connection as the schema owner (autocommit off; commit on clean exit)."""
        with self.operator_pool.connection() as conn:
            yield conn

    @contextmanager
    def tenant(self, workspace_id: str) -> Iterator[psycopg.Connection]:
        """One transaction as the application role, scoped to `workspace_id`."""
        with self.pool.connection() as conn:
            bind_workspace(conn, workspace_id)
            yield conn

    @contextmanager
    def reader(self, workspace_id: str, timeout_ms: int) -> Iterator[psycopg.Connection]:
        """One READ ONLY transaction as the reader role, scoped and time-limited."""
        with self.reader_pool.connection() as conn:
            # one round trip for all (each is a p95 millisecond of a metadata query); work_mem
            # bounds what one sort or hash of a user's query may hold before spilling to disk
            conn.execute(
                "SELECT set_config('transaction_read_only', 'on', true), "
                "set_config('statement_timeout', %s, true), "
                "set_config('work_mem', '8MB', true), "
                "set_config('app.current_workspace', %s, true)",
                [str(timeout_ms), workspace_id],
            )
            yield conn
            conn.rollback()  # nothing to keep, by construction

    def close(self) -> None:
        """Close the pools; an embedded server stops when the last process using it exits."""
        self.reader_pool.close()
        self.operator_pool.close()
        self.pool.close()


def bind_workspace(conn: psycopg.Connection, workspace_id: str) -> None:
    """Scope the current transaction of `conn` to one workspace (transaction-local)."""
    conn.execute("SELECT set_config('app.current_workspace', %s, true)", [workspace_id])


def open_postgres(
    database_url: str | None,
    data_dir: Path,
    app_role: str,
    app_role_password: str | None = None,
    pool_size: int = 6,
) -> Postgres:
    """Open the configured server, or an embedded one under `data_dir`; migrate it."""
    server = None
    if database_url is None:
        operator_dsn, server = _start_embedded(data_dir)
    else:
        operator_dsn = database_url
    try:
        with psycopg.connect(operator_dsn) as conn:
            upgrade(conn)
            ensure_app_roles(conn, app_role, app_role_password)
    except psycopg.OperationalError as exc:
        raise StoreError(f"cannot connect to PostgreSQL: {exc}".strip()) from exc
    password = app_role_password or ""
    return Postgres(
        operator_dsn,
        make_conninfo(operator_dsn, user=app_role, password=password),
        make_conninfo(operator_dsn, user=reader_role(app_role), password=password),
        pool_size=pool_size,
        server=server,
    )


def _start_embedded(data_dir: Path) -> tuple[str, object]:
    """Start (or join) the pgserver cluster under data_dir and ensure our database exists."""
    import pgserver  # imported here: server mode never needs its binaries

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE]
        ).fetchone()
        if not exists:
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(EMBEDDED_DATABASE))
                )
            except psycopg.errors.DuplicateDatabase:
                pass  # another process created it first
    return server.get_uri(EMBEDDED_DATABASE), server


def lock_vector_writes(conn: psycopg.Connection, workspace_id: str, alone: bool = False) -> None:
    """Hold the workspace's vector-write lock until the transaction of `conn` ends.

    Writers of Chroma share it; a graph rebuild takes it `alone`, so nothing is written to the
    generation it copies from after the copy has read past it (writers wait, then continue).
    """
    take = "pg_advisory_xact_lock" if alone else "pg_advisory_xact_lock_shared"
    conn.execute(f"SELECT {take}(hashtextextended(%s, 0))", [f"vectors:{workspace_id}"])
