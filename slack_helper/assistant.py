"""The agent wired from settings: the model (or none), the tools (in-process or a remote MCP
server), and the workspace's URL for permalinks."""

import asyncio

from agent.contracts import Request, Result
from agent.graph import run, run_local
from agent.llm import chat_model
from agent.playbook import AgentContext
from agent.toolbox import remote_toolbox
from db import repository
from db.stores import Stores
from slack_helper.settings import Settings


def run_agent(stores: Stores, workspace_id: str, request: Request, settings: Settings) -> Result:
    """Run one request to completion (blocking)."""
    return asyncio.run(_run(stores, workspace_id, request, settings))


def workspace_url(stores: Stores, workspace_id: str) -> str | None:
    """https://<domain>.slack.com when the workspace's domain is known, for absolute links."""
    with stores.postgres.operator() as conn:
        found = [w for w in repository.list_workspaces(conn) if w.workspace_id == workspace_id]
    return f"https://{found[0].domain}.slack.com" if found and found[0].domain else None


def model_from(settings: Settings):
    """The configured chat model, or None (offline mode)."""
    if not settings.llm_model:
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return chat_model(settings.llm_model, key, settings.openai_base_url)


async def _run(stores: Stores, workspace_id: str, request: Request, settings: Settings) -> Result:
    model = model_from(settings)
    if not settings.mcp_url:
        return await run_local(
            stores, workspace_id, request, model=model, top_k=settings.agent_top_k
        )
    token = settings.mcp_token.get_secret_value() if settings.mcp_token else ""
    async with remote_toolbox(settings.mcp_url, token) as tools:
        context = AgentContext(
            toolbox=tools, model=model, embed=stores.embedder.embed, top_k=settings.agent_top_k
        )
        return await run(request, context)
