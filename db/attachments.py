"""Links and files of messages: added and removed by events, read for the tools."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from pydantic import BaseModel

from db.filters import where
from db.models import Link


def add_links(
    conn: psycopg.Connection,
    workspace_id: str,
    message: str,
    links: Sequence[Link],
    created_at: datetime,
) -> None:
    """Record links unfurled on a stored message (each URL once)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO links (workspace_id, message_id, url, link_type, domain, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(workspace_id, message, ln.url, ln.link_type, ln.domain, created_at) for ln in links],
        )
    conn.execute("UPDATE message_metadata SET has_links = true WHERE message_id = %s", [message])


class FileShare(BaseModel):
    """A message a file was shared in, and where the file's text sat in the message's text."""

    message_id: str
    text_span: tuple[int, int] | None
    subtype: str | None


def delete_file(conn: psycopg.Connection, file_id: str) -> list[FileShare]:
    """Forget a deleted file; returns the messages it went from."""
    return _shares(
        conn.execute(
            "DELETE FROM files f USING message_metadata m "
            "WHERE f.file_id = %s AND (m.workspace_id, m.message_id) = (f.workspace_id, "
            "f.message_id) RETURNING f.message_id, f.text_start, f.text_end, m.subtype",
            [file_id],
        )
    )


def file_shares(conn: psycopg.Connection, file_id: str) -> list[FileShare]:
    """The messages a file is shared in, where its text sits in each, and their subtype."""
    return _shares(
        conn.execute(
            "SELECT f.message_id, f.text_start, f.text_end, m.subtype FROM files f "
            "JOIN message_metadata m USING (workspace_id, message_id) WHERE f.file_id = %s",
            [file_id],
        )
    )


def _shares(rows: Iterable[tuple[str, int | None, int | None, str | None]]) -> list[FileShare]:
    return [
        FileShare(
            message_id=m,
            text_span=(start, end) if start is not None and end is not None else None,
            subtype=subtype,
        )
        for m, start, end, subtype in rows
    ]


def record_text_change(
    conn: psycopg.Connection,
    message: str,
    file_id: str | None,
    span: tuple[int, int] | None,
    moved: tuple[int, int],
    content_hash: str,
) -> None:
    """A file's text in a message changed: it now sits at `span` (None: it has none, or the
    file is gone), the spans of the message's other files from `moved[0]` on shift by
    `moved[1]` characters, and the message records what Chroma must now hold."""
    at, shift = moved
    conn.execute(
        "UPDATE files SET text_start = text_start + %s, text_end = text_end + %s "
        "WHERE message_id = %s AND text_start >= %s AND file_id IS DISTINCT FROM %s",
        [shift, shift, message, at, file_id],
    )
    if file_id is not None:
        conn.execute(
            "UPDATE files SET text_start = %s, text_end = %s "
            "WHERE message_id = %s AND file_id = %s",
            [*(span or (None, None)), message, file_id],
        )
    conn.execute(
        "UPDATE message_metadata SET content_hash = %s, "
        "has_files = EXISTS (SELECT 1 FROM files f WHERE f.message_id = %s) "
        "WHERE message_id = %s",
        [content_hash, message, message],
    )


def files_by_message(
    conn: psycopg.Connection, message_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each message's files (file_id, name, title, filetype, permalink), by file id."""
    result: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT message_id, file_id, name, title, filetype, permalink FROM files "
            "WHERE message_id = ANY(%s) ORDER BY file_id",
            [list(message_ids)],
        )
        for row in rows:
            result.setdefault(row.pop("message_id"), []).append(row)
    return result


def shared_files(
    conn: psycopg.Connection,
    *,
    filetypes: Sequence[str] = (),
    channel_ids: Sequence[str] = (),
    user_ids: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """Files shared in the scope, each once (where it was first shared), oldest first: file_id,
    name, title, filetype, mimetype, size_bytes, permalink, message_id, time, user_id, user.
    `filetypes` are Slack's ("pdf", "csv", "gdoc") or a MIME type's first part ("image"), any
    of them. A comment on a file or a mention of one is not a share."""
    condition, params = where(
        ["m.subtype IS DISTINCT FROM 'file_comment'", "m.subtype IS DISTINCT FROM 'file_mention'"],
        {
            "types": (
                "(lower(f.filetype) = ANY(%(types)s) "
                "OR lower(split_part(f.mimetype, '/', 1)) = ANY(%(types)s))",
                [t.lower() for t in filetypes],
            ),
            "channels": ("m.channel_id = ANY(%(channels)s)", list(channel_ids)),
            "users": ("m.user_id = ANY(%(users)s)", list(user_ids)),
            "since": ("m.created_at >= %(since)s", since),
            "until": ("m.created_at < %(until)s", until),
        },
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"""SELECT * FROM (
                  SELECT DISTINCT ON (f.file_id) f.file_id, f.name, f.title, f.filetype,
                         f.mimetype, f.size_bytes, f.permalink, f.message_id,
                         m.created_at AS time, m.user_id,
                         coalesce(u.display_name, u.name, u.real_name) AS user
                  FROM files f JOIN message_metadata m USING (workspace_id, message_id)
                  LEFT JOIN users u ON u.workspace_id = m.workspace_id AND u.user_id = m.user_id
                  WHERE {condition}
                  ORDER BY f.file_id, m.created_at) first_shares
                ORDER BY time, file_id""",
            params,
        ).fetchall()


def top_links(
    conn: psycopg.Connection,
    *,
    link_type: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    channel_ids: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Shared URLs ranked by reactions on the sharing messages: url, link_type, shares,
    reactions, first_shared, last_shared, example_message_id."""
    condition, params = where(
        [],
        {
            "type": ("l.link_type = %(type)s", link_type),
            "channels": ("m.channel_id = ANY(%(channels)s)", list(channel_ids)),
            "since": ("l.created_at >= %(since)s", since),
            "until": ("l.created_at < %(until)s", until),
        },
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"""SELECT l.url, min(l.link_type) AS link_type,
                       count(DISTINCT l.message_id) AS shares,
                       sum(m.reaction_count) AS reactions, min(l.created_at) AS first_shared,
                       max(l.created_at) AS last_shared,
                       min(l.message_id) AS example_message_id
                FROM links l JOIN message_metadata m USING (workspace_id, message_id)
                WHERE {condition}
                GROUP BY l.url ORDER BY reactions DESC, shares DESC, l.url LIMIT %(n)s""",
            {**params, "n": limit},
        ).fetchall()
