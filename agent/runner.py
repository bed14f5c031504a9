"""The one way to run the agent: built once from the settings' part that concerns it, then used
by the CLI, the bot, scheduled newsletters and evals alike, so none of them can drift."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, SecretStr

from agent.contracts import Request, Result
from agent.graph import build_graph, run
from agent.playbook import AgentContext
from agent.toolbox import local_toolbox, remote_toolbox
from db.stores import Stores


class AgentConfig(BaseModel):
    """How the agent runs: messages per search, and where its tools come from (an in-process
    MCP server over the stores, or a remote one whose bearer token picks the workspace)."""

    top_k: int = 8
    mcp_url: str | None = None
    mcp_token: SecretStr | None = None


@dataclass
class AgentRunner:
    """The stores, the chat model (None: the offline mode) and the config, held once."""

    stores: Stores
    model: BaseChatModel | None = None
    config: AgentConfig = field(default_factory=AgentConfig)

    @asynccontextmanager
    async def session(self, workspace_id: str) -> AsyncIterator[AgentContext]:
        """A run context whose tools stay open for several runs (evals ask many questions)."""
        if self.config.mcp_url:
            token = self.config.mcp_token.get_secret_value() if self.config.mcp_token else ""
            tools = remote_toolbox(self.config.mcp_url, token)
        else:
            tools = local_toolbox(self.stores, workspace_id)
        async with tools as toolbox:
            yield AgentContext(
                toolbox=toolbox,
                model=self.model,
                embed=self.stores.embedder.embed,
                top_k=self.config.top_k,
            )

    async def arun(
        self,
        workspace_id: str,
        request: Request,
        *,
        memory: BaseCheckpointSaver | None = None,
        memory_key: str | None = None,
    ) -> Result:
        """Run one request; with `memory` and a `memory_key`, as the next turn of that
        conversation (the bot's thread memory)."""
        graph = build_graph(memory) if memory is not None else None
        async with self.session(workspace_id) as context:
            return await run(request, context, graph=graph, memory_key=memory_key)

    def run(self, workspace_id: str, request: Request) -> Result:
        """Run one request to completion (blocking)."""
        return asyncio.run(self.arun(workspace_id, request))

    def with_local_tools(self) -> "AgentRunner":
        """The same runner on its in-process tools: for evals, which score the stores they
        imported into, not whatever a remote server holds."""
        config = self.config.model_copy(update={"mcp_url": None, "mcp_token": None})
        return AgentRunner(self.stores, self.model, config)
