"""One imported sample workspace per module and backend: the tool tests only read it."""

from collections.abc import Iterator

import pytest

from db import StoreConfig, Stores, open_stores
from ingest.export_import import import_export
from ingest.sample_export import TEAM_ID, write_sample_export
from mcp_server.tools import WorkspaceTools
from tests.conftest import fresh_store_config, skip_without_servers


@pytest.fixture(scope="module", params=["embedded", "server"])
def sample_config(request, tmp_path_factory) -> Iterator[StoreConfig]:
    skip_without_servers(request.param)
    root = tmp_path_factory.mktemp("sample")
    with fresh_store_config(request, request.param, root / "data") as config:
        yield config


@pytest.fixture(scope="module")
def sample_stores(sample_config: StoreConfig, embedder, tmp_path_factory) -> Iterator[Stores]:
    with open_stores(sample_config, embedder=embedder) as stores:
        import_export(stores, write_sample_export(tmp_path_factory.mktemp("export")))
        yield stores


@pytest.fixture(scope="module")
def tools(sample_stores: Stores) -> WorkspaceTools:
    return WorkspaceTools(sample_stores, TEAM_ID)


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the MCP SDK's transports use anyio)."""
    return "asyncio"
