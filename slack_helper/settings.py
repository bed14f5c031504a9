"""The one settings object, read from SLACK_HELPER_* environment variables and `.env`."""

from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from db.stores import StoreConfig


class Settings(BaseSettings):
    """Everything configurable. Only the CLI reads it; packages below get explicit objects."""

    model_config = SettingsConfigDict(env_prefix="SLACK_HELPER_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("slack-helper")),
        description="Embedded PostgreSQL and Chroma live here when no server URL is set.",
    )
    database_url: str | None = Field(
        None, description="A PostgreSQL 14+ server (owner role); unset: embedded pgserver."
    )
    app_role: str = Field(
        "slack_helper_app",
        description="The non-owner login role every workspace-scoped query runs as.",
    )
    app_role_password: SecretStr | None = Field(
        None, description="Password set on the app role (server mode with password auth)."
    )
    chroma_url: str | None = Field(
        None, description="A Chroma server, e.g. http://localhost:8000; unset: PersistentClient."
    )
    chroma_tenant: str = "default_tenant"
    chroma_database: str = "default_database"
    embedding_batch_size: int = Field(16, ge=1, description="Texts per embedding forward pass.")

    def store_config(self) -> StoreConfig:
        """The stores' part of the settings (the fields the two models share)."""
        return StoreConfig(**self.model_dump(include=set(StoreConfig.model_fields)))
