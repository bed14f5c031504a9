"""The tools over the imported sample workspace (tests/conftest.py imports it per module)."""

import pytest

from db import Stores
from mcp_server.tools import WorkspaceTools
from sample.conversations import TEAM_ID


@pytest.fixture(scope="module")
def tools(sample_stores: Stores) -> WorkspaceTools:
    return WorkspaceTools(sample_stores, TEAM_ID)
