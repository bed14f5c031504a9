"""MCP bearer tokens, stored only as their SHA-256 digest."""

import psycopg


def save_token(conn: psycopg.Connection, workspace_id: str, digest: str, label: str | None) -> None:
    """Record a new token's digest for the bound workspace."""
    conn.execute(
        "INSERT INTO mcp_tokens (token_hash, workspace_id, label) VALUES (%s, %s, %s)",
        [digest, workspace_id, label],
    )


def workspace_for_digest(conn: psycopg.Connection, digest: str) -> str | None:
    """The workspace a token digest belongs to (operator connection: any workspace)."""
    row = conn.execute(
        "SELECT workspace_id FROM mcp_tokens WHERE token_hash = %s", [digest]
    ).fetchone()
    return row[0] if row else None
