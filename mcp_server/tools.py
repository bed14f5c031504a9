"""The tools, one typed method each, scoped to one workspace.

The MCP server exposes these methods and the agent calls the same ones; the docstrings are what
a model reads, so they say when to use a tool. Every read runs under row-level security for
`workspace_id`, and user-written SQL runs as the read-only role.
"""

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import psycopg

from db.activity import mention_candidates, message_counts
from db.attachments import shared_files, top_links
from db.channel_events import channel_events
from db.channels import channel_summaries
from db.message_reads import history_page, message_id_at, thread_ids
from db.message_text import mention_forms, mentions
from db.people import search_users, user_summary
from db.reactions import reaction_window, reactions_by_message
from db.stores import Stores
from db.user_sql import ResultTooLargeError, run_capped
from mcp_server import lookup
from mcp_server.contracts import (
    ChannelEventInfo,
    ChannelEventList,
    ChannelEventsArgs,
    ChannelInfo,
    ChannelList,
    ChannelsArgs,
    CountArgs,
    CountResult,
    FileList,
    FilesArgs,
    HistoryArgs,
    HistoryResult,
    LinkInfo,
    LinkList,
    LinksArgs,
    NamedCount,
    PersonCount,
    ReactionCount,
    ReactionsArgs,
    ReactionsResult,
    SchemaInfo,
    SearchArgs,
    SearchResult,
    SharedFile,
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

Method = TypeVar("Method", bound=Callable[..., Any])
_TOOL_MARK = "__mcp_tool__"


def tool(method: Method) -> Method:
    """Mark a WorkspaceTools method as an MCP tool: the method's name is the tool's, its
    docstring the description, its pydantic argument model (or plain arguments) the input
    schema, its return model the output schema. Marking it is all a new tool needs."""
    setattr(method, _TOOL_MARK, True)
    return method


def tool_methods() -> dict[str, Callable[..., Any]]:
    """The marked methods of WorkspaceTools, by tool name, in definition order."""
    return {name: m for name, m in vars(WorkspaceTools).items() if getattr(m, _TOOL_MARK, False)}


class WorkspaceTools:
    """Every tool over one workspace's stores."""

    def __init__(
        self,
        stores: Stores,
        workspace_id: str,
        *,
        sql_timeout_ms: int = 2000,
        row_cap: int = 500,
        result_bytes: int = 1_000_000,
    ):
        self.stores = stores
        self.workspace_id = workspace_id
        self.sql_timeout_ms = sql_timeout_ms
        self.row_cap = row_cap
        self.result_bytes = result_bytes

    @tool
    def semantic_search(self, args: SearchArgs) -> SearchResult:
        """Find messages about a topic or containing exact terms (error codes, PR numbers,
        names), optionally within channels, people, a time window, or threads. Use it for
        "what was said about X" questions; cite results by permalink."""
        return hybrid_search(self.stores, self.workspace_id, args)

    @tool
    def sql_metadata_query(self, args: SqlArgs) -> SqlResult:
        """Run one read-only SELECT over the metadata tables (who, when, where, counts: no
        message text). Call describe_schema first for tables, columns and examples. Results are
        capped; `truncated` says when to aggregate or add LIMIT."""
        try:
            query = check_select(args.sql)
        except UnsafeSqlError as exc:
            raise ToolInputError(str(exc)) from exc
        try:
            with self.stores.postgres.reader(self.workspace_id, self.sql_timeout_ms) as conn:
                result = run_capped(
                    conn, query, args.params, row_cap=self.row_cap, byte_cap=self.result_bytes
                )
        except ResultTooLargeError as exc:
            raise ToolInputError(str(exc)) from exc
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
            psycopg.errors.ProgramLimitExceeded,
            psycopg.errors.StatementTooComplex,
            psycopg.errors.OutOfMemory,
            psycopg.ProgrammingError,
        ) as exc:
            raise ToolInputError(f"query failed: {exc}".strip()) from exc
        return SqlResult(
            columns=result.columns,
            rows=[[_jsonable(v) for v in row] for row in result.rows],
            truncated=result.truncated,
        )

    @tool
    def get_thread(self, args: ThreadArgs) -> ThreadResult:
        """A whole thread: the parent, then every reply in order, with authors, text,
        reactions and files."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            ids = thread_ids(conn, lookup.channel_id(conn, args.channel), args.thread_ts)
            if not ids:
                raise ToolInputError(f"no message with ts {args.thread_ts} in that channel")
            reactions = _reaction_counts(reactions_by_message(conn, ids))
        refs = lookup.message_refs(self.stores, self.workspace_id, ids)
        return ThreadResult(
            channel=refs[0].channel,
            thread_ts=args.thread_ts,
            messages=[
                ThreadMessage(**r.model_dump(), reaction_details=reactions.get(r.message_id, []))
                for r in refs
            ],
        )

    @tool
    def reactions_for(self, args: ReactionsArgs) -> ReactionsResult:
        """Reactions on one message (by message_id, or channel + ts) with who reacted; or,
        without a message, for a channel, time window and/or author: counts per emoji, the
        most reacted messages and the people who react most."""
        emoji = args.emoji.strip(":") if args.emoji else None
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            message_id = args.message_id
            wanted = args.channel if message_id is None else None
            channel = lookup.channel_id(conn, wanted) if wanted else None
            if channel and args.ts:
                message_id = message_id_at(conn, channel, args.ts)
                if message_id is None:
                    raise ToolInputError(f"no message with ts {args.ts} in that channel")
            if message_id is not None:
                reactions = _reaction_counts(reactions_by_message(conn, [message_id], emoji))
            else:
                window = reaction_window(
                    conn,
                    channel_id=channel,
                    since=args.since,
                    until=args.until,
                    emoji=emoji,
                    author_ids=lookup.user_ids(conn, [args.user]) if args.user else [],
                )
        if message_id is not None:
            refs = lookup.message_refs(self.stores, self.workspace_id, [message_id])
            if not refs:
                raise ToolInputError(f"no message {message_id!r} in this workspace")
            return ReactionsResult(message=refs[0], reactions=reactions.get(message_id, []))
        return ReactionsResult(
            reactions=[ReactionCount(**e) for e in window.per_emoji],
            top_messages=lookup.message_refs(
                self.stores, self.workspace_id, window.top_message_ids
            ),
            top_reactors=[PersonCount(**p) for p in window.top_reactors],
        )

    @tool
    def list_channels(self, args: ChannelsArgs) -> ChannelList:
        """Every channel (or one person's: "which channels is Ann in?") with its kind, topic,
        purpose, archived flag, members, messages, creator and creation time."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            member = lookup.user_ids(conn, [args.member])[0] if args.member else None
            channels = channel_summaries(conn, member)
        return ChannelList(channels=[ChannelInfo(**c) for c in channels])

    @tool
    def find_users(self, args: UserArgs) -> UserList:
        """People whose handle, display name, real name, title or email contains the query,
        most active first (admins and bots marked), and how many there are; an empty query
        lists everyone."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            users, total = search_users(conn, args.query, args.limit)
        return UserList(users=[UserInfo(**u) for u in users], total=total)

    @tool
    def get_user(self, user: str) -> UserInfo:
        """One person by id, handle, display name or real name."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            (user_id, *_) = lookup.user_ids(conn, [user])
            found = user_summary(conn, user_id)
        if found is None:  # resolved a moment ago: only a concurrent delete gets here
            raise ToolInputError(f"unknown user {user!r}; use find_users to look people up")
        return UserInfo(**found)

    @tool
    def channel_history(self, args: HistoryArgs) -> HistoryResult:
        """A channel's messages oldest first (or newest first) within an optional window,
        optionally one person's, page by page."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            rows = history_page(
                conn,
                lookup.channel_id(conn, args.channel),
                since=args.since,
                until=args.until,
                after_ts=args.cursor,
                limit=args.limit + 1,
                author_ids=lookup.user_ids(conn, [args.user]) if args.user else [],
                newest_first=args.newest_first,
            )
        page = rows[: args.limit]
        return HistoryResult(
            messages=lookup.message_refs(self.stores, self.workspace_id, [r[0] for r in page]),
            next_cursor=page[-1][1] if len(rows) > args.limit else None,
        )

    @tool
    def channel_events(self, args: ChannelEventsArgs) -> ChannelEventList:
        """The workspace's own history: channel renames (old and new name), topic and purpose
        changes, archives and unarchives, joins and leaves, pinned messages and integrations
        added, with who did it and when. Use it for "what was #x called before", "who archived
        #x", "what is pinned in #x", "who joined #x in May", "who joined most recently" (newest
        first; joining the workspace is joining its first channels); cite each event's message."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            rows = channel_events(
                conn,
                channel_ids=[lookup.channel_id(conn, args.channel)] if args.channel else [],
                kinds=args.kinds,
                user_ids=lookup.user_ids(conn, [args.user]) if args.user else [],
                since=args.since,
                until=args.until,
                limit=args.limit + 1,
                newest_first=args.newest_first,
            )
        shown = rows[: args.limit]  # one more was read only to tell whether there are more
        cited = [r["message_id"] for r in shown] + [
            r["item_message_id"] for r in shown if r["item_message_id"]
        ]
        refs = {r.message_id: r for r in lookup.message_refs(self.stores, self.workspace_id, cited)}
        return ChannelEventList(
            events=[
                ChannelEventInfo(
                    **{k: v for k, v in row.items() if k not in ("message_id", "item_message_id")},
                    message=refs[row["message_id"]],
                    item=refs.get(row["item_message_id"] or ""),
                )
                for row in shown
            ],
            truncated=len(rows) > args.limit,
        )

    @tool
    def message_counts(self, args: CountArgs) -> CountResult:
        """Counts of messages (not joins or other channel events): the total, how many people
        posted them, who posted most and the busiest channels, optionally for one channel, one
        person, a time window and a word or phrase the messages contain. Use it for "who posted
        most in #x", "how many messages in #x in May", "how many people posted in #x", "who
        mentioned Tableau most"."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            said = self._mentioning(conn, args.mentioning) if args.mentioning else None
            counts = message_counts(
                conn,
                channel_ids=[lookup.channel_id(conn, args.channel)] if args.channel else [],
                user_ids=lookup.user_ids(conn, [args.user]) if args.user else [],
                since=args.since,
                until=args.until,
                message_ids=said,
                limit=args.limit,
            )
        return CountResult.model_validate(counts)

    def _mentioning(self, conn: psycopg.Connection, phrase: str) -> list[str]:
        """The messages whose own text says `phrase`: the keyword index's candidates, read
        from Chroma (the index also holds each message's conversation)."""
        forms = mention_forms(phrase)
        candidates = mention_candidates(conn, forms)
        documents = self.stores.vectors.get(self.workspace_id, candidates)
        return [i for i, record in documents.items() if mentions(record.document, forms)]

    @tool
    def top_links(self, args: LinksArgs) -> LinkList:
        """Links shared in the workspace (optionally one type: github_pr, github_issue, jira,
        google_doc, other) in a channel and/or time window, ranked by reactions on the sharing
        messages, each with a message that shared it."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            links = top_links(
                conn,
                link_type=args.link_type,
                since=args.since,
                until=args.until,
                limit=args.limit,
                channel_ids=[lookup.channel_id(conn, args.channel)] if args.channel else [],
            )
        ids = list(
            dict.fromkeys(link["example_message_id"] for link in links)
        )  # one message may share several
        examples = {
            m.message_id: m for m in lookup.message_refs(self.stores, self.workspace_id, ids)
        }
        return LinkList(
            links=[
                LinkInfo(**link, example=examples.get(link["example_message_id"])) for link in links
            ]
        )

    @tool
    def list_files(self, args: FilesArgs) -> FileList:
        """Files people shared (snippets, PDFs, images, documents), optionally of one type, in
        one channel, by one person or in a time window: how many, who shared most, and each
        file's name, type and link with the message that shared it. Use it for "which files
        were shared in #x", "what PDFs did Ann upload"; search finds a file by what it says."""
        with self.stores.postgres.tenant(self.workspace_id) as conn:
            rows = shared_files(
                conn,
                filetypes=args.filetypes,
                channel_ids=[lookup.channel_id(conn, args.channel)] if args.channel else [],
                user_ids=lookup.user_ids(conn, [args.user]) if args.user else [],
                since=args.since,
                until=args.until,
            )
        shown = rows[: args.limit]
        refs = lookup.message_refs(
            self.stores, self.workspace_id, list(dict.fromkeys(r["message_id"] for r in shown))
        )
        by_id = {r.message_id: r for r in refs}
        return FileList(
            total=len(rows),
            files=[SharedFile(**row, message=by_id[row["message_id"]]) for row in shown],
            sharers=[
                NamedCount(id=user_id, name=name, count=count)
                for (user_id, name), count in Counter(
                    (r["user_id"], r["user"]) for r in rows
                ).most_common(10)
            ],
        )

    @tool
    def describe_schema(self) -> SchemaInfo:
        """Tables and columns that sql_metadata_query can read, what they mean, the rules,
        and example queries. Read it before writing SQL."""
        with self.stores.postgres.reader(self.workspace_id, self.sql_timeout_ms) as conn:
            return describe(conn)


def _reaction_counts(
    by_message: dict[str, list[dict[str, Any]]],
) -> dict[str, list[ReactionCount]]:
    return {message: [ReactionCount(**e) for e in emoji] for message, emoji in by_message.items()}


def _jsonable(value):
    """SQL values as JSON-friendly ones (timestamps and decimals become strings or floats)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    return value
