"""Shared reads of the tools: names to ids (an unknown one is a tool error), and message ids
to enriched MessageRefs."""

from collections.abc import Sequence

import psycopg

from db.attachments import files_by_message
from db.channels import channel_names, match_channels
from db.message_reads import message_rows
from db.people import match_user
from db.stores import Stores
from db.workspaces import bound_workspace, workspace_url
from mcp_server.contracts import FileInfo, MessageRef
from mcp_server.errors import ToolInputError


def permalink(
    channel_id: str, ts: str, thread_ts: str | None = None, base_url: str | None = None
) -> str:
    """Slack's permalink for a message, as Slack builds it (a reply names its thread); only
    the path when the workspace's URL is unknown."""
    path = f"/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        path += f"?thread_ts={thread_ts}&cid={channel_id}"
    return f"{base_url}{path}" if base_url else path


def channel_ids(conn: psycopg.Connection, names_or_ids: Sequence[str]) -> list[str]:
    """Resolve channel names ('#general' or 'general') or ids; unknown ones are a tool error."""
    match = match_channels(conn, names_or_ids)
    if match.missing:
        raise ToolInputError(
            f"unknown channel {', '.join(map(repr, match.missing))}; "
            f"channels are: {', '.join(channel_names(conn))}"
        )
    return match.ids


def channel_id(conn: psycopg.Connection, name_or_id: str) -> str:
    """One channel by name or id."""
    (found,) = channel_ids(conn, [name_or_id])
    return found


def user_ids(conn: psycopg.Connection, names_or_ids: Sequence[str]) -> list[str]:
    """Resolve people by id, handle, display name or real name (case-insensitive, '@' optional)."""
    found: set[str] = set()
    for raw in names_or_ids:
        matched = match_user(conn, raw)
        if not matched:
            raise ToolInputError(f"unknown user {raw!r}; use find_users to look people up")
        found.update(matched)
    return sorted(found)


def message_refs(stores: Stores, workspace_id: str, ids: Sequence[str]) -> list[MessageRef]:
    """Messages by id with channel and author names, counts, text from Chroma; input order."""
    if not ids:
        return []
    with stores.postgres.tenant(workspace_id) as conn:
        rows = message_rows(conn, ids)
        files = files_by_message(conn, ids)
        workspace = bound_workspace(conn)
    base_url = workspace_url(workspace) if workspace else None
    texts = {i: r.document for i, r in stores.vectors.get(workspace_id, list(ids)).items()}
    by_id = {
        row["message_id"]: MessageRef(
            **row,
            text=texts.get(row["message_id"], ""),
            permalink=permalink(row["channel_id"], row["ts"], row["thread_ts"], base_url),
            files=[FileInfo(**f) for f in files.get(row["message_id"], [])],
        )
        for row in rows
    }
    return [by_id[i] for i in ids if i in by_id]
