"""The agent's MCP client session still checks every tool result against the tool's output
schema, though it compiles each schema only once."""

import pytest
from mcp.server.fastmcp import FastMCP
from pydantic import BaseModel

from agent.mcp_session import in_process_session

pytestmark = pytest.mark.anyio


class Count(BaseModel):
    messages: int


def counting_server() -> FastMCP:
    server = FastMCP("counts")

    @server.tool()
    def count_messages(channel: str) -> Count:
        """How many messages a channel holds."""
        return Count(messages=len(channel))

    return server


# What a server would declare if its results did not match it: one more required field.
STRICTER = {
    "type": "object",
    "properties": {"messages": {"type": "integer"}, "people": {"type": "integer"}},
    "required": ["messages", "people"],
}


async def test_a_result_that_matches_its_schema_comes_back_whole():
    async with in_process_session(counting_server()) as session:
        for channel in ("general", "random"):
            result = await session.call_tool("count_messages", {"channel": channel})
            assert not result.isError
            assert result.structuredContent == {"messages": len(channel)}


async def test_a_result_its_schema_does_not_allow_is_refused_even_after_a_valid_one():
    async with in_process_session(counting_server()) as session:
        await session.call_tool("count_messages", {"channel": "general"})  # compiles the schema
        # a new listing brings a new schema object: the validator compiled for the old one must
        # not be reused
        session._tool_output_schemas["count_messages"] = dict(STRICTER)
        with pytest.raises(RuntimeError, match="Invalid structured content.*people"):
            await session.call_tool("count_messages", {"channel": "general"})


async def test_an_invalid_schema_fails_every_call():
    async with in_process_session(counting_server()) as session:
        session._tool_output_schemas["count_messages"] = {"type": "no such type"}
        for _ in range(2):
            with pytest.raises(RuntimeError, match="Invalid schema for tool count_messages"):
                await session.call_tool("count_messages", {"channel": "general"})
