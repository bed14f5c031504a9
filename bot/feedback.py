"""👍/👎 on answers: stored with the question, answer and citations, exported as eval cases."""

import json
from pathlib import Path

from db import bot_store
from db.stores import Stores


def record_vote(stores: Stores, workspace_id: str, answer_id: str, user_id: str, vote: int) -> None:
    """One vote per person per answer; a second click replaces the first."""
    with stores.postgres.tenant(workspace_id) as conn:
        bot_store.record_vote(conn, workspace_id, answer_id, user_id, vote)


def export_feedback(stores: Stores, workspace_id: str, path: Path, export: str | None) -> int:
    """Write the voted answers as an eval dataset (JSONL); return how many cases.

    A 👍 answer's citations become the case's relevant messages; a 👎 answer is kept with no
    relevant messages and its answer as a note, for a person to fill in.
    """
    with stores.postgres.tenant(workspace_id) as conn:
        rated = bot_store.rated_answers(conn)
    lines = [json.dumps({"defaults": {"export": export}})] if export else []
    for answer in rated:
        helpful = answer.votes > 0
        lines.append(
            json.dumps(
                {
                    "id": f"feedback-{workspace_id}-{answer.answer_id}",
                    "kind": "semantic",
                    "question": answer.question,
                    "relevant": [c["message_id"] for c in answer.citations] if helpful else [],
                    "facts": [],
                    "votes": answer.votes,
                    "note": None if helpful else f"marked not helpful: {answer.answer[:500]}",
                }
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return len(rated)
