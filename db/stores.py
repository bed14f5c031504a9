"""One factory that opens both stores from one config: embedded by default, servers by URL."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, SecretStr

from db.embedder import Embedder, MiniLMEmbedder
from db.postgres import Postgres, open_postgres
from db.vectors import VectorStore, open_chroma


class StoreConfig(BaseModel):
    """Where the stores live. `None` URLs mean the embedded stores under `data_dir`."""

    data_dir: Path
    database_url: str | None = None
    chroma_url: str | None = None
    chroma_tenant: str = "default_tenant"
    chroma_database: str = "default_database"
    app_role: str = "slack_helper_app"
    app_role_password: SecretStr | None = None
    embedding_batch_size: int = 16
    pool_size: int = 6  # application-role connections; a drain worker uses two


@dataclass
class Stores:
    """The open stores and the embedder that fills the vector side."""

    postgres: Postgres
    vectors: VectorStore
    embedder: Embedder


@contextmanager
def open_stores(config: StoreConfig, embedder: Embedder | None = None) -> Iterator[Stores]:
    """Open PostgreSQL (migrated) and Chroma; close them on exit."""
    embedder = embedder or MiniLMEmbedder(batch_size=config.embedding_batch_size)
    password = config.app_role_password.get_secret_value() if config.app_role_password else None
    postgres = open_postgres(
        config.database_url, config.data_dir, config.app_role, password, config.pool_size
    )
    try:
        client = open_chroma(
            config.chroma_url, config.data_dir, config.chroma_tenant, config.chroma_database
        )
        yield Stores(
            postgres=postgres, vectors=VectorStore(client, embedder.name), embedder=embedder
        )
    finally:
        postgres.close()
