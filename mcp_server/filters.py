"""A search's resolved filters, in the three forms the stores need: SQL, Chroma, and Python."""

from dataclasses import dataclass, field
from datetime import datetime

from db.models import split_message_id
from mcp_server import lookup


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
        condition, params = lookup.where(
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
