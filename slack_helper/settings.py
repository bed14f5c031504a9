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
    pool_size: int = Field(6, ge=2, description="PostgreSQL connections of the app role.")
    export_max_file_mb: int = Field(
        64, ge=1, description="Largest file of an export read (MiB); a bigger one is refused."
    )
    slack_bot_token: SecretStr | None = Field(
        None, description="Bot token (xoxb-…) for backfill and the bot."
    )
    slack_signing_secret: SecretStr | None = Field(
        None, description="Verifies that HTTP requests to the bot come from Slack."
    )
    slack_app_token: SecretStr | None = Field(None, description="xapp-… token for socket mode.")
    slack_client_id: str | None = Field(None, description="OAuth installs into many workspaces.")
    slack_client_secret: SecretStr | None = None
    token_key: SecretStr | None = Field(
        None, description="Fernet key that encrypts installed bot tokens at rest."
    )
    slack_api_url: str | None = Field(
        None, description="Slack Web API base URL; unset: https://slack.com/api/."
    )
    slack_pace: dict[str, float] = Field(
        default_factory=dict,
        description='Seconds between calls per Web API method, e.g. {"conversations.history": '
        "60} for a workspace on Slack's 1-request-a-minute tier.",
    )
    thread_lookback_days: float = Field(
        7, ge=0, description="Backfill re-reads this much recent history to catch late replies."
    )
    llm_model: str | None = Field(
        None, description="Chat model name for the agent; unset: the offline mode answers."
    )
    openai_api_key: SecretStr | None = Field(
        None, validation_alias="OPENAI_API_KEY", description="Key for the model's endpoint."
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias="OPENAI_BASE_URL",
        description="Any OpenAI-compatible endpoint (vLLM, Ollama, llama.cpp, LM Studio).",
    )
    mcp_url: str | None = Field(
        None, description="Agent tools from this remote MCP server (…/mcp) instead of in-process."
    )
    mcp_token: SecretStr | None = Field(None, description="Bearer token for mcp_url.")
    agent_top_k: int = Field(8, ge=1, le=50, description="Messages per search the agent asks for.")

    def store_config(self) -> StoreConfig:
        """The stores' part of the settings (the fields the two models share)."""
        return StoreConfig(**self.model_dump(include=set(StoreConfig.model_fields)))
