"""The Bolt app and its two ways in: HTTP (Events API, interactivity, slash commands at
/slack/events, signatures verified) and Socket Mode. One workspace by bot token, or many by
OAuth installs stored in PostgreSQL."""

import logging
import threading
from collections.abc import Callable, Mapping

import anyio
import uvicorn
from pydantic import BaseModel, SecretStr
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from bot.answers import BotServices
from bot.installations import PgInstallationStore, PgOAuthStateStore, TokenCipher
from bot.listeners import register
from bot.schedules import NewsletterScheduler
from mcp_server.body_guard import BodyCheck, BodyGuard, Refusal

log = logging.getLogger(__name__)
# Slack's own payloads are kilobytes; a megabyte leaves room and bounds what a stranger can send
MAX_BODY_BYTES = 1 << 20
BOT_SCOPES = [
    "app_mentions:read",
    "bookmarks:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:read",
    "groups:history",
    "groups:read",
    "im:history",
    "links:read",
    "pins:read",
    "reactions:read",
    "team:read",
    "users:read",
]


class BotConfig(BaseModel):
    """How the bot reaches Slack. A bot token means one workspace; OAuth client id and secret
    (and a token key) mean installs into many."""

    signing_secret: SecretStr | None = None
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token_key: SecretStr | None = None


def build_app(bot: BotServices, config: BotConfig) -> App:
    """The Bolt app with every listener registered."""
    base_url = config.api_url or "https://slack.com/api/"
    secret = config.signing_secret.get_secret_value() if config.signing_secret else None
    if config.client_id:
        if not (config.client_secret and config.token_key):
            raise ValueError(
                "OAuth installs need SLACK_HELPER_SLACK_CLIENT_SECRET and SLACK_HELPER_TOKEN_KEY"
            )
        store = PgInstallationStore(bot.stores, TokenCipher(config.token_key.get_secret_value()))
        app = App(
            signing_secret=secret,
            client=WebClient(base_url=base_url),
            installation_store=store,
            oauth_settings=OAuthSettings(
                client_id=config.client_id,
                client_secret=config.client_secret.get_secret_value(),
                scopes=BOT_SCOPES,
                installation_store=store,
                state_store=PgOAuthStateStore(bot.stores),
            ),
        )
        app.enable_token_revocation_listeners()
    else:
        if not config.bot_token:
            raise ValueError("set SLACK_HELPER_SLACK_BOT_TOKEN (one workspace) or OAuth settings")
        token = config.bot_token.get_secret_value()
        app = App(
            token=token,
            signing_secret=secret,
            client=WebClient(token=token, base_url=base_url),
        )
        app.use(only_the_token_team)
    register(app, bot)
    return app


def only_the_token_team(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Bot-token mode: the token belongs to one team (auth.test says which), so a request
    naming another team is refused, never stored into or answered from that team's data.
    (With OAuth installs Bolt already finds the token by the request's team.)"""
    token_team = context.authorize_result.team_id if context.authorize_result else None
    if token_team and context.team_id and context.team_id != token_team:
        log.warning(
            "refused a request for team %s; this token is %s's", context.team_id, token_team
        )
        return BoltResponse(status=403, body="this app serves another workspace")
    return next()


def client_factory(app: App) -> Callable[[str], WebClient | None]:
    """A WebClient for a workspace: the bot token's, or its install's (None if none)."""

    def client_for(workspace_id: str) -> WebClient | None:
        if app.installation_store is None:
            return app.client
        found = app.installation_store.find_bot(enterprise_id=None, team_id=workspace_id)
        if found is None:
            return None
        return WebClient(token=found.bot_token, base_url=app.client.base_url)

    return client_for


def http_asgi(app: App, signing_secret: str) -> BodyGuard:
    """Events, interactivity and slash commands at /slack/events; the OAuth install pages.

    Every POST body is size-capped and its signature checked on the raw bytes before Bolt
    parses it, so an unsigned body costs nothing and malformed JSON from a stranger is a 401.
    """
    handler = SlackRequestHandler(app)

    async def events(request: Request):
        # Bolt's dispatch blocks (signature check, ack); keep it off the event loop
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await anyio.to_thread.run_sync(app.dispatch, bolt_request))

    async def oauth(request: Request):
        return await handler.handle(request)

    routes = Starlette(
        routes=[
            Route("/slack/events", endpoint=events, methods=["POST"]),
            Route("/slack/install", endpoint=oauth, methods=["GET"]),
            Route("/slack/oauth_redirect", endpoint=oauth, methods=["GET"]),
        ]
    )
    return BodyGuard(routes, max_bytes=MAX_BODY_BYTES, check=signed_by(signing_secret))


def signed_by(signing_secret: str) -> BodyCheck:
    """A body check: Slack's v0 signature over the raw bytes, at most five minutes old."""
    verifier = SignatureVerifier(signing_secret)

    def check(body: bytes, headers: Mapping[str, str]) -> None:
        try:
            valid = verifier.is_valid_request(body, headers)
        except (ValueError, TypeError):  # a timestamp that is no number, a non-ASCII signature
            valid = False
        if not valid:
            raise Refusal(401, {"error": "invalid or missing Slack signature"})

    return check


def serve(
    app: App,
    bot: BotServices,
    *,
    mode: str,
    host: str,
    port: int,
    app_token: str | None,
    signing_secret: str | None,
    started: threading.Event | None = None,
) -> None:
    """Run the bot until interrupted, with the newsletter scheduler alongside."""
    bot.setup_memory()
    scheduler = NewsletterScheduler(bot.stores, client_factory(app), bot.runner)
    scheduler.start()
    try:
        if mode == "socket":
            if not app_token:
                raise ValueError("socket mode needs SLACK_HELPER_SLACK_APP_TOKEN (xapp-…)")
            handler = SocketModeHandler(app, app_token)
            if started:
                started.set()
            handler.start()
        else:
            if not signing_secret:
                raise ValueError("HTTP mode needs SLACK_HELPER_SLACK_SIGNING_SECRET")
            server = uvicorn.Server(
                uvicorn.Config(
                    http_asgi(app, signing_secret), host=host, port=port, log_level="warning"
                )
            )
            if started:
                started.set()
            server.run()
    finally:
        scheduler.shutdown()
