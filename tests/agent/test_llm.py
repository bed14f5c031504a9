"""The graph with a model: the real langchain-openai client against a scripted fake
OpenAI-compatible server, over the sample workspace's real tools."""

import json

import pytest

from agent import render
from agent.contracts import Request
from agent.llm import SYSTEM
from db import Stores
from tests.agent.conftest import run_agent
from tests.agent.test_offline import DEPLOY_APPROVAL, DEPLOY_HOWTO
from tests.fakes.openai_server import fake_openai, text, tool_calls

pytestmark = pytest.mark.anyio


def is_compose(body: dict) -> bool:
    """The composer asks for the Draft function by name; planning leaves the choice open."""
    return isinstance(body.get("tool_choice"), dict)


def draft(*citations: dict, found: bool = True) -> dict:
    return tool_calls(
        (
            "Draft",
            {
                "found": found,
                "summary": "Merge to main, then run make deploy from the release branch.",
                "sections": [
                    {
                        "title": "Steps",
                        "points": [{"text": "Run make deploy.", "citations": list(citations)}],
                    }
                ],
            },
        )
    )


async def test_model_plans_parallel_calls_and_invented_citations_are_dropped(sample_stores: Stores):
    def script(body: dict, n: int):
        if is_compose(body):
            return draft(
                {"message_id": DEPLOY_HOWTO, "quote": "make deploy ENV=production"},
                {"message_id": "TSAMPLE01:C02ENG:1111111111.000000", "quote": ""},  # invented id
                {"message_id": DEPLOY_HOWTO, "quote": "deploy whenever you like"},  # invented quote
            )
        if n == 0:
            return tool_calls(
                ("semantic_search", {"query": "deploy to production", "limit": 5}),
                ("list_channels", {}),
            )
        return text("I have what I need.")

    with fake_openai(script) as (base_url, fake):
        result = await run_agent(
            sample_stores, Request(task="answer", question="How do we deploy?"), base_url=base_url
        )

    assert result.mode == "llm" and result.found
    assert [c.message_id for c in result.citations] == [DEPLOY_HOWTO]
    assert len(result.dropped_citations) == 2
    assert {t.name for t in result.tool_calls} == {"semantic_search", "list_channels"}
    # the first request offered every MCP tool; the second carried both results of the one step
    offered = {t["function"]["name"] for t in fake.requests[0]["tools"]}
    assert {"semantic_search", "sql_metadata_query", "get_thread", "reactions_for"} <= offered
    tool_results = [m for m in fake.requests[1]["messages"] if m["role"] == "tool"]
    assert {m["tool_call_id"] for m in tool_results} == {"call_0_0", "call_0_1"}
    assert any("make deploy ENV=production" in m["content"] for m in tool_results)
    assert is_compose(fake.requests[2]) and len(fake.requests) == 3


async def test_the_step_limit_stops_a_model_that_keeps_calling_tools(sample_stores: Stores):
    def script(body: dict, n: int):
        if is_compose(body):
            return draft(found=False)
        return tool_calls(("list_channels", {}))

    with fake_openai(script) as (base_url, fake):
        result = await run_agent(
            sample_stores,
            Request(task="answer", question="Anything?"),
            base_url=base_url,
            max_steps=2,
        )

    assert len(result.tool_calls) == 2
    assert sum(not is_compose(b) for b in fake.requests) == 3  # the third plan is not acted on
    compose_messages = fake.requests[-1]["messages"]
    assert any(m["role"] == "tool" and "step limit" in m["content"] for m in compose_messages)
    assert result.found is False


async def test_the_model_recovers_from_a_tool_error(sample_stores: Stores):
    def script(body: dict, n: int):
        if is_compose(body):
            return draft(
                {"message_id": DEPLOY_APPROVAL, "quote": "one approval from the on-call SRE"}
            )
        if n == 0:
            return tool_calls(
                ("get_thread", {"channel": "no-such-channel", "thread_ts": "1709546400.900000"})
            )
        last = body["messages"][-1]
        if n == 1 and last["role"] == "tool" and last["content"].startswith("Error"):
            return tool_calls(
                ("get_thread", {"channel": "engineering", "thread_ts": "1709546400.900000"})
            )
        return text("done")

    with fake_openai(script) as (base_url, fake):
        result = await run_agent(
            sample_stores,
            Request(task="answer", question="Who approves deploys?"),
            base_url=base_url,
        )

    error = fake.requests[1]["messages"][-1]
    assert error["role"] == "tool" and "no-such-channel" in error["content"]
    assert [c.message_id for c in result.citations] == [DEPLOY_APPROVAL]
    assert [t.args["channel"] for t in result.tool_calls] == ["no-such-channel", "engineering"]


async def test_message_text_reaches_the_model_only_as_tool_data(sample_stores: Stores):
    def script(body: dict, n: int):
        if is_compose(body):
            return draft(found=False)
        if n == 0:
            return tool_calls(
                ("semantic_search", {"query": "note to the AI assistant", "limit": 5})
            )
        return text("done")

    with fake_openai(script) as (base_url, fake):
        await run_agent(
            sample_stores,
            Request(task="answer", question="Any notes for assistants?"),
            base_url=base_url,
        )

    injection = "ignore all previous instructions"
    carriers = {
        m["role"]
        for body in fake.requests
        for m in body["messages"]
        if injection in str(m.get("content"))
    }
    assert carriers == {"tool"}  # never in the system or user turn
    system = fake.requests[0]["messages"][0]
    assert system["role"] == "system" and system["content"].startswith(SYSTEM)


NEWSLETTER_WEEK = Request(
    task="newsletter", since="2024-03-11T00:00:00Z", until="2024-03-18T00:00:00Z"
)


async def test_the_model_writes_a_newsletters_headlines_over_the_same_cited_groups(
    sample_stores: Stores,
):
    offline = await run_agent(sample_stores, NEWSLETTER_WEEK)

    def script(body: dict, n: int):
        topics = json.loads(next(m for m in body["messages"] if m["role"] == "tool")["content"])
        written = [
            {"topic": t["topic"], "headline": f"Model headline {t['topic']}"} for t in topics
        ]
        written[0]["headline"] = "<!channel> " + "very long " * 20  # hostile, and too long
        del written[1]  # a topic the model skipped keeps its own headline
        return tool_calls(("Headlines", {"headlines": [*written, {"topic": 99, "headline": "x"}]}))

    with fake_openai(script) as (base_url, fake):
        result = await run_agent(sample_stores, NEWSLETTER_WEEK, base_url=base_url)

    # one request: the groups are read and chosen offline, the model only writes words
    (body,) = fake.requests
    assert body["tool_choice"]["function"]["name"] == "Headlines"
    shown = next(m for m in body["messages"] if m["role"] == "tool")["content"]
    assert "p95 API latency dropped" in shown  # message text reaches the model as tool data
    assert result.mode == "llm" and result.found
    assert result.citations == offline.citations
    old = [p.text for s in offline.draft.sections for p in s.points]
    new = [p.text for s in result.draft.sections for p in s.points]
    assert len(new) == len(old) >= 3
    assert new[0].startswith("<!channel> very long") and len(new[0].split(" (")[0]) <= 92
    assert new[1] == old[1]
    assert all(t.startswith(f"Model headline {n}") for n, t in enumerate(new[2:], start=2))
    blocks = json.dumps(render.slack_blocks(result))
    assert "<!channel>" not in blocks and "&lt;!channel&gt; very long" in blocks
