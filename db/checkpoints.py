"""How far each source got (sync_status), and keys handled once (processed_events)."""

from collections.abc import Sequence

import psycopg
from psycopg.rows import class_row

from db.models import SyncState


def sync_checkpoints(conn: psycopg.Connection, workspace_id: str, source: str) -> dict[str, str]:
    """Checkpoint of every scope of `source` that finished."""
    rows = conn.execute(
        "SELECT scope, checkpoint FROM sync_status WHERE workspace_id = %s AND source = %s "
        "AND status = 'done'",
        [workspace_id, source],
    ).fetchall()
    return {scope: checkpoint for scope, checkpoint in rows}


def record_sync(
    conn: psycopg.Connection,
    workspace_id: str,
    source: str,
    scope: str,
    *,
    status: str,
    checkpoint: str | None = None,
    items: int = 0,
    error: str | None = None,
) -> None:
    """Record the progress of one scope of one source."""
    conn.execute(
        """INSERT INTO sync_status (workspace_id, source, scope, status, checkpoint, items, error)
           VALUES (%s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (workspace_id, source, scope) DO UPDATE SET
             status = excluded.status, checkpoint = excluded.checkpoint, items = excluded.items,
             error = excluded.error, updated_at = now()""",
        [workspace_id, source, scope, status, checkpoint, items, error],
    )


def sync_state(conn: psycopg.Connection, source: str, scope: str) -> SyncState | None:
    """The bound workspace's progress on one scope of one source, if any."""
    with conn.cursor(row_factory=class_row(SyncState)) as cur:
        return cur.execute(
            "SELECT status, cursor, oldest_ts, newest_ts, checkpoint, items, error "
            "FROM sync_status WHERE source = %s AND scope = %s",
            [source, scope],
        ).fetchone()


def save_sync_state(
    conn: psycopg.Connection, workspace_id: str, source: str, scope: str, state: SyncState
) -> None:
    """Replace the progress record of one scope (in the caller's transaction)."""
    conn.execute(
        """INSERT INTO sync_status (workspace_id, source, scope, status, cursor, oldest_ts,
                                    newest_ts, checkpoint, items, error)
           VALUES (%(ws)s, %(source)s, %(scope)s, %(status)s, %(cursor)s, %(oldest_ts)s,
                   %(newest_ts)s, %(checkpoint)s, %(items)s, %(error)s)
           ON CONFLICT (workspace_id, source, scope) DO UPDATE SET
             status = excluded.status, cursor = excluded.cursor, oldest_ts = excluded.oldest_ts,
             newest_ts = excluded.newest_ts, checkpoint = excluded.checkpoint,
             items = excluded.items, error = excluded.error, updated_at = now()""",
        {"ws": workspace_id, "source": source, "scope": scope, **state.model_dump()},
    )


def claim_once(conn: psycopg.Connection, workspace_id: str, key: str, kind: str) -> bool:
    """Record `key` as handled in the caller's transaction; False if it already was (a
    redelivered Slack event, an answer already given, a newsletter slot another replica took).
    A rolled-back transaction releases the claim."""
    row = conn.execute(
        "INSERT INTO processed_events (workspace_id, event_id, event_type) VALUES (%s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING 1",
        [workspace_id, key, kind],
    ).fetchone()
    return row is not None


def clear_checkpoints(
    conn: psycopg.Connection,
    scopes_like: dict[str, Sequence[str]],
    scopes: dict[str, Sequence[str]],
) -> list[str]:
    """Forget the progress of scopes (by source: LIKE patterns, or exact scopes), so the next
    run of that source reads them again; returns the 'source:scope' of each one forgotten."""
    matches = [(s, "LIKE", v) for s, v in scopes_like.items()]
    matches += [(s, "=", v) for s, v in scopes.items()]
    cleared: list[str] = []
    for source, match, values in matches:
        rows = conn.execute(
            f"DELETE FROM sync_status WHERE source = %s AND scope {match} ANY(%s) "
            "RETURNING source || ':' || scope",
            [source, list(values)],
        )
        cleared += [r[0] for r in rows]
    return sorted(cleared)
