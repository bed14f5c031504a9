"""Counts of a workspace's tables and outbox, for `status` and the bot's /helper status."""

import psycopg
from pydantic import BaseModel

from db.models import Workspace, WorkspaceStatus
from db.stores import Stores
from db.workspaces import list_workspaces, workspace_url


class StatusReport(BaseModel):
    """The `status --json` document."""

    workspaces: list[WorkspaceStatus]


def collect_status(stores: Stores, workspace_id: str | None = None) -> StatusReport:
    """Counts in both stores for every workspace, or only `workspace_id`."""
    with stores.postgres.operator() as conn:
        workspaces = list_workspaces(conn)
    rows = []
    for workspace in workspaces:
        if workspace_id and workspace.workspace_id != workspace_id:
            continue
        with stores.postgres.tenant(workspace.workspace_id) as conn:
            passages = stores.vectors.passage_count(workspace.workspace_id)
            rows.append(
                workspace_status(
                    conn,
                    workspace,
                    (stores.vectors.count(workspace.workspace_id) - passages, passages),
                    stores.vectors.graph_summary(workspace.workspace_id),
                )
            )
    return StatusReport(workspaces=rows)


def workspace_status(
    conn: psycopg.Connection, workspace: Workspace, chroma: tuple[int, int], vector_graph: str
) -> WorkspaceStatus:
    """Counts of the workspace's metadata tables and outbox, beside Chroma's (messages,
    passages)."""
    row = conn.execute(
        """SELECT
             (SELECT count(*) FROM message_metadata),
             (SELECT count(*) FROM message_metadata WHERE is_content),
             (SELECT count(*) FROM users),
             (SELECT count(*) FROM channels),
             (SELECT count(*) FROM reactions),
             (SELECT count(*) FROM links),
             (SELECT count(*) FROM files),
             (SELECT count(*) FROM processing_queue WHERE status = 'pending'),
             (SELECT count(*) FROM processing_queue WHERE status = 'dead'),
             (SELECT max(created_at) FROM message_metadata WHERE indexed_hash IS NOT NULL)"""
    ).fetchone()
    assert row is not None
    return WorkspaceStatus(
        workspace_id=workspace.workspace_id,
        name=workspace.name,
        url=workspace_url(workspace),
        messages_postgres=row[0],
        messages_embeddable=row[1],
        messages_chroma=chroma[0],
        passages_chroma=chroma[1],
        vector_graph=vector_graph,
        users=row[2],
        channels=row[3],
        reactions=row[4],
        links=row[5],
        files=row[6],
        outbox_pending=row[7],
        outbox_dead=row[8],
        indexed_through=row[9],
    )


def dead_items(conn: psycopg.Connection, limit: int = 20) -> list[tuple[str, int, str | None]]:
    """Outbox items that kept failing: (message_id, attempts, last error), newest first."""
    return conn.execute(
        "SELECT message_id, attempts, last_error FROM processing_queue WHERE status = 'dead' "
        "ORDER BY id DESC LIMIT %s",
        [limit],
    ).fetchall()
