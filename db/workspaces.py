"""Workspaces: the tenant rows, and which workspace a command means."""

import re

import psycopg
from psycopg.rows import class_row

from db.errors import StoreError, UnknownWorkspaceError
from db.models import Workspace


def list_workspaces(conn: psycopg.Connection) -> list[Workspace]:
    """Every workspace, for resolving names and for status (operator connection)."""
    with conn.cursor(row_factory=class_row(Workspace)) as cur:
        return cur.execute(
            "SELECT workspace_id, name, domain FROM workspaces ORDER BY name"
        ).fetchall()


def upsert_workspace(conn: psycopg.Connection, workspace: Workspace) -> None:
    """Create the workspace row, or refresh its name and domain."""
    try:
        conn.execute(
            """INSERT INTO workspaces (workspace_id, name, domain) VALUES (%s, %s, %s)
               ON CONFLICT (workspace_id) DO UPDATE
               SET name = excluded.name, domain = coalesce(excluded.domain, workspaces.domain)""",
            [workspace.workspace_id, workspace.name, workspace.domain],
        )
    except psycopg.errors.UniqueViolation as exc:
        raise StoreError(
            f"another workspace is already named {workspace.name!r}; choose another name"
        ) from exc


def workspace_stored(conn: psycopg.Connection) -> bool:
    """Whether the bound workspace has its row (it was imported, backfilled or installed)."""
    return bound_workspace(conn) is not None


def bound_workspace(conn: psycopg.Connection) -> Workspace | None:
    """The bound workspace's row, if it has one (row-level security shows only that one)."""
    with conn.cursor(row_factory=class_row(Workspace)) as cur:
        return cur.execute("SELECT workspace_id, name, domain FROM workspaces").fetchone()


# hosts under slack.com that are Slack's own, not a workspace's
_SLACK_HOSTS = ("files", "app", "api", "www", "hooks", "slack-files", "status", "my", "edgeapi")


def learn_domain(conn: psycopg.Connection) -> str | None:
    """Give the bound workspace the domain its own messages' links and files name most
    (https://<domain>.slack.com/…), unless it has one; return its domain."""
    row = conn.execute(
        r"""WITH seen AS (
                SELECT substring(url FROM '^https?://([a-z0-9-]+)\.slack\.com/') AS domain
                FROM (SELECT url FROM links UNION ALL
                      SELECT permalink FROM files WHERE permalink IS NOT NULL) AS urls)
            UPDATE workspaces SET domain = coalesce(workspaces.domain, (
                SELECT domain FROM seen WHERE domain IS NOT NULL AND domain <> ALL(%s)
                GROUP BY domain ORDER BY count(*) DESC, domain LIMIT 1))
            RETURNING domain""",
        [list(_SLACK_HOSTS)],
    ).fetchone()
    return row[0] if row else None


def domain_of(url: str) -> str | None:
    """`acme` for https://acme.slack.com (or a path under it); None for any other URL."""
    match = re.fullmatch(r"https?://([a-z0-9-]+)\.slack\.com(/.*)?", url.strip().lower())
    return match.group(1) if match and match.group(1) not in _SLACK_HOSTS else None


def workspace_url(workspace: Workspace) -> str | None:
    """https://<domain>.slack.com when the workspace's domain is known, for absolute links."""
    return f"https://{workspace.domain}.slack.com" if workspace.domain else None


def resolve_workspace(workspaces: list[Workspace], key: str | None) -> Workspace:
    """Match `key` against ids, then names (case-insensitive); None means the only workspace."""
    if key is None:
        if len(workspaces) == 1:
            return workspaces[0]
        if not workspaces:
            raise UnknownWorkspaceError(
                "no workspace yet; import one with `slack-helper ingest export`"
            )
        names = ", ".join(w.name for w in workspaces)
        raise UnknownWorkspaceError(f"several workspaces exist ({names}); pass --workspace")
    for w in workspaces:
        if w.workspace_id == key:
            return w
    for w in workspaces:
        if w.name.lower() == key.lower():
            return w
    known = ", ".join(f"{w.name} ({w.workspace_id})" for w in workspaces) or "none"
    raise UnknownWorkspaceError(f"no workspace named or with id {key!r}; known: {known}")
