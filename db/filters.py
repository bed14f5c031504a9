"""A search's resolved filters, in the three forms the stores need: SQL, Chroma, and Python,
and what PostgreSQL knows about a filter before any vector is read."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from db.models import split_message_id


def where(required: Sequence[str], optional: Mapping[str, tuple[str, Any]]) -> tuple[str, dict]:
    """An AND of the required clauses and of each optional `name: (clause, value)` whose value
    is set (not None, not empty); those values become the named parameters."""
    clauses, params = list(required) or ["true"], {}
    for name, (clause, value) in optional.items():
        if value is not None and value != []:
            clauses.append(clause)
            params[name] = value
    return " AND ".join(clauses), params


@dataclass
class Filters:
    """Channel, people, time and thread filters, resolved to ids; the same rules everywhere."""

    channel_ids: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    in_thread: bool | None = None

    def narrows(self) -> bool:
        """Whether anything is filtered at all."""
        return bool(self.channel_ids or self.user_ids or self.since or self.until) or (
            self.in_thread is not None
        )

    def sql_condition(self, table: str = "") -> tuple[str, dict]:
        """The filters over `message_metadata` (aliased `table`) for content messages, as a
        condition and its named parameters."""
        col = f"{table}." if table else ""
        condition, params = where(
            [f"{col}is_content"],
            {
                "channels": (f"{col}channel_id = ANY(%(channels)s)", self.channel_ids),
                "users": (f"{col}user_id = ANY(%(users)s)", self.user_ids),
                "since": (f"{col}created_at >= %(since)s", self.since),
                "until": (f"{col}created_at < %(until)s", self.until),
            },
        )
        if self.in_thread is not None:
            condition += f" AND {col}thread_ts IS " + ("NOT NULL" if self.in_thread else "NULL")
        return condition, params

    def chroma_where(self) -> dict | None:
        """The filters as a Chroma `where` (None when there are none)."""
        clauses: list[dict] = []
        if self.channel_ids:
            clauses.append({"channel_id": {"$in": self.channel_ids}})
        if self.user_ids:
            clauses.append({"user_id": {"$in": self.user_ids}})
        if self.since:
            clauses.append({"timestamp": {"$gte": self.since.timestamp()}})
        if self.until:
            clauses.append({"timestamp": {"$lt": self.until.timestamp()}})
        if self.in_thread is not None:
            clauses.append({"thread_ts": {"$ne": ""} if self.in_thread else {"$eq": ""}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def readable_from_ids(self) -> bool:
        """Whether ids alone ('{workspace}:{channel}:{ts}') decide the filter: channels and
        time do, people and threads need the metadata."""
        return not self.user_ids and self.in_thread is None

    def accepts_id(self, message_id: str) -> bool:
        """The filter applied to an id (only when `readable_from_ids`)."""
        _, channel_id, ts = split_message_id(message_id)
        return self._channel_and_time(channel_id, float(ts))

    def accepts(self, metadata: dict) -> bool:
        """Whether a Chroma record's metadata passes the filters (same rules as the `where`)."""
        return (
            self._channel_and_time(metadata.get("channel_id"), float(metadata.get("timestamp", 0)))
            and (not self.user_ids or metadata.get("user_id") in self.user_ids)
            and (self.in_thread is None or bool(metadata.get("thread_ts")) == self.in_thread)
        )

    def _channel_and_time(self, channel_id: str | None, stamp: float) -> bool:
        return (
            (not self.channel_ids or channel_id in self.channel_ids)
            and (self.since is None or stamp >= self.since.timestamp())
            and (self.until is None or stamp < self.until.timestamp())
        )


def estimated_rows(conn: psycopg.Connection, filters: Filters | None) -> int:
    """The planner's estimate of the content messages `filters` keep (None: all of them);
    costs no heap reads, so it can size a search before any id is read."""
    condition, params = filters.sql_condition() if filters else ("is_content", {})
    row = conn.execute(
        f"EXPLAIN (FORMAT JSON) SELECT 1 FROM message_metadata WHERE {condition}", params
    ).fetchone()
    assert row is not None  # EXPLAIN always answers
    return int(row[0][0]["Plan"]["Plan Rows"])


def passage_counts(conn: psycopg.Connection, message_ids: list[str]) -> dict[str, int]:
    """Of these messages, the long ones, with how many passage records each has beside its own
    (a partial index holds only those)."""
    rows = conn.execute(
        "SELECT message_id, passages FROM message_metadata "
        "WHERE passages > 0 AND message_id = ANY(%s)",
        [message_ids],
    )
    return dict(rows.fetchall())


def kept_ids(conn: psycopg.Connection, filters: Filters, limit: int) -> list[str] | None:
    """Every id the filter keeps, or None when that is more than `limit`."""
    condition, params = filters.sql_condition()
    ids = [
        r[0]
        for r in conn.execute(
            f"SELECT message_id FROM message_metadata WHERE {condition} LIMIT {int(limit) + 1}",
            params,
        )
    ]
    return ids if len(ids) <= limit else None
