"""A running bot over real HTTP: uvicorn serving the Bolt app, signed requests from the tests,
and a fake Slack Web API recording what the bot sends back."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet

from agent.runner import AgentRunner
from bot.answers import BotServices
from bot.app import BotConfig, build_app, http_asgi
from db import StoreConfig, Stores
from sample.conversations import TEAM_ID
from tests.conftest import fresh_store_config
from tests.fakes.slack_server import FakeSlack, FakeWorkspace, fake_slack

SECRET = "s3cret-signing"


@pytest.fixture(scope="module")
def sample_config(request, tmp_path_factory) -> Iterator[StoreConfig]:
    """Embedded stores only: the bot reaches them through the same code as every test."""
    with fresh_store_config(request, "embedded", tmp_path_factory.mktemp("bot") / "data") as c:
        yield c


@dataclass
class RunningBot:
    """A bot listening on `url`, and the fake Slack it talks to."""

    url: str
    slack: FakeSlack
    services: BotServices
    app: object

    def post(self, body: dict | str, *, secret: str = SECRET, age: int = 0, headers=None):
        """A request signed as Slack signs them (JSON for events, a form for interactivity)."""
        raw = body if isinstance(body, str) else json.dumps(body)
        content_type = (
            "application/x-www-form-urlencoded" if isinstance(body, str) else "application/json"
        )
        stamp = str(int(time.time()) - age)
        digest = hmac.new(secret.encode(), f"v0:{stamp}:{raw}".encode(), hashlib.sha256)
        signed = {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest.hexdigest()}",
            "Content-Type": content_type,
            **(headers or {}),
        }
        return httpx.post(f"{self.url}/slack/events", content=raw, headers=signed, timeout=30)


def event(team: str, event_id: str, **fields) -> dict:
    """An Events API envelope."""
    return {
        "token": "unused",
        "team_id": team,
        "api_app_id": "AAPP",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": fields,
    }


def interaction(team: str, payload: dict) -> str:
    """An interactivity request: form-encoded `payload=` JSON."""
    return urlencode({"payload": json.dumps({"team": {"id": team}, **payload})})


def wait_for(check: Callable[[], object], timeout: float = 90) -> object:
    """Poll until `check` returns something truthy (the bot answers after its ack)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError("the bot never did it")


@contextmanager
def running_bot(
    stores: Stores,
    config: BotConfig,
    workspace: FakeWorkspace,
    services: BotServices | None = None,
) -> Iterator[RunningBot]:
    """Serve the Bolt app with uvicorn on a free port, against a fake Slack (by default with
    an offline agent on in-process tools)."""
    with fake_slack(workspace) as (api_url, slack):
        services = services or BotServices(stores=stores, runner=AgentRunner(stores))
        services.setup_memory()
        app = build_app(services, config.model_copy(update={"api_url": api_url}))
        server = uvicorn.Server(
            uvicorn.Config(http_asgi(app, SECRET), host="127.0.0.1", port=0, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_for(lambda: server.started, timeout=30)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield RunningBot(
                url=f"http://127.0.0.1:{port}", slack=slack, services=services, app=app
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)


@pytest.fixture(scope="module")
def single_bot(sample_stores: Stores) -> Iterator[RunningBot]:
    """One workspace (the sample), by bot token."""
    config = BotConfig(signing_secret=SECRET, bot_token="xoxb-fake")
    with running_bot(sample_stores, config, FakeWorkspace(team_id=TEAM_ID)) as bot:
        yield bot


@pytest.fixture(scope="module")
def multi_bot(sample_stores: Stores) -> Iterator[RunningBot]:
    """Many workspaces, by OAuth installs stored in PostgreSQL."""
    config = BotConfig(
        signing_secret=SECRET,
        client_id="111.222",
        client_secret="shh",
        token_key=Fernet.generate_key().decode(),
    )
    workspace = FakeWorkspace(team_id=TEAM_ID, extra_tokens=["xoxb-a", "xoxb-b"])
    with running_bot(sample_stores, config, workspace) as bot:
        yield bot
