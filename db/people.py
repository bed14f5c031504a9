"""Users: profiles from every source, placeholders for ids seen only in messages, and
names resolved for the tools."""

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

from db.models import User


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


def display_names(conn: psycopg.Connection, user_ids: Sequence[str]) -> dict[str, str]:
    """The name to show for each of these users (display name, handle, real name or id)."""
    rows = conn.execute(
        "SELECT user_id, coalesce(display_name, name, real_name, user_id) FROM users "
        "WHERE user_id = ANY(%s)",
        [list(user_ids)],
    ).fetchall()
    return dict(rows)


def match_user(conn: psycopg.Connection, key: str) -> list[str]:
    """Ids of the users whose id, handle, display name or real name is `key` (any case, '@'
    optional); empty when nobody is."""
    key = key.strip().lstrip("@")
    rows = conn.execute(
        "SELECT user_id FROM users WHERE user_id = %(k)s OR lower(name) = lower(%(k)s) "
        "OR lower(display_name) = lower(%(k)s) OR lower(real_name) = lower(%(k)s)",
        {"k": key},
    ).fetchall()
    return [r[0] for r in rows]


_USER_SUMMARY = """SELECT u.user_id, u.name, u.real_name, u.display_name, u.title, u.is_bot,
                          u.is_admin, u.is_deleted,
                          (SELECT count(*) FROM message_metadata m
                           WHERE m.user_id = u.user_id AND m.is_content) AS messages
                   FROM users u"""


def search_users(
    conn: psycopg.Connection, query: str, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The first `limit` people whose handle, names, title or email contains `query`, most
    active first, and how many match in all."""
    pattern = f"%{query.strip().lstrip('@')}%"
    matching = (
        "u.user_id ILIKE %(p)s OR u.name ILIKE %(p)s OR u.display_name ILIKE %(p)s "
        "OR u.real_name ILIKE %(p)s OR u.title ILIKE %(p)s OR u.email ILIKE %(p)s"
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"{_USER_SUMMARY} WHERE {matching} ORDER BY messages DESC, u.user_id LIMIT %(n)s",
            {"p": pattern, "n": limit},
        ).fetchall()
    total = conn.execute(f"SELECT count(*) FROM users u WHERE {matching}", {"p": pattern})
    return rows, (total.fetchone() or (0,))[0]


def user_summary(conn: psycopg.Connection, user_id: str) -> dict[str, Any] | None:
    """One person with their message count, or None."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"{_USER_SUMMARY} WHERE u.user_id = %s", [user_id]).fetchone()
