"""The tools, one typed method each, scoped to one workspace.

The MCP server exposes these methods and the agent calls the same ones; the docstrings are what
a model reads, so they say when to use a tool. Every read runs under row-level security for
`workspace_id`, and user-written SQL runs as the read-only role.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
from psycopg.rows import class_row

from db.stores import Stores
from mcp_server import lookup
from mcp_server.contracts import (
    ChannelInfo,
    ChannelList,
    FileInfo,
    HistoryArgs,
    HistoryResult,
    LinkInfo,
    LinkList,
    LinksArgs,
    PersonCount,
    ReactionCount,
    ReactionsArgs,
    ReactionsResult,
    SchemaInfo,
    SearchArgs,
    SearchResult,
    SqlArgs,
    SqlResult,
    ThreadArgs,
    ThreadMessage,
    ThreadResult,
    UserArgs,
    UserInfo,
    UserList,
)
from mcp_server.errors import ToolInputError
from mcp_server.safe_sql import UnsafeSqlError, check_select
from mcp_server.schema_doc import describe
from mcp_server.search import hybrid_search


class WorkspaceTools:
    """Every tool over one workspace's stores."""

    def __init__(
        self, stores: Stores, workspace_id: str, *, sql_timeout_ms: int = 2000, row_cap: int = 500
    ):
        self.stores = stores
        self.workspace_id = workspace_id
        self.sql_timeout_ms = sql_timeout_ms
        self.row_cap = row_cap

    def semantic_search(self, args: SearchArgs) -> SearchResult:
        """Find messages about a topic or containing exact terms (error codes, PR numbers,
        names), optionally within channels, people, a time window, or threads. Use it for
        "what was said about X" questions; cite results by permalink."""
        return hybrid_search(self.stores, self.workspace_id, args)

    def sql_metadata_query(self, args: SqlArgs) -> SqlResult:
        """Run one read-only SELECT over the metadata tables (who, when, where, counts: no
        message text). Call describe_schema first for tables, columns and examples. Results are
        capped; `truncated` says when to aggregate or add LIMIT."""
        try:
            check_select(args.sql)
        except UnsafeSqlError as exc:
            raise ToolInputError(str(exc)) from exc
        try:
            with self.stores.postgres.reader(self.workspace_id, self.sql_timeout_ms) as conn:
                # RawCursor: PostgreSQL's own $1 placeholders, and '%' in the SQL stays literal
                with psycopg.RawCursor(conn) as cursor:
                    cursor.execute(args.sql, args.params or None)
                    columns = [c.name for c in cursor.description or []]
                    rows = cursor.fetchmany(self.row_cap + 1)
        except psycopg.errors.QueryCanceled as exc:
            raise ToolInputError(
                f"query took longer than {self.sql_timeout_ms} ms; filter by time or aggregate"
            ) from exc
        except (
            psycopg.errors.SyntaxError,
            psycopg.errors.UndefinedColumn,
            psycopg.errors.UndefinedFunction,
            psycopg.errors.DataError,
            psycopg.errors.GroupingError,
            psycopg.ProgrammingError,
        ) as exc:
            raise ToolInputError(f"query failed: {exc}".strip()) from exc
        return SqlResult(
            columns=columns,
            rows=[[_jsonable(v) for v in row] for row in rows[: self.row_cap]],
            truncated=len(rows) > self.row_cap,
        )

    def get_thread(self, args: ThreadArgs) -> ThreadResult:
        """A whole thread: the parent, then every reply in order, with authors, text,
        reactions and files."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            channel = lookup.channel_id(conn, args.channel)
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT message_id FROM message_metadata WHERE channel_id = %(c)s "
                    "AND (ts = %(t)s OR thread_ts = %(t)s) ORDER BY ts::numeric",
                    {"c": channel, "t": args.thread_ts},
                )
            ]
            if not ids:
                raise ToolInputError(f"no message with ts {args.thread_ts} in that channel")
            reactions = _reactions_by_message(conn, ids)
            files = _files_by_message(conn, ids)
        refs = lookup.message_refs(self.stores, self.workspace_id, ids)
        return ThreadResult(
            channel=refs[0].channel,
            thread_ts=args.thread_ts,
            messages=[
                ThreadMessage(
                    **r.model_dump(),
                    reaction_details=reactions.get(r.message_id, []),
                    files=files.get(r.message_id, []),
                )
                for r in refs
            ],
        )

    def reactions_for(self, args: ReactionsArgs) -> ReactionsResult:
        """Reactions on one message (by message_id, or channel + ts) with who reacted; or,
        without a message, for a channel and/or time window: counts per emoji, the most
        reacted messages and the people who react most."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            message_id = args.message_id
            if message_id is None and args.channel and args.ts:
                message_id = lookup_message_id(conn, lookup.channel_id(conn, args.channel), args.ts)
            if message_id is not None:
                reactions = _reactions_by_message(conn, [message_id], args.emoji)
                refs = lookup.message_refs(self.stores, self.workspace_id, [message_id])
                if not refs:
                    raise ToolInputError(f"no message {message_id!r} in this workspace")
                return ReactionsResult(message=refs[0], reactions=reactions.get(message_id, []))
            where, params = _window(conn, args)
            per_emoji = conn.execute(
                f"""SELECT r.emoji, count(*), array_agg(DISTINCT r.user_id)
                    FROM reactions r JOIN message_metadata m USING (workspace_id, message_id)
                    WHERE {where} GROUP BY r.emoji ORDER BY count(*) DESC, r.emoji""",
                params,
            ).fetchall()
            top_ids = [
                r[0]
                for r in conn.execute(
                    f"""SELECT m.message_id FROM reactions r
                        JOIN message_metadata m USING (workspace_id, message_id)
                        WHERE {where} GROUP BY m.message_id
                        ORDER BY count(*) DESC, m.message_id LIMIT 10""",
                    params,
                )
            ]
            reactors = conn.execute(
                f"""SELECT r.user_id, coalesce(u.display_name, u.name, u.real_name), count(*)
                    FROM reactions r JOIN message_metadata m USING (workspace_id, message_id)
                    LEFT JOIN users u ON u.workspace_id = r.workspace_id AND u.user_id = r.user_id
                    WHERE {where} GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 10""",
                params,
            ).fetchall()
        return ReactionsResult(
            reactions=[ReactionCount(emoji=e, count=n, users=sorted(u)) for e, n, u in per_emoji],
            top_messages=lookup.message_refs(self.stores, self.workspace_id, top_ids),
            top_reactors=[PersonCount(user_id=i, user=name, count=n) for i, name, n in reactors],
        )

    def list_channels(self) -> ChannelList:
        """Every channel with its kind, topic, purpose, archived flag, members and messages."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            channels = (
                conn.cursor(row_factory=class_row(ChannelInfo))
                .execute(
                    """SELECT c.channel_id, c.name, c.kind, c.topic, c.purpose, c.is_archived,
                          cardinality(c.member_ids) AS members,
                          (SELECT count(*) FROM message_metadata m
                           WHERE m.channel_id = c.channel_id AND m.is_content) AS messages
                   FROM channels c ORDER BY c.name"""
                )
                .fetchall()
            )
        return ChannelList(channels=channels)

    def find_users(self, args: UserArgs) -> UserList:
        """People whose handle, display name, real name, title or email contains the query,
        most active first."""
        pattern = f"%{args.query.strip().lstrip('@')}%"
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            users = (
                conn.cursor(row_factory=class_row(UserInfo))
                .execute(
                    f"""{_USER_SELECT}
                    WHERE u.user_id ILIKE %(p)s OR u.name ILIKE %(p)s OR u.display_name ILIKE %(p)s
                       OR u.real_name ILIKE %(p)s OR u.title ILIKE %(p)s OR u.email ILIKE %(p)s
                    ORDER BY messages DESC, u.user_id LIMIT %(n)s""",
                    {"p": pattern, "n": args.limit},
                )
                .fetchall()
            )
        return UserList(users=users)

    def get_user(self, user: str) -> UserInfo:
        """One person by id, handle, display name or real name."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            (user_id, *_) = lookup.user_ids(conn, [user])
            cursor = conn.cursor(row_factory=class_row(UserInfo))
            return cursor.execute(f"{_USER_SELECT} WHERE u.user_id = %s", [user_id]).fetchone()

    def channel_history(self, args: HistoryArgs) -> HistoryResult:
        """A channel's messages oldest first within an optional window, page by page."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            channel = lookup.channel_id(conn, args.channel)
            condition, params = lookup.where(
                ["channel_id = %(c)s", "is_content"],
                {
                    "since": ("created_at >= %(since)s", args.since),
                    "until": ("created_at < %(until)s", args.until),
                    "cursor": ("ts::numeric > %(cursor)s::numeric", args.cursor),
                },
            )
            rows = conn.execute(
                f"SELECT message_id, ts FROM message_metadata WHERE {condition} "
                "ORDER BY ts::numeric LIMIT %(n)s",
                {**params, "c": channel, "n": args.limit + 1},
            ).fetchall()
        page = rows[: args.limit]
        return HistoryResult(
            messages=lookup.message_refs(self.stores, self.workspace_id, [r[0] for r in page]),
            next_cursor=page[-1][1] if len(rows) > args.limit else None,
        )

    def top_links(self, args: LinksArgs) -> LinkList:
        """Links shared in the workspace (optionally one type: github_pr, github_issue, jira,
        google_doc, other) in a time window, ranked by reactions on the sharing messages."""
        condition, params = lookup.where(
            [],
            {
                "type": ("l.link_type = %(type)s", args.link_type),
                "since": ("l.created_at >= %(since)s", args.since),
                "until": ("l.created_at < %(until)s", args.until),
            },
        )
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            cursor = conn.cursor(row_factory=class_row(LinkInfo))
            links = cursor.execute(
                f"""SELECT l.url, min(l.link_type) AS link_type,
                           count(DISTINCT l.message_id) AS shares,
                           sum(m.reaction_count) AS reactions, min(l.created_at) AS first_shared,
                           max(l.created_at) AS last_shared,
                           min(l.message_id) AS example_message_id
                    FROM links l JOIN message_metadata m USING (workspace_id, message_id)
                    WHERE {condition}
                    GROUP BY l.url ORDER BY reactions DESC, shares DESC, l.url LIMIT %(n)s""",
                {**params, "n": args.limit},
            ).fetchall()
        return LinkList(links=links)

    def describe_schema(self) -> SchemaInfo:
        """Tables and columns that sql_metadata_query can read, what they mean, the rules,
        and example queries. Read it before writing SQL."""
        with self.stores.postgres.reader(self.workspace_id, self.sql_timeout_ms) as conn:
            return describe(conn)


_USER_SELECT = """SELECT u.user_id, u.name, u.real_name, u.display_name, u.title, u.is_bot,
                         u.is_deleted,
                         (SELECT count(*) FROM message_metadata m
                          WHERE m.user_id = u.user_id AND m.is_content) AS messages
                  FROM users u"""


def lookup_message_id(conn: psycopg.Connection, channel_id: str, ts: str) -> str:
    """The id of the message at (channel, ts), or a tool error."""
    row = conn.execute(
        "SELECT message_id FROM message_metadata WHERE channel_id = %s AND ts = %s",
        [channel_id, ts],
    ).fetchone()
    if row is None:
        raise ToolInputError(f"no message with ts {ts} in that channel")
    return row[0]


def _window(conn: psycopg.Connection, args: ReactionsArgs) -> tuple[str, dict]:
    channel = lookup.channel_id(conn, args.channel) if args.channel else None
    return lookup.where(
        [],
        {
            "channel": ("m.channel_id = %(channel)s", channel),
            "since": ("m.created_at >= %(since)s", args.since),
            "until": ("m.created_at < %(until)s", args.until),
            "emoji": ("r.emoji = %(emoji)s", args.emoji.strip(":") if args.emoji else None),
        },
    )


def _reactions_by_message(
    conn: psycopg.Connection, ids: list[str], emoji: str | None = None
) -> dict[str, list[ReactionCount]]:
    rows = conn.execute(
        """SELECT message_id, emoji, count(*), array_agg(user_id ORDER BY user_id)
           FROM reactions WHERE message_id = ANY(%(ids)s)
             AND (%(emoji)s::text IS NULL OR emoji = %(emoji)s)
           GROUP BY message_id, emoji ORDER BY count(*) DESC, emoji""",
        {"ids": ids, "emoji": emoji.strip(":") if emoji else None},
    ).fetchall()
    result: dict[str, list[ReactionCount]] = {}
    for message_id, name, count, users in rows:
        result.setdefault(message_id, []).append(
            ReactionCount(emoji=name, count=count, users=users)
        )
    return result


def _files_by_message(conn: psycopg.Connection, ids: list[str]) -> dict[str, list[FileInfo]]:
    result: dict[str, list[FileInfo]] = {}
    for message_id, file_id, name, title, filetype, link in conn.execute(
        "SELECT message_id, file_id, name, title, filetype, permalink FROM files "
        "WHERE message_id = ANY(%s) ORDER BY file_id",
        [ids],
    ):
        result.setdefault(message_id, []).append(
            FileInfo(file_id=file_id, name=name, title=title, filetype=filetype, permalink=link)
        )
    return result


def _jsonable(value):
    """SQL values as JSON-friendly ones (timestamps and decimals become strings or floats)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    return value
