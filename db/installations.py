"""Slack app installs (tokens already encrypted by the caller) and OAuth state values."""

import json
from datetime import datetime
from typing import Any

import psycopg
from pydantic import BaseModel


class InstallationRow(BaseModel):
    """One workspace's install as stored: ids, scopes, encrypted tokens, Bolt's other fields."""

    installation_id: str
    enterprise_id: str | None = None
    app_id: str | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None
    bot_token_encrypted: str | None = None
    user_token_encrypted: str | None = None
    bot_scopes: list[str] = []
    installer_user_id: str | None = None
    data: dict[str, Any] = {}


def replace_installation(
    conn: psycopg.Connection, workspace_id: str, row: InstallationRow, default=None
) -> None:
    """Make `row` the workspace's only install (the latest wins). `default` serialises what
    JSON cannot hold in `data`."""
    conn.execute("DELETE FROM installations")
    conn.execute(
        """INSERT INTO installations (workspace_id, installation_id, enterprise_id, app_id,
               bot_id, bot_user_id, bot_token_encrypted, user_token_encrypted, bot_scopes,
               installer_user_id, data)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [
            workspace_id,
            row.installation_id,
            row.enterprise_id,
            row.app_id,
            row.bot_id,
            row.bot_user_id,
            row.bot_token_encrypted,
            row.user_token_encrypted,
            row.bot_scopes,
            row.installer_user_id,
            json.dumps(row.data, default=default),
        ],
    )


def find_installation(
    conn: psycopg.Connection,
) -> tuple[dict[str, Any], str | None, str | None] | None:
    """The bound workspace's install: (Bolt's fields, encrypted bot token, encrypted user
    token), or None."""
    row = conn.execute(
        "SELECT data, bot_token_encrypted, user_token_encrypted FROM installations"
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def delete_installation(conn: psycopg.Connection) -> None:
    """Forget the bound workspace's install and its tokens; its data stays."""
    conn.execute("DELETE FROM installations")


def issue_oauth_state(conn: psycopg.Connection, state: str, expires_at: datetime) -> None:
    """Remember an OAuth `state` value until it expires (not tenant data: no workspace yet)."""
    conn.execute(
        "INSERT INTO app_internal.oauth_states (state, expires_at) VALUES (%s, %s)",
        [state, expires_at],
    )


def consume_oauth_state(conn: psycopg.Connection, state: str) -> datetime | None:
    """Forget a state value and return when it was to expire (None: never issued)."""
    row = conn.execute(
        "DELETE FROM app_internal.oauth_states WHERE state = %s RETURNING expires_at", [state]
    ).fetchone()
    return row[0] if row else None
