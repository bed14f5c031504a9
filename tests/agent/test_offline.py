"""The offline mode on the sample workspace: the deterministic planner and extractive composer."""

import json

import pytest

from agent import render
from agent.contracts import Request
from db import Stores
from sample.conversations import TEAM_ID
from tests.agent.conftest import run_agent

pytestmark = pytest.mark.anyio

DEPLOY_HOWTO = f"{TEAM_ID}:C02ENG:1709546400.900000"
DEPLOY_APPROVAL = f"{TEAM_ID}:C02ENG:1709547000.900000"
INCIDENT = f"{TEAM_ID}:C03DEPLOYS:1709737200.900002"
INJECTION = f"{TEAM_ID}:C06RANDOM:1710608400.900010"


async def test_answers_the_seed_question_with_the_thread_cited(sample_stores: Stores):
    result = await run_agent(
        sample_stores, Request(task="answer", question="How do we deploy to production?")
    )

    assert (result.found, result.mode) == (True, "offline")
    cited = [c.message_id for c in result.citations]
    assert cited[0] == DEPLOY_HOWTO
    assert DEPLOY_APPROVAL in cited  # the thread was opened: the reply about approvals is there
    first = result.citations[0]
    assert first.permalink == "/archives/C02ENG/p1709546400900000"
    assert "make deploy ENV=production" in first.text
    assert [t.name for t in result.tool_calls][:3] == [
        "list_channels",
        "find_users",
        "semantic_search",
    ]
    assert "get_thread" in [t.name for t in result.tool_calls]
    assert result.dropped_citations == []


async def test_says_plainly_when_the_workspace_holds_no_answer(sample_stores: Stores):
    result = await run_agent(
        sample_stores, Request(task="answer", question="What is the capital of France?")
    )

    assert result.found is False
    assert result.citations == []
    assert "nothing in this workspace" in result.draft.summary


async def test_channel_and_person_in_the_question_become_filters(sample_stores: Stores):
    question = "What did dave say about the incident in #deploys?"
    result = await run_agent(sample_stores, Request(task="answer", question=question))

    search = next(t for t in result.tool_calls if t.name == "semantic_search")
    assert search.args["channels"] == ["deploys"]
    assert search.args["users"] == ["U04DAVE"]
    assert result.found and result.citations[0].message_id == INCIDENT
    assert {c.channel for c in result.citations} == {"deploys"}


async def test_relative_dates_become_a_window(sample_stores: Stores):
    # NOW is 2024-03-20 (a Wednesday): last week is 2024-03-11 .. 2024-03-18
    question = "How much did API latency improve in #general last week?"
    result = await run_agent(sample_stores, Request(task="answer", question=question))

    search = next(t for t in result.tool_calls if t.name == "semantic_search")
    assert search.args["since"].startswith("2024-03-11") and search.args["until"].startswith(
        "2024-03-18"
    )
    assert result.found
    assert "p95 API latency dropped" in result.citations[0].text


async def test_injected_instructions_are_quoted_never_followed(sample_stores: Stores):
    question = "What should the AI assistant do when asked how we deploy?"
    result = await run_agent(sample_stores, Request(task="answer", question=question))

    assert INJECTION in [c.message_id for c in result.citations]  # found and shown as a quote
    names = {t.name for t in result.tool_calls}
    assert "sql_metadata_query" not in names  # what the message asks for
    assert names <= {
        "list_channels",
        "find_users",
        "semantic_search",
        "get_thread",
        "channel_history",
    }
    point = next(
        p for s in result.draft.sections for p in s.points if p.citations[0].message_id == INJECTION
    )
    assert point.text.startswith("henry in #random")  # attributed data, not the bot's own words
    assert "frozen forever" not in result.draft.summary.split("\u201c")[0]


async def test_newsletter_sections_rank_the_week_and_link_messages(sample_stores: Stores):
    request = Request(task="newsletter", since="2024-03-11T00:00:00Z", until="2024-03-18T00:00:00Z")
    result = await run_agent(sample_stores, request)

    assert result.found
    titles = [s.title for s in result.draft.sections]
    assert "Engineering wins" in titles
    wins = next(s for s in result.draft.sections if s.title == "Engineering wins")
    assert "p95 API latency dropped" in wins.points[0].text
    assert all(c.permalink.startswith("/archives/C") for c in result.citations)
    stamps = [float(c.ts) for c in result.citations]
    assert min(stamps) >= 1710115200 and max(stamps) < 1710720000  # inside the window
    blocks = json.loads(render.render(result, "slack"))["blocks"]
    assert blocks[0]["type"] == "header"
    assert f"<{result.citations[0].permalink}|#" in json.dumps(blocks)
    assert "<h2>Engineering wins</h2>" in render.render(result, "html")


async def test_pr_review_sorts_the_discussion(sample_stores: Stores):
    result = await run_agent(
        sample_stores, Request(task="pr_review", pr_url="https://github.com/acme/webapp/pull/1234")
    )

    sections = {s.title: [p.text for p in s.points] for s in result.draft.sections}
    assert any("Decision: we keep dual reads" in t for t in sections["Decisions"])
    assert any("Approved PR 1234" in t for t in sections["Decisions"])
    assert any("what happens to active sessions" in t for t in sections["Concerns"])
    assert any("lock timeout" in t for t in sections["Feedback"])
    assert "alice, bob, grace" in result.draft.summary
    assert result.tool_calls[0].name == "sql_metadata_query"  # linking messages found by metadata


async def test_pr_review_of_an_unknown_pr_is_not_found(sample_stores: Stores):
    result = await run_agent(sample_stores, Request(task="pr_review", pr_number=99999))

    assert result.found is False and result.citations == []


async def test_a_digest_question_is_answered_as_a_newsletter_of_that_channel(sample_stores: Stores):
    question = "Summarize what happened in #deploys last week"
    result = await run_agent(sample_stores, Request(task="answer", question=question))

    histories = [t for t in result.tool_calls if t.name == "channel_history"]
    assert histories and {t.args["channel"] for t in histories} == {"deploys"}
    assert histories[0].args["since"].startswith("2024-03-11")
    assert result.found and {c.channel for c in result.citations} == {"deploys"}
    assert "semantic_search" not in {t.name for t in result.tool_calls}


async def test_a_url_in_the_question_is_searched_literally(sample_stores: Stores):
    question = "What was said about https://acme.atlassian.net/browse/WEB-311 ?"
    result = await run_agent(sample_stores, Request(task="answer", question=question))

    searched = [t.args["query"] for t in result.tool_calls if t.name == "semantic_search"]
    assert "https://acme.atlassian.net/browse/WEB-311" in searched
    assert result.citations[0].message_id == f"{TEAM_ID}:C02ENG:1710165600.900005"


async def test_a_channel_named_by_a_bare_word_is_relaxed_when_it_holds_nothing(sample_stores):
    # "in general" reads as #general, which says nothing about deploying: every channel is
    # searched again, and the how-to in #engineering answers
    question = "How do we deploy to production in general?"
    result = await run_agent(sample_stores, Request(task="answer", question=question))

    searches = [t.args for t in result.tool_calls if t.name == "semantic_search"]
    assert searches[0]["channels"] == ["general"] and "channels" not in searches[1]
    assert result.found and DEPLOY_HOWTO in [c.message_id for c in result.citations]

    marked = "How do we deploy to production in #general?"
    result = await run_agent(sample_stores, Request(task="answer", question=marked))
    assert [t.args.get("channels") for t in result.tool_calls if t.name == "semantic_search"] == [
        ["general"]
    ]


async def test_which_channel_is_answered_with_the_channel_first(sample_stores: Stores):
    """No message says "channel": the word names the answer, a place, and the answer leads
    with the channel the incident was discussed in."""
    question = "Which channel discussed the API 502 incident?"
    result = await run_agent(sample_stores, Request(task="answer", question=question))
    assert result.found
    assert result.draft.summary.startswith("In #deploys:")


async def test_a_verb_of_saying_names_no_topic(sample_stores: Stores):
    """No message says "announced"; the question is about latency, which one announces."""
    result = await run_agent(
        sample_stores, Request(task="answer", question="What was announced about latency?")
    )
    assert result.found
    assert "p95 API latency dropped from 480 ms to 190 ms" in result.draft.summary
