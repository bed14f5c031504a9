"""The MCP server through the official `mcp` client: in memory, over stdio and over HTTP."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.memory import create_connected_server_and_client_session

from agent.contracts import Request
from agent.graph import run
from agent.playbook import AgentContext
from agent.toolbox import remote_toolbox
from db import StoreConfig, Stores
from mcp_server.server import build_server
from mcp_server.tokens import create_token
from sample.conversations import TEAM_ID
from tests.helpers import cli_env, seed_workspace

pytestmark = pytest.mark.anyio

EXPECTED_TOOLS = {
    "semantic_search",
    "sql_metadata_query",
    "get_thread",
    "reactions_for",
    "list_channels",
    "find_users",
    "get_user",
    "channel_history",
    "top_links",
    "list_files",
    "channel_events",
    "message_counts",
    "describe_schema",
}


async def _exercise(client: ClientSession) -> None:
    """What every transport must do: list typed tools, answer with content, refuse bad input."""
    await client.initialize()
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == EXPECTED_TOOLS
    search = tools["semantic_search"]
    assert search.inputSchema["required"] == ["query"]
    assert "exact terms" in search.inputSchema["properties"]["query"]["description"]
    assert search.outputSchema and "hits" in search.outputSchema["properties"]

    found = await client.call_tool("semantic_search", {"query": "How do we deploy to production?"})
    assert not found.isError
    top = found.structuredContent["hits"][0]
    assert (top["channel"], top["user"]) == ("engineering", "alice")
    thread = await client.call_tool(
        "get_thread", {"channel": "#engineering", "thread_ts": top["thread_ts"]}
    )
    assert [m["user"] for m in thread.structuredContent["messages"]] == [
        "alice",
        "bob",
        "alice",
        "dave",
    ]
    counts = await client.call_tool(
        "sql_metadata_query",
        {"sql": "SELECT count(*) AS n FROM reactions WHERE emoji = $1", "params": ["fire"]},
    )
    assert counts.structuredContent["rows"] == [[6]]

    fire = await client.call_tool("reactions_for", {"channel": "general", "emoji": "fire"})
    assert fire.structuredContent["reactions"][0]["count"] == 6
    channels = await client.call_tool("list_channels", {})
    assert len(channels.structuredContent["channels"]) == 6
    people = await client.call_tool("find_users", {"query": "okafor"})
    assert [u["user_id"] for u in people.structuredContent["users"]] == ["U03CAROL"]
    carol = await client.call_tool("get_user", {"user": "carol"})
    assert carol.structuredContent["title"] == "Product Manager"
    history = await client.call_tool("channel_history", {"channel": "product", "limit": 3})
    assert (
        len(history.structuredContent["messages"]) == 3 and history.structuredContent["next_cursor"]
    )
    links = await client.call_tool("top_links", {"link_type": "jira"})
    assert [link["url"] for link in links.structuredContent["links"]] == [
        "https://acme.atlassian.net/browse/WEB-311"
    ]
    schema = await client.call_tool("describe_schema", {})
    assert "message_metadata" in {t["name"] for t in schema.structuredContent["tables"]}

    refused = await client.call_tool("sql_metadata_query", {"sql": "SELECT * FROM installations"})
    assert refused.isError and "installations" in refused.content[0].text
    unknown = await client.call_tool("get_thread", {"channel": "nope", "thread_ts": "1.0"})
    assert unknown.isError and "unknown channel 'nope'" in unknown.content[0].text


async def test_in_memory_client(sample_stores: Stores):
    server = build_server(sample_stores, TEAM_ID)
    async with create_connected_server_and_client_session(server._mcp_server) as client:
        await _exercise(client)
        channels = await client.read_resource("slack://channels")
        assert '"engineering"' in channels.contents[0].text


async def test_stdio_transport(sample_config: StoreConfig, sample_stores: Stores):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "slack_helper", "mcp", "--workspace", TEAM_ID],
        env={**os.environ, **cli_env(sample_config)},
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
        await _exercise(client)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def http_server(sample_config: StoreConfig, sample_stores: Stores):
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "slack_helper", "mcp", "--transport", "http", "--port", str(port)],
        env={**os.environ, **cli_env(sample_config)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert child.poll() is None, "the HTTP server exited"
        try:
            httpx.post(url, timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    yield url
    child.terminate()
    child.wait(timeout=30)


async def test_http_transport_with_a_token(http_server: str, sample_stores: Stores):
    token = create_token(sample_stores, TEAM_ID, "test")
    headers = {"Authorization": f"Bearer {token}"}
    async with streamablehttp_client(http_server, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as client:
            await _exercise(client)


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer shmcp_forged"}, {"Authorization": "Basic eDp5"}]
)
def test_http_without_a_valid_token_gets_401_and_no_data(http_server: str, headers: dict):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    response = httpx.post(
        http_server,
        json=body,
        headers={**headers, "Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    assert "semantic_search" not in response.text


async def test_a_token_only_ever_sees_its_own_workspace(http_server: str, sample_stores: Stores):
    other = "TOTHER01"
    seed_workspace(
        sample_stores, other, "How we deploy to production: the secret way", "CSECRET", "secret"
    )
    headers = {"Authorization": f"Bearer {create_token(sample_stores, other)}"}
    async with streamablehttp_client(http_server, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as client:
            await client.initialize()
            channels = await client.call_tool("list_channels", {})
            assert [c["name"] for c in channels.structuredContent["channels"]] == ["secret"]
            found = await client.call_tool("semantic_search", {"query": "deploy to production"})
            assert {h["channel"] for h in found.structuredContent["hits"]} == {"secret"}
            rows = await client.call_tool(
                "sql_metadata_query", {"sql": "SELECT DISTINCT workspace_id FROM message_metadata"}
            )
            assert rows.structuredContent["rows"] == [[other]]
            stolen = await client.call_tool(
                "get_thread", {"channel": "engineering", "thread_ts": "1709546400.900000"}
            )
            assert stolen.isError


async def test_the_agent_loads_its_tools_from_a_remote_server(
    http_server: str, sample_stores: Stores
):
    token = create_token(sample_stores, TEAM_ID, "agent")
    async with remote_toolbox(http_server, token) as toolbox:
        context = AgentContext(toolbox=toolbox, embed=sample_stores.embedder.embed)
        result = await run(
            Request(task="answer", question="How do we deploy to production?"), context
        )

    assert result.found
    assert result.citations[0].message_id == f"{TEAM_ID}:C02ENG:1709546400.900000"


async def test_hostile_calls_are_tool_errors_and_the_server_keeps_answering(
    http_server: str, sample_stores: Stores
):
    """A request that once overflowed the parser's C stack, a 300 MB value and a 1 MB cursor:
    each a short tool error, and the next request is answered."""
    headers = {"Authorization": f"Bearer {create_token(sample_stores, TEAM_ID, 'attacker')}"}
    async with streamablehttp_client(http_server, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as client:
            await client.initialize()
            deep = await client.call_tool(
                "sql_metadata_query", {"sql": "SELECT " + "+".join(["1"] * 30_000)}
            )
            assert deep.isError and "the limit is 10,000" in deep.content[0].text
            huge = await client.call_tool(
                "sql_metadata_query", {"sql": "SELECT format('%300000000s', 'x')"}
            )
            assert huge.isError and len(huge.content[0].text) < 1000
            cursor = await client.call_tool(
                "channel_history", {"channel": "general", "cursor": "9" * 1_000_000}
            )
            assert cursor.isError and len(cursor.content[0].text) < 2000
            channels = await client.call_tool("list_channels", {})
            assert len(channels.structuredContent["channels"]) == 6


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"jsonrpc": "2.0", "id": 1, "method": "\xff\xfe"}', 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "' + b"x" * 2_000_000 + b'"}', 413),
    ],
    ids=["invalid-utf8", "deep-json", "two-megabytes"],
)
def test_a_malformed_or_huge_json_rpc_body_is_refused(
    http_server: str, sample_stores: Stores, body: bytes, status: int
):
    token = create_token(sample_stores, TEAM_ID, "malformed")
    response = httpx.post(
        http_server,
        content=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
    )
    assert response.status_code == status
    assert len(response.content) < 2000
