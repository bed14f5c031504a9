"""Requests a stranger or a confused workspace sends the bot: refused before they are parsed,
size-capped, and bound to the team of the token that received them."""

import hashlib
import hmac
import time
from urllib.parse import urlencode

import httpx
import pytest

from sample.conversations import TEAM_ID
from tests.bot.conftest import SECRET, RunningBot, event
from tests.helpers import seed_workspace

OTHER_TEAM = "TSTRANGER"


@pytest.mark.parametrize(
    "body",
    [b'{"type": "event_callback", "event": ', b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe{}"],
    ids=["truncated-json", "deep-json", "invalid-utf8"],
)
def test_an_unsigned_malformed_body_is_a_401_not_a_500(single_bot: RunningBot, body: bytes):
    response = httpx.post(
        f"{single_bot.url}/slack/events",
        content=body,
        headers={"Content-Type": "application/json", "X-Slack-Signature": "v0=00"},
    )
    assert response.status_code == 401


def test_a_garbage_timestamp_or_signature_is_a_401(single_bot: RunningBot):
    for stamp, signature in (
        ("not-a-number", "v0=00"),
        (str(int(time.time())), "v0=\xe9".encode("latin-1")),
    ):
        response = httpx.post(
            f"{single_bot.url}/slack/events",
            content=b"{}",
            headers={"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature},
        )
        assert response.status_code == 401


def test_a_body_over_a_megabyte_is_refused_unread(single_bot: RunningBot):
    signed_but_huge = single_bot.post({"type": "url_verification", "challenge": "x" * 2_000_000})
    assert signed_but_huge.status_code == 413

    def chunks():  # 300 MB announced chunk by chunk, with no length to refuse it by
        for _ in range(300):
            yield b"x" * 1_000_000

    try:
        streamed = httpx.post(f"{single_bot.url}/slack/events", content=chunks(), timeout=30)
    except httpx.TransportError:
        pass  # the server answered 413 and closed while the client was still sending
    else:
        assert streamed.status_code == 413
    assert single_bot.post({"type": "url_verification", "challenge": "ok"}).json() == {
        "challenge": "ok"
    }


def _signed_command(bot: RunningBot, team: str, text: str) -> httpx.Response:
    raw = urlencode(
        {
            "command": "/helper",
            "text": text,
            "team_id": team,
            "user_id": "U01ALICE",
            "channel_id": "C01GENERAL",
            "response_url": f"{bot.url}/nowhere",
            "trigger_id": "1.2.3",
        }
    )
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{raw}".encode(), hashlib.sha256)
    return httpx.post(
        f"{bot.url}/slack/events",
        content=raw,
        headers={
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest.hexdigest()}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=30,
    )


def test_a_signed_request_for_another_team_is_refused_in_bot_token_mode(single_bot: RunningBot):
    stores = single_bot.services.stores
    seed_workspace(stores, OTHER_TEAM, "The stranger's private plans", "CSTRANGE", "plans")
    planted = event(
        OTHER_TEAM,
        "EvPlanted",
        type="message",
        channel="CSTRANGE",
        channel_type="channel",
        user="U1",
        ts="1710000300.000100",
        text="planted into someone else's workspace",
    )
    assert single_bot.post(planted).status_code == 403
    status = _signed_command(single_bot, OTHER_TEAM, "status")
    assert status.status_code == 403 and "message" not in status.text
    with stores.postgres.tenant(OTHER_TEAM) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM message_metadata WHERE ts = '1710000300.000100'"
        ).fetchone()
    assert stored == (0,)
    own = _signed_command(single_bot, TEAM_ID, "status")
    assert own.status_code == 200 and "message" in own.text
