"""👍/👎 on answers: stored with the question, answer and citations, exported as eval cases."""

import json
from pathlib import Path

from db.stores import Stores


def record_vote(stores: Stores, workspace_id: str, answer_id: str, user_id: str, vote: int) -> None:
    """One vote per person per answer; a second click replaces the first."""
    with stores.postgres.tenant(workspace_id) as conn:
        conn.execute(
            """INSERT INTO bot_feedback (workspace_id, answer_id, user_id, vote)
               VALUES (%s, %s, %s, %s)
               ON CONFLICT (workspace_id, answer_id, user_id) DO UPDATE SET
                 vote = excluded.vote, created_at = now()""",
            [workspace_id, answer_id, user_id, vote],
        )


def export_feedback(stores: Stores, workspace_id: str, path: Path, export: str | None) -> int:
    """Write the voted answers as an eval dataset (JSONL); return how many cases.

    A 👍 answer's citations become the case's relevant messages; a 👎 answer is kept with no
    relevant messages and its answer as a note, for a person to fill in.
    """
    with stores.postgres.tenant(workspace_id) as conn:
        rows = conn.execute(
            """SELECT a.answer_id, a.question, a.answer, a.citations, sum(f.vote)
               FROM bot_answers a JOIN bot_feedback f USING (workspace_id, answer_id)
               GROUP BY a.answer_id, a.question, a.answer, a.citations ORDER BY a.answer_id"""
        ).fetchall()
    lines = [json.dumps({"defaults": {"export": export}})] if export else []
    for answer_id, question, answer, citations, votes in rows:
        helpful = votes > 0
        lines.append(
            json.dumps(
                {
                    "id": f"feedback-{workspace_id}-{answer_id}",
                    "kind": "semantic",
                    "question": question,
                    "relevant": [c["message_id"] for c in citations] if helpful else [],
                    "facts": [],
                    "votes": votes,
                    "note": None if helpful else f"marked not helpful: {answer[:500]}",
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return len(rows)
