"""Which workspace a command means: by id or name, or the only one there is."""

from db.errors import UnknownWorkspaceError
from db.models import Workspace


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
