"""The agent's tools are the MCP server's: loaded through langchain-mcp-adapters, either from an
in-process server over memory streams or from a remote server by URL. No second registry."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp.client.streamable_http import streamablehttp_client
from pydantic import BaseModel

from agent.mcp_session import CompiledSchemaSession, in_process_session
from db.stores import Stores
from mcp_server.server import build_server


class ToolOutcome(BaseModel):
    """One tool call and what came back: structured data, or the error the tool reported."""

    call_id: str
    name: str
    args: dict[str, Any]
    ok: bool
    data: dict[str, Any] | None = None
    error: str | None = None
    content: str = ""


class Toolbox:
    """Tools by name, called with LangChain tool-call dicts so results keep their structure."""

    def __init__(self, tools: list[BaseTool]):
        self.tools = {tool.name: tool for tool in tools}

    async def call(self, call_id: str, name: str, args: dict[str, Any]) -> ToolOutcome:
        """Run one tool; an unknown tool or a tool error becomes a failed outcome, not a crash."""
        tool = self.tools.get(name)
        if tool is None:
            error = f"unknown tool {name!r}; available: {', '.join(sorted(self.tools))}"
            return ToolOutcome(call_id=call_id, name=name, args=args, ok=False, error=error)
        message: ToolMessage = await tool.ainvoke(
            {"type": "tool_call", "id": call_id, "name": name, "args": args}
        )
        content = _text(message.content)
        if message.status == "error":
            return ToolOutcome(
                call_id=call_id, name=name, args=args, ok=False, error=content, content=content
            )
        artifact = message.artifact or {}
        data = artifact.get("structured_content") if isinstance(artifact, dict) else None
        return ToolOutcome(
            call_id=call_id, name=name, args=args, ok=True, data=data, content=content
        )


@asynccontextmanager
async def local_toolbox(stores: Stores, workspace_id: str) -> AsyncIterator[Toolbox]:
    """The tools of an in-process MCP server over `stores`, fixed to one workspace."""
    server = build_server(stores, workspace_id)
    async with in_process_session(server) as session:
        yield Toolbox(await load_mcp_tools(session))


@asynccontextmanager
async def remote_toolbox(url: str, token: str) -> AsyncIterator[Toolbox]:
    """The tools of a remote `slack-helper mcp --transport http` server; the token picks the
    workspace."""
    headers = {"Authorization": f"Bearer {token}"}
    async with streamablehttp_client(url, headers=headers) as (read, write, _):
        async with CompiledSchemaSession(read, write) as session:
            await session.initialize()
            yield Toolbox(await load_mcp_tools(session))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = [block.get("text", "") if isinstance(block, dict) else str(block) for block in content]
    return "\n".join(parts)
