"""manifest.yml asks Slack for exactly what the bot uses."""

from pathlib import Path

import yaml

from bot.app import BOT_SCOPES
from bot.listeners import SYNC_EVENTS

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())


def test_scopes_match_the_oauth_flow():
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_every_event_the_bot_listens_to_is_subscribed():
    subscribed = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    needed = {*SYNC_EVENTS, "app_mention", "app_uninstalled", "tokens_revoked", "message.channels"}
    assert needed <= subscribed
    assert MANIFEST["features"]["slash_commands"][0]["command"] == "/helper"
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
