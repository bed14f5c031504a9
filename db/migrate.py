"""Ordered SQL migrations, recorded in schema_migrations, and the application role's grants."""

import logging
from importlib.resources import files

import psycopg
from psycopg import sql

from db.errors import UnsafeRoleError

# Any constant works; it only has to be the same for every process that upgrades this database.
_UPGRADE_LOCK = 0x5_1AC_4E1

# What the read-only analytics role may SELECT: metadata, never secrets (installations,
# bot_config) nor message text (the outbox payloads in processing_queue).
READER_TABLES = (
    "workspaces",
    "users",
    "channels",
    "message_metadata",
    "reactions",
    "links",
    "files",
    "bookmarks",
    "thread_participants",
    "channel_events",
)

# Catalog views every role may read by default that would tell a user's SQL about other roles,
# sessions, settings, policies, or every tenant's row counts and value statistics. The parser
# already refuses them; revoking them in this database is the second wall.
HIDDEN_CATALOG_VIEWS = (
    "pg_roles",
    "pg_user",
    "pg_group",
    "pg_database",
    "pg_settings",
    "pg_stat_activity",
    "pg_stat_database",
    "pg_stat_all_tables",
    "pg_stat_user_tables",
    "pg_statio_all_tables",
    "pg_statio_user_tables",
    "pg_class",
    "pg_stats",
    "pg_policy",
    "pg_policies",
)

log = logging.getLogger(__name__)

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def available_migrations() -> list[tuple[str, str]]:
    """Return (version, sql) for every migration shipped with the package, in order."""
    folder = files("db") / "migrations"
    scripts = sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    return [(p.name.removesuffix(".sql"), p.read_text()) for p in scripts]


def upgrade(conn: psycopg.Connection) -> list[str]:
    """Apply the migrations this database lacks, each in its own transaction; return them.

    An advisory lock serialises concurrent upgrades, so two processes starting at once apply
    each migration exactly once.
    """
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [_UPGRADE_LOCK])
        conn.execute(_CREATE_LEDGER)
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, script in available_migrations():
            if version in done:
                continue
            with conn.transaction():
                conn.execute(script)
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", [version])
            applied_now.append(version)
    return applied_now


def applied_migrations(conn: psycopg.Connection) -> list[str]:
    """The versions this database has applied, oldest first."""
    return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def table_columns(conn: psycopg.Connection, tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, type) of these public tables from the catalogue, in column order, so a
    description of the schema can never drift from it."""
    rows = conn.execute(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_schema = 'public' AND table_name = ANY(%s)
           ORDER BY table_name, ordinal_position""",
        [tables],
    )
    return [(r[0], r[1], r[2]) for r in rows]


def ensure_app_roles(conn: psycopg.Connection, role: str, password: str | None) -> None:
    """Create the application's login roles and grant them what they need.

    `role` reads and writes the tenant tables; `{role}_reader` may only SELECT the metadata
    tables (for user-written SQL). Neither owns anything nor can bypass row-level security, so a
    query that forgets a workspace filter still sees one workspace only.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [_UPGRADE_LOCK])
        for name in (role, reader_role(role)):
            _ensure_login_role(conn, name, password)
        ident, reader = sql.Identifier(role), sql.Identifier(reader_role(role))
        database = sql.Identifier(conn.info.dbname)
        tables = sql.SQL(", ").join(sql.Identifier(t) for t in READER_TABLES)
        for statement in (
            "GRANT CONNECT ON DATABASE {db} TO {role}, {reader}",
            "GRANT USAGE ON SCHEMA public TO {role}, {reader}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            "REVOKE ALL ON schema_migrations FROM {role}",
            "REVOKE INSERT, UPDATE, DELETE ON workspace_terms FROM {role}",
            "GRANT USAGE ON SCHEMA app_internal TO {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON app_internal.oauth_states TO {role}",
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {reader}",
            "GRANT SELECT ON {tables} TO {reader}",
        ):
            conn.execute(
                sql.SQL(statement).format(db=database, role=ident, reader=reader, tables=tables)
            )
        _hide_catalogs(conn, ident)


def _hide_catalogs(conn: psycopg.Connection, app_role: sql.Identifier) -> None:
    """Revoke HIDDEN_CATALOG_VIEWS from PUBLIC here (the application role keeps them).

    Only a superuser may; an operator that is not one gets a warning, and the parser's table
    allowlist stays the only wall.
    """
    views = sql.SQL(", ").join(sql.Identifier("pg_catalog", v) for v in HIDDEN_CATALOG_VIEWS)
    try:
        with conn.transaction():
            conn.execute(sql.SQL("REVOKE SELECT ON {} FROM PUBLIC").format(views))
            conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(views, app_role))
    except psycopg.errors.InsufficientPrivilege as exc:
        log.warning("catalog views stay readable by every role: %s", exc)


def reader_role(role: str) -> str:
    """The read-only companion of the application role."""
    return f"{role}_reader"


def _ensure_login_role(conn: psycopg.Connection, role: str, password: str | None) -> None:
    ident = sql.Identifier(role)
    existing = conn.execute(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [role]
    ).fetchone()
    if existing is None:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS").format(ident))
    elif existing[0]:
        raise UnsafeRoleError(
            f"role {role!r} is a superuser or bypasses row-level security; "
            "set SLACK_HELPER_APP_ROLE to a role without those attributes"
        )
    if password is not None:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
