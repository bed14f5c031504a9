"""Typed reads and writes of the metadata tables.

Functions that take a connection expect it to be scoped to one workspace (`Postgres.tenant`),
except those marked as operator functions.
"""

from collections.abc import Iterable, Sequence

import psycopg
from psycopg.rows import class_row

from db.errors import StoreError
from db.models import Bookmark, Channel, Message, SyncState, User, Workspace, WorkspaceStatus

# -- operator functions (cross-workspace) ---------------------------------------------------


def list_workspaces(conn: psycopg.Connection) -> list[Workspace]:
    """Every workspace, for resolving names and for status (operator connection)."""
    with conn.cursor(row_factory=class_row(Workspace)) as cur:
        return cur.execute(
            "SELECT workspace_id, name, domain FROM workspaces ORDER BY name"
        ).fetchall()


# -- tenant functions ------------------------------------------------------------------------


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


def upsert_users(conn: psycopg.Connection, workspace_id: str, users: Iterable[User]) -> None:
    """Insert or refresh user profiles (a full profile replaces a placeholder)."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO users (workspace_id, user_id, name, real_name, display_name, email,
                                  title, tz, is_bot, is_admin, is_deleted, has_profile)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (workspace_id, user_id) DO UPDATE SET
                 name = excluded.name, real_name = excluded.real_name,
                 display_name = excluded.display_name, email = excluded.email,
                 title = excluded.title, tz = excluded.tz, is_bot = excluded.is_bot,
                 is_admin = excluded.is_admin, is_deleted = excluded.is_deleted,
                 has_profile = excluded.has_profile, updated_at = now()
               WHERE excluded.has_profile OR NOT users.has_profile""",
            [
                (
                    workspace_id,
                    u.user_id,
                    u.name,
                    u.real_name,
                    u.display_name,
                    u.email,
                    u.title,
                    u.tz,
                    u.is_bot,
                    u.is_admin,
                    u.is_deleted,
                    u.has_profile,
                )
                for u in users
            ],
        )


def upsert_channels(
    conn: psycopg.Connection, workspace_id: str, channels: Iterable[Channel]
) -> None:
    """Insert or refresh channels."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO channels (workspace_id, channel_id, name, kind, topic, purpose,
                                     creator_id, is_archived, member_ids, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (workspace_id, channel_id) DO UPDATE SET
                 name = excluded.name, kind = excluded.kind, topic = excluded.topic,
                 purpose = excluded.purpose, creator_id = excluded.creator_id,
                 is_archived = excluded.is_archived, member_ids = excluded.member_ids,
                 created_at = excluded.created_at, updated_at = now()""",
            [
                (
                    workspace_id,
                    c.channel_id,
                    c.name,
                    c.kind,
                    c.topic,
                    c.purpose,
                    c.creator_id,
                    c.is_archived,
                    c.member_ids,
                    c.created_at,
                )
                for c in channels
            ],
        )


def upsert_messages(
    conn: psycopg.Connection, messages: Sequence[Message], hashes: Sequence[str | None]
) -> None:
    """Write message metadata, index the words of content messages, and replace each
    message's reactions, links and files.

    `hashes[i]` is the content hash of what Chroma must hold for `messages[i]` (None: nothing).
    Each table gets one set-based statement (unnest of column arrays) per batch.
    """
    if not messages:
        return
    ws = messages[0].workspace_id
    ids = [m.message_id for m in messages]
    columns = {
        "message_id": ids,
        "channel_id": [m.channel_id for m in messages],
        "ts": [m.ts for m in messages],
        "user_id": [m.user_id for m in messages],
        "bot_id": [m.bot_id for m in messages],
        "created_at": [m.created_at for m in messages],
        "thread_ts": [m.thread_ts for m in messages],
        "subtype": [m.subtype for m in messages],
        "message_type": [m.message_type for m in messages],
        "is_content": [m.is_content for m in messages],
        "reply_count": [m.reply_count for m in messages],
        "latest_reply": [m.latest_reply for m in messages],
        "reaction_count": [sum(len(r.user_ids) for r in m.reactions) for m in messages],
        "has_files": [bool(m.files) for m in messages],
        "has_links": [bool(m.links) for m in messages],
        "edited_at": [m.edited_at for m in messages],
        "content_hash": list(hashes),
    }
    types = {
        "created_at": "timestamptz",
        "edited_at": "timestamptz",
        "is_content": "boolean",
        "has_files": "boolean",
        "has_links": "boolean",
        "reply_count": "integer",
        "reaction_count": "integer",
    }
    names = ", ".join(columns)
    arrays = ", ".join(f"%({c})s::{types.get(c, 'text')}[]" for c in columns)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "message_id")
    conn.execute(
        f"""INSERT INTO message_metadata (workspace_id, {names})
            SELECT %(ws)s, * FROM unnest({arrays})
            ON CONFLICT (workspace_id, message_id) DO UPDATE SET {updates}, updated_at = now()""",
        {"ws": ws, **columns},
    )
    write_terms(conn, ws, [(m.message_id, m.text) for m in messages if m.is_content])
    conn.execute(
        "DELETE FROM message_terms WHERE workspace_id = %s AND message_id = ANY(%s)",
        [ws, [m.message_id for m in messages if not m.is_content]],
    )
    for table in ("reactions", "links", "files"):
        conn.execute(
            f"DELETE FROM {table} WHERE workspace_id = %s AND message_id = ANY(%s)", [ws, ids]
        )
    reactions = [
        (m.message_id, r.emoji, u) for m in messages for r in m.reactions for u in r.user_ids
    ]
    conn.execute(
        """INSERT INTO reactions (workspace_id, message_id, emoji, user_id)
           SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[]) ON CONFLICT DO NOTHING""",
        [ws, *map(list, zip(*reactions, strict=True))] if reactions else [ws, [], [], []],
    )
    links = [
        (m.message_id, ln.url, ln.link_type, ln.domain, m.created_at)
        for m in messages
        for ln in m.links
    ]
    conn.execute(
        """INSERT INTO links (workspace_id, message_id, url, link_type, domain, created_at)
           SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[],
                                    %s::timestamptz[]) ON CONFLICT DO NOTHING""",
        [ws, *map(list, zip(*links, strict=True))] if links else [ws, [], [], [], [], []],
    )
    files = [
        (
            m.message_id,
            f.file_id,
            f.user_id,
            f.name,
            f.title,
            f.mimetype,
            f.filetype,
            f.size_bytes,
            f.permalink,
            f.created_at,
        )
        for m in messages
        for f in m.files
    ]
    conn.execute(
        """INSERT INTO files (workspace_id, message_id, file_id, user_id, name, title, mimetype,
                              filetype, size_bytes, permalink, created_at)
           SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                                    %s::text[], %s::text[], %s::bigint[], %s::text[],
                                    %s::timestamptz[]) ON CONFLICT DO NOTHING""",
        [ws, *map(list, zip(*files, strict=True))] if files else [ws, *([[]] * 10)],
    )


def write_terms(
    conn: psycopg.Connection, workspace_id: str, texts: Sequence[tuple[str, str]]
) -> None:
    """Index the words of (message_id, text) pairs for keyword search; unchanged ones are left
    as they are, so a re-import rewrites nothing."""
    if not texts:
        return
    ids, bodies = map(list, zip(*texts, strict=True))
    conn.execute(
        """INSERT INTO message_terms (workspace_id, message_id, terms)
           SELECT %s, i.message_id, search_document(i.body)
           FROM unnest(%s::text[], %s::text[]) AS i(message_id, body)
           ON CONFLICT (workspace_id, message_id) DO UPDATE SET terms = excluded.terms
           WHERE message_terms.terms IS DISTINCT FROM excluded.terms""",
        [workspace_id, ids, bodies],
    )


def channel_name(conn: psycopg.Connection, channel_id: str) -> str | None:
    """The name of one channel of the bound workspace."""
    row = conn.execute("SELECT name FROM channels WHERE channel_id = %s", [channel_id]).fetchone()
    return row[0] if row else None


def ensure_users_known(
    conn: psycopg.Connection, workspace_id: str, user_ids: Iterable[str]
) -> None:
    """Record users seen only in messages, so every message's author has a row."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO users (workspace_id, user_id, has_profile) VALUES (%s, %s, false) "
            "ON CONFLICT DO NOTHING",
            [(workspace_id, u) for u in sorted(set(user_ids))],
        )


def refresh_thread_participants(conn: psycopg.Connection, workspace_id: str) -> None:
    """Recompute who posted in each thread from the messages (idempotent, unlike counters)."""
    conn.execute(
        """INSERT INTO thread_participants (workspace_id, channel_id, thread_ts, user_id,
                                            message_count, first_at, last_at)
           SELECT workspace_id, channel_id, thread_ts, user_id, count(*), min(created_at),
                  max(created_at)
           FROM message_metadata
           WHERE workspace_id = %(ws)s AND thread_ts IS NOT NULL AND user_id IS NOT NULL
             AND is_content
           GROUP BY workspace_id, channel_id, thread_ts, user_id
           ON CONFLICT (workspace_id, channel_id, thread_ts, user_id) DO UPDATE SET
             message_count = excluded.message_count, first_at = excluded.first_at,
             last_at = excluded.last_at""",
        {"ws": workspace_id},
    )


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


def latest_replies(conn: psycopg.Connection, message_ids: Sequence[str]) -> dict[str, str | None]:
    """The stored `latest_reply` of these messages (absent: not stored yet)."""
    rows = conn.execute(
        "SELECT message_id, latest_reply FROM message_metadata WHERE message_id = ANY(%s)",
        [list(message_ids)],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def replace_bookmarks(
    conn: psycopg.Connection, workspace_id: str, channel_id: str, bookmarks: Sequence[Bookmark]
) -> None:
    """Make the channel's stored bookmarks exactly `bookmarks`."""
    conn.execute("DELETE FROM bookmarks WHERE channel_id = %s", [channel_id])
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO bookmarks (workspace_id, bookmark_id, channel_id, title, link, emoji,
                                      created_by, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (workspace_id, bookmark_id) DO UPDATE SET
                 channel_id = excluded.channel_id, title = excluded.title, link = excluded.link,
                 emoji = excluded.emoji""",
            [
                (
                    workspace_id,
                    b.bookmark_id,
                    channel_id,
                    b.title,
                    b.link,
                    b.emoji,
                    b.created_by,
                    b.created_at,
                )
                for b in bookmarks
            ],
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


def dead_items(conn: psycopg.Connection, limit: int = 20) -> list[tuple[str, int, str | None]]:
    """Outbox items that kept failing: (message_id, attempts, last error), newest first."""
    return conn.execute(
        "SELECT message_id, attempts, last_error FROM processing_queue WHERE status = 'dead' "
        "ORDER BY id DESC LIMIT %s",
        [limit],
    ).fetchall()


def workspace_status(
    conn: psycopg.Connection, workspace: Workspace, messages_chroma: int, vector_graph: str
) -> WorkspaceStatus:
    """Counts of the workspace's metadata tables and outbox."""
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
        messages_postgres=row[0],
        messages_embeddable=row[1],
        messages_chroma=messages_chroma,
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
