"""The bot is built from the settings the way `slack-helper bot` builds it, so the agent
settings reach it: SLACK_HELPER_AGENT_TOP_K and SLACK_HELPER_MCP_URL (with its token)."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from bot.app import BotConfig
from db import Stores
from mcp_server.server import build_server
from mcp_server.tokens import create_token
from sample.conversations import TEAM_ID
from slack_helper.settings import Settings
from slack_helper.wiring import bot_services
from tests.bot.conftest import SECRET, event, running_bot, wait_for
from tests.fakes.slack_server import FakeWorkspace
from tests.helpers import seed_workspace

REMOTE = "TREMOTE01"


class RecordingASGI:
    """Keeps the body of every HTTP request before passing it on: what the bot's agent asked
    the MCP server, as it went over the wire."""

    def __init__(self, app):
        self.app = app
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []

        async def spy():
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self.bodies.append(b"".join(chunks))
            return message

        return await self.app(scope, spy, send)

    def tool_calls(self, name: str) -> list[dict]:
        """The arguments of every tools/call of `name`."""
        calls = []
        for body in self.bodies:
            try:
                rpc = json.loads(body)
            except ValueError:
                continue
            if rpc.get("method") == "tools/call" and rpc["params"]["name"] == name:
                calls.append(rpc["params"].get("arguments", {}))
        return calls


@contextmanager
def mcp_http_server(stores: Stores) -> Iterator[tuple[str, RecordingASGI]]:
    """`slack-helper mcp --transport http` in a thread, on a free port, recording requests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    app = RecordingASGI(build_server(stores, http_url=url, port=port).streamable_http_app())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=30)
    try:
        yield f"{url}/mcp", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_bot_uses_the_configured_mcp_server_and_top_k(sample_stores: Stores):
    seed_workspace(
        sample_stores, REMOTE, "Deploys to production go through the blue-green switch.", "CREM"
    )
    token = create_token(sample_stores, REMOTE, "bot-test")
    with mcp_http_server(sample_stores) as (mcp_url, recorder):
        settings = Settings(agent_top_k=3, mcp_url=mcp_url, mcp_token=token)
        config = BotConfig(signing_secret=SECRET, bot_token="xoxb-fake")
        services = bot_services(sample_stores, settings)
        with running_bot(sample_stores, config, FakeWorkspace(team_id=TEAM_ID), services) as bot:
            question = "<@UBOT> How do we deploy to production?"
            body = event(
                TEAM_ID,
                "EvWired",
                type="app_mention",
                channel="C02ENG",
                user="U02BOB",
                ts="1710000077.000100",
                text=question,
            )
            assert bot.post(body).status_code == 200
            update = wait_for(lambda: [u for u in bot.slack.calls("chat.update") if "blocks" in u])

    searches = recorder.tool_calls("semantic_search")
    assert searches and all(args["limit"] == 3 for args in searches)
    # the token picks the workspace the remote server answers from: the remote's message is
    # cited, the sample's deploy how-to (in-process tools would find it) is not
    blocks = json.dumps(update[0]["blocks"])
    assert "blue-green switch" in blocks
    assert "/archives/C02ENG/p1709546400900000" not in blocks
