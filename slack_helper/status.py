"""Per-workspace counts in both stores, for `slack-helper status`."""

from pydantic import BaseModel

from db import repository
from db.models import WorkspaceStatus
from db.stores import Stores


class StatusReport(BaseModel):
    """The `status --json` document."""

    workspaces: list[WorkspaceStatus]


def collect_status(stores: Stores, workspace_id: str | None = None) -> StatusReport:
    """Counts for every workspace, or only `workspace_id`."""
    with stores.postgres.operator() as conn:
        workspaces = repository.list_workspaces(conn)
    rows = []
    for workspace in workspaces:
        if workspace_id and workspace.workspace_id != workspace_id:
            continue
        with stores.postgres.tenant(workspace.workspace_id) as conn:
            rows.append(
                repository.workspace_status(
                    conn,
                    workspace,
                    stores.vectors.count(workspace.workspace_id),
                    stores.vectors.graph_summary(workspace.workspace_id),
                )
            )
    return StatusReport(workspaces=rows)
