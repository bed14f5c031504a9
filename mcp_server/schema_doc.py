"""What a model needs to write correct SQL: tables, columns, meanings, rules, examples."""

import psycopg

from db.migrate import READER_TABLES, table_columns
from mcp_server.contracts import ColumnInfo, SchemaInfo, TableInfo

TABLE_MEANINGS = {
    "workspaces": "The workspace itself (one row: queries only ever see the current workspace).",
    "users": "Members and bots. has_profile is false for people known only by id.",
    "channels": "Channels and DMs. kind: public, private, im, mpim. member_ids: user ids.",
    "message_metadata": "One row per message (no text): who, when, where, thread, counts. "
    "is_content is false for joins, topic changes and other events.",
    "reactions": "One row per person per emoji per message.",
    "links": "URLs shared in messages; "
    "link_type: github_pr, github_issue, jira, google_doc, other.",
    "files": "Files attached to messages (metadata only).",
    "bookmarks": "Channel bookmarks.",
    "thread_participants": "Who posted in each thread, how often, first and last time.",
    "channel_events": "Channel history as Slack posted it: kind is renamed, topic, purpose, "
    "archived, unarchived, joined, left, pinned, unpinned, integration_added or "
    "integration_removed; user_id did it at created_at.",
}

COLUMN_MEANINGS = {
    (
        "message_metadata",
        "message_id",
    ): "'{workspace_id}:{channel_id}:{ts}'; joins the other tables",
    ("message_metadata", "ts"): "Slack timestamp (text); with channel_id the message's address",
    ("message_metadata", "thread_ts"): "parent's ts for threads (the parent has thread_ts = ts)",
    ("message_metadata", "created_at"): "when it was posted (timestamptz)",
    ("message_metadata", "message_type"): "message, thread_reply, bot_message, file_share, ...",
    ("message_metadata", "reaction_count"): "total reactions on the message",
    ("message_metadata", "reply_count"): "replies in its thread (parents only)",
    ("message_metadata", "is_pinned"): "pinned to its channel",
    ("message_metadata", "edited_at"): "when it was last edited, if ever",
    ("users", "name"): "handle (without @)",
    ("channel_events", "old_value"): "the name before a rename",
    ("channel_events", "new_value"): "new name, topic or purpose (null: cleared); integration",
    ("channel_events", "item_ts"): "ts of the pinned or unpinned message (same channel)",
    ("channels", "name"): "channel name without #",
}

EXAMPLES = {
    "most active people in the last 30 days": (
        "SELECT u.name, count(*) AS messages FROM message_metadata m "
        "JOIN users u USING (workspace_id, user_id) WHERE m.is_content "
        "AND m.created_at >= now() - interval '30 days' GROUP BY u.name ORDER BY 2 DESC LIMIT 10"
    ),
    "PR links by reactions this week": (
        "SELECT l.url, sum(m.reaction_count) AS reactions FROM links l "
        "JOIN message_metadata m USING (workspace_id, message_id) WHERE l.link_type = 'github_pr' "
        "AND l.created_at >= date_trunc('week', now()) GROUP BY l.url ORDER BY 2 DESC"
    ),
    "messages per channel": (
        "SELECT c.name, count(*) FROM message_metadata m JOIN channels c "
        "USING (workspace_id, channel_id) WHERE m.is_content GROUP BY c.name ORDER BY 2 DESC"
    ),
    "most used emoji": (
        "SELECT emoji, count(*) FROM reactions GROUP BY emoji ORDER BY 2 DESC LIMIT 10"
    ),
}

RULES = [
    "Exactly one SELECT (WITH ... SELECT is fine); nothing that writes, locks or sets anything.",
    "Only the tables listed here; message text is not in SQL (use semantic_search).",
    "Functions: aggregates, window functions, date/time, string, math, arrays, coalesce/nullif.",
    "Runs read-only with a 2 s timeout; at most 500 rows are returned (see truncated).",
    "Use $1, $2 ... placeholders with params for values.",
]


def describe(conn: psycopg.Connection) -> SchemaInfo:
    """Read the columns from the catalogue, so the description can never drift from the schema."""
    rows = table_columns(conn, list(READER_TABLES))
    columns: dict[str, list[ColumnInfo]] = {}
    for table, column, kind in rows:
        columns.setdefault(table, []).append(
            ColumnInfo(name=column, type=kind, meaning=COLUMN_MEANINGS.get((table, column), ""))
        )
    return SchemaInfo(
        tables=[
            TableInfo(name=t, meaning=TABLE_MEANINGS[t], columns=columns.get(t, []))
            for t in READER_TABLES
        ],
        examples=EXAMPLES,
        rules=RULES,
    )
