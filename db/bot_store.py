"""What the bot keeps per workspace: its answers and their votes, and its settings
(bot_config: newsletter schedules)."""

import json
from typing import Any

import psycopg
from pydantic import BaseModel


class AnswerRecord(BaseModel):
    """One answer the bot posted: where, to whom, and what it cited."""

    answer_id: str
    channel_id: str
    thread_ts: str
    user_id: str | None
    question: str
    answer: str
    citations: list[dict[str, Any]]
    mode: str


class RatedAnswer(BaseModel):
    """An answer with the sum of its votes (👍 +1, 👎 -1)."""

    answer_id: str
    question: str
    answer: str
    citations: list[dict[str, Any]]
    votes: int


def record_answer(conn: psycopg.Connection, workspace_id: str, record: AnswerRecord) -> None:
    """Keep an answer, so votes can refer to it and follow-ups find the thread."""
    conn.execute(
        """INSERT INTO bot_answers (workspace_id, answer_id, channel_id, thread_ts, user_id,
                                    question, answer, citations, mode)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [
            workspace_id,
            record.answer_id,
            record.channel_id,
            record.thread_ts,
            record.user_id,
            record.question,
            record.answer,
            json.dumps(record.citations),
            record.mode,
        ],
    )


def answered_in_thread(conn: psycopg.Connection, channel_id: str, thread_ts: str) -> bool:
    """Whether the bot has answered in this thread."""
    row = conn.execute(
        "SELECT 1 FROM bot_answers WHERE channel_id = %s AND thread_ts = %s LIMIT 1",
        [channel_id, thread_ts],
    ).fetchone()
    return row is not None


def record_vote(
    conn: psycopg.Connection, workspace_id: str, answer_id: str, user_id: str, vote: int
) -> None:
    """One vote per person per answer; a second click replaces the first."""
    conn.execute(
        """INSERT INTO bot_feedback (workspace_id, answer_id, user_id, vote)
           VALUES (%s, %s, %s, %s)
           ON CONFLICT (workspace_id, answer_id, user_id) DO UPDATE SET
             vote = excluded.vote, created_at = now()""",
        [workspace_id, answer_id, user_id, vote],
    )


def rated_answers(conn: psycopg.Connection) -> list[RatedAnswer]:
    """Every answer someone voted on, with its vote total, by answer id."""
    rows = conn.execute(
        """SELECT a.answer_id, a.question, a.answer, a.citations, sum(f.vote)
           FROM bot_answers a JOIN bot_feedback f USING (workspace_id, answer_id)
           GROUP BY a.answer_id, a.question, a.answer, a.citations ORDER BY a.answer_id"""
    ).fetchall()
    return [
        RatedAnswer(answer_id=a, question=q, answer=text, citations=c, votes=v)
        for a, q, text, c, v in rows
    ]


def load_config(conn: psycopg.Connection, key: str) -> Any | None:
    """One bot setting of the bound workspace (JSON), or None."""
    row = conn.execute("SELECT value FROM bot_config WHERE key = %s", [key]).fetchone()
    return row[0] if row else None


def save_config(conn: psycopg.Connection, workspace_id: str, key: str, value: Any) -> None:
    """Replace one bot setting."""
    conn.execute(
        """INSERT INTO bot_config (workspace_id, key, value) VALUES (%s, %s, %s)
           ON CONFLICT (workspace_id, key) DO UPDATE SET value = excluded.value,
             updated_at = now()""",
        [workspace_id, key, json.dumps(value)],
    )
