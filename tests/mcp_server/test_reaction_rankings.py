"""Rankings of reactions on the real houston export ("which emoji is used most?", "who reacts
the most?", one author's most reacted message), each checked against the export's JSON read
here independently, not against the stores."""

import json
from collections import Counter

from agent.contracts import Request
from agent.runner import AgentRunner
from db import Stores
from mcp_server.contracts import ReactionsArgs
from mcp_server.tools import WorkspaceTools
from tests.conftest import HOUSTON, shared_export


def _messages() -> list[tuple[str, dict]]:
    root = shared_export("houston-datavis")
    return [
        (day.parent.name, m)
        for day in sorted(root.glob("*/*.json"))
        for m in json.loads(day.read_text())
    ]


def _names() -> dict[str, str]:
    users = json.loads((shared_export("houston-datavis") / "users.json").read_text())
    return {u["id"]: u["name"] for u in users}


def _ask(stores: Stores, question: str):
    return AgentRunner(stores).run(HOUSTON, Request(task="answer", question=question))


def test_the_emoji_used_most(houston: Stores):
    used = Counter()
    for _, m in _messages():
        for r in m.get("reactions") or []:
            used[r["name"]] += len(r["users"])
    result = _ask(houston, "Which emoji is used most in reactions?")
    top = ", ".join(f":{name}: {n}" for name, n in used.most_common(3))
    assert result.found and result.draft.summary.startswith(f"The reactions used most: {top}")


def test_who_gives_an_emoji_most(houston: Stores):
    given = Counter(
        user
        for _, m in _messages()
        for r in m.get("reactions") or []
        if r["name"] == "+1"
        for user in r["users"]
    )
    (first, most), (_, second) = given.most_common(2)
    assert most > second  # the first is unambiguous
    result = _ask(houston, "Who reacted with :+1: most often?")
    assert result.draft.summary.startswith(
        f":+1: reactions given most by {_names()[first]} ({most}), "
    ), result.draft.summary


def test_one_authors_most_reacted_message(houston: Stores):
    names = {name: user for user, name in _names().items()}
    author = names["micahstubbs"]
    reacted = Counter()
    for channel, m in _messages():
        if m.get("user") == author and m.get("reactions"):
            reacted[(channel, m["ts"])] = sum(len(r["users"]) for r in m["reactions"])
    ((channel, ts), _), *_ = reacted.most_common(1)
    tools = WorkspaceTools(houston, HOUSTON)
    top = tools.reactions_for(ReactionsArgs(user="micahstubbs")).top_messages
    assert top and all(m.user_id == author for m in top)
    assert (top[0].channel, top[0].ts) == (channel, ts)
    result = _ask(houston, "Which of micahstubbs's messages got the most reactions?")
    assert result.citations[0].message_id == top[0].message_id


def test_the_most_reacted_message_on_a_subject_is_ranked_among_those_found(houston: Stores):
    reacted_on_jam = {
        m["ts"]: sum(r["count"] for r in m["reactions"])
        for _, m in _messages()
        # the channel and its people write it both ways: "the data jam", "our next datajam"
        if m.get("reactions") and "datajam" in m.get("text", "").lower().replace(" ", "")
    }
    result = _ask(houston, "Which message about the data jam got the most reactions?")
    assert result.draft.summary.startswith("Of the messages on that subject, the one with ")
    top = result.citations[0]
    assert top.ts in reacted_on_jam  # about the subject, and reacted to
    workspace_top = WorkspaceTools(houston, HOUSTON).reactions_for(ReactionsArgs()).top_messages
    assert top.message_id != workspace_top[0].message_id  # not the workspace's favourite


def test_a_subject_nobody_reacted_to_is_said(houston: Stores):
    assert not any(
        m.get("reactions") for _, m in _messages() if "shiny" in m.get("text", "").lower()
    )
    result = _ask(houston, "What post about Shiny got the most reactions?")
    assert not result.found
    assert result.draft.summary == "None of the messages I found on that subject drew reactions."


def test_a_question_on_a_subject_that_asks_no_reactions_ranks_none(houston: Stores):
    result = _ask(houston, "Where is a good place to ask questions about census data?")
    assert "Most reacted" not in [section.title for section in result.draft.sections]
