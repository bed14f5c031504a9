"""The agent over the sample workspace. Embedded stores only: the tools it calls are already
tested on both backends, and the agent sees them only through MCP."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from agent.contracts import Request, Result
from agent.graph import run
from agent.llm import chat_model
from agent.playbook import AgentContext
from agent.toolbox import local_toolbox
from db import StoreConfig, Stores
from sample.conversations import TEAM_ID
from tests.conftest import fresh_store_config

NOW = datetime(2024, 3, 20, 12, tzinfo=UTC)  # "last week" in the sample's second week


@pytest.fixture(scope="module")
def sample_config(request, tmp_path_factory) -> Iterator[StoreConfig]:
    with fresh_store_config(request, "embedded", tmp_path_factory.mktemp("agent") / "data") as c:
        yield c


async def run_agent(
    stores: Stores,
    request: Request,
    *,
    base_url: str | None = None,
    max_steps: int | None = None,
) -> Result:
    """One agent run over the sample workspace: offline, or against a fake model at base_url."""
    model = chat_model("fake-model", "sk-test", base_url) if base_url else None
    async with local_toolbox(stores, TEAM_ID) as toolbox:
        context = AgentContext(
            toolbox=toolbox, model=model, embed=stores.embedder.embed, max_steps=max_steps, now=NOW
        )
        return await run(request, context)
