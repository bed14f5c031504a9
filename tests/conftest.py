"""Real stores for every test: one parametrized fixture runs each store test on both backends.

- `embedded`: a pgserver PostgreSQL cluster (one per session, a fresh database per test) and a
  Chroma PersistentClient in the test's temp dir.
- `server`: the PostgreSQL server at SLACK_HELPER_TEST_DATABASE_URL and the Chroma server at
  SLACK_HELPER_TEST_CHROMA_URL (`.ci/run` starts one), a fresh database in each per test.

Every test gets its own database and its own application role, dropped afterwards.
"""

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from db import StoreConfig, Stores, open_stores
from db.embedder import MiniLMEmbedder
from db.migrate import reader_role
from ingest.export_import import import_export
from sample.export import write_sample_export

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SERVER_DSN = os.environ.get("SLACK_HELPER_TEST_DATABASE_URL")
SERVER_CHROMA = os.environ.get("SLACK_HELPER_TEST_CHROMA_URL")


def shared_export(name: str) -> Path:
    """A real export from ../shared/data, or skip when this clone has none."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent (it ships beside the project in CI, not in a user's clone)")
    return path


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    """The real embedding model, loaded once per session."""
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def embedded_cluster(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Operator DSN of a pgserver cluster shared by the session's embedded tests."""
    import pgserver

    server = pgserver.get_server(tmp_path_factory.mktemp("pgserver") / "pg", cleanup_mode="stop")
    return server.get_uri("postgres")


def skip_without_servers(backend: str) -> None:
    """Skip the server variant of a test when no servers were given."""
    if backend == "server" and not (SERVER_DSN and SERVER_CHROMA):
        pytest.skip(
            "server backend needs SLACK_HELPER_TEST_DATABASE_URL and SLACK_HELPER_TEST_CHROMA_URL "
            "(.ci/run sets both); the embedded backend ran instead"
        )


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which pair of stores a test runs against."""
    skip_without_servers(request.param)
    return request.param


@contextmanager
def fresh_store_config(
    request: pytest.FixtureRequest, backend: str, data_dir: Path
) -> Iterator[StoreConfig]:
    """A StoreConfig on a new database and app role (and Chroma database in server mode)."""
    operator_dsn = (
        SERVER_DSN if backend == "server" else request.getfixturevalue("embedded_cluster")
    )
    suffix = uuid.uuid4().hex[:12]
    database, role = f"sh_test_{suffix}", f"sh_app_{suffix}"
    with psycopg.connect(operator_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    chroma_database = "default_database"
    if backend == "server":
        chroma_database = f"sh_test_{suffix}"
        _chroma_admin().create_database(chroma_database)
    try:
        yield StoreConfig(
            data_dir=data_dir,
            database_url=make_conninfo(operator_dsn, dbname=database),
            chroma_url=SERVER_CHROMA if backend == "server" else None,
            chroma_database=chroma_database,
            app_role=role,
        )
    finally:
        with psycopg.connect(operator_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            for name in (role, reader_role(role)):
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
        if backend == "server":
            _chroma_admin().delete_database(chroma_database)


@pytest.fixture
def store_config(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> Iterator[StoreConfig]:
    """A StoreConfig on a fresh database and app role, dropped after the test."""
    with fresh_store_config(request, backend, tmp_path / "data") as config:
        yield config


@pytest.fixture
def stores(store_config: StoreConfig, embedder: MiniLMEmbedder) -> Iterator[Stores]:
    """Both stores, open, migrated, empty."""
    with open_stores(store_config, embedder=embedder) as opened:
        yield opened


def _chroma_admin():
    from urllib.parse import urlparse

    import chromadb

    url = urlparse(SERVER_CHROMA)
    return chromadb.AdminClient(
        chromadb.Settings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host=url.hostname,
            chroma_server_http_port=url.port,
            anonymized_telemetry=False,
        )
    )


@pytest.fixture(scope="module", params=["embedded", "server"])
def sample_config(request, tmp_path_factory) -> Iterator[StoreConfig]:
    """A fresh database for the module's sample workspace, on each backend."""
    skip_without_servers(request.param)
    root = tmp_path_factory.mktemp("sample")
    with fresh_store_config(request, request.param, root / "data") as config:
        yield config


@pytest.fixture(scope="module")
def sample_stores(sample_config: StoreConfig, embedder, tmp_path_factory) -> Iterator[Stores]:
    """The sample workspace imported once per module and backend; tests only read it."""
    with open_stores(sample_config, embedder=embedder) as stores:
        import_export(stores, write_sample_export(tmp_path_factory.mktemp("export")))
        yield stores


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the MCP SDK's transports use anyio)."""
    return "asyncio"


HOUSTON = "T061A2UFL"  # the real export's team id


@pytest.fixture(scope="session")
def houston(request, embedder, tmp_path_factory) -> Iterator[Stores]:
    """The real houston-datavis export imported once per run; tests only read it."""
    export = shared_export("houston-datavis")
    root = tmp_path_factory.mktemp("houston")
    with fresh_store_config(request, "embedded", root / "data") as config:
        with open_stores(config, embedder=embedder) as stores:
            report = import_export(stores, export)
            assert report.domain == "houstondatavis"
            yield stores
