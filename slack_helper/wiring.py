"""The doors' parts built from the settings, in one place: the agent runner every door uses,
the chat model, and the bot's services and Slack config."""

from agent.llm import chat_model
from agent.runner import AgentConfig, AgentRunner
from bot.answers import BotServices
from bot.app import BotConfig
from db.stores import Stores
from slack_helper.settings import Settings


def build_runner(stores: Stores, settings: Settings) -> AgentRunner:
    """The agent runner of the CLI, the bot, schedules and evals."""
    config = AgentConfig(
        top_k=settings.agent_top_k, mcp_url=settings.mcp_url, mcp_token=settings.mcp_token
    )
    return AgentRunner(stores, model_from(settings), config)


def model_from(settings: Settings):
    """The configured chat model, or None (offline mode)."""
    if not settings.llm_model:
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return chat_model(settings.llm_model, key, settings.openai_base_url)


def bot_services(stores: Stores, settings: Settings) -> BotServices:
    """What the bot's listeners and scheduler use: the stores and the agent runner."""
    return BotServices(stores=stores, runner=build_runner(stores, settings))


def bot_config(settings: Settings) -> BotConfig:
    """How the bot reaches Slack."""
    return BotConfig(
        signing_secret=settings.slack_signing_secret,
        bot_token=settings.slack_bot_token,
        app_token=settings.slack_app_token,
        api_url=settings.slack_api_url,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_key=settings.token_key,
    )
