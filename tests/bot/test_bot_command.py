"""`slack-helper bot` as started from a shell: settings wired, signatures checked."""

import os
import socket
import subprocess
import sys
import time

import httpx

from db import StoreConfig, Stores
from tests.bot.conftest import SECRET, RunningBot
from tests.fakes.slack_server import FakeWorkspace, fake_slack
from tests.helpers import cli_env, seed_workspace


def test_the_bot_command_serves_signed_http(store_config: StoreConfig, stores: Stores):
    seed_workspace(stores, "TFAKE01", "hello")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with fake_slack(FakeWorkspace()) as (api_url, slack):
        env = {
            **os.environ,
            **cli_env(store_config),
            "SLACK_HELPER_SLACK_BOT_TOKEN": "xoxb-fake",
            "SLACK_HELPER_SLACK_SIGNING_SECRET": SECRET,
            "SLACK_HELPER_SLACK_API_URL": api_url,
        }
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "slack_helper",
                "bot",
                "--mode",
                "http",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            bot = RunningBot(url=f"http://127.0.0.1:{port}", slack=slack, services=None, app=None)
            deadline = time.monotonic() + 120
            while True:
                assert child.poll() is None, child.stderr.read().decode()
                try:
                    challenge = bot.post({"type": "url_verification", "challenge": "abc123"})
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the bot never listened"
                    time.sleep(0.3)
            assert challenge.status_code == 200 and challenge.json() == {"challenge": "abc123"}
            forged = bot.post({"type": "url_verification", "challenge": "x"}, secret="wrong")
            assert forged.status_code == 401
            assert [m for m, _ in slack.requests][:1] == ["auth.test"]  # Bolt checked the token
        finally:
            child.terminate()
            child.wait(timeout=30)
