"""manifest.yml asks Slack for exactly what the bot uses."""

from pathlib import Path

import yaml

from bot.app import BOT_SCOPES
from bot.listeners import BOT_EVENTS, SYNC_EVENTS
from ingest.events import HANDLERS

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())


def test_scopes_match_the_oauth_flow():
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)


def test_the_manifest_subscribes_to_exactly_the_events_the_bot_handles():
    subscribed = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(subscribed) == list(BOT_EVENTS)
    # every stored-data event has a listener, and every listener a handler
    assert set(SYNC_EVENTS) | {"message"} == set(HANDLERS)
    assert MANIFEST["features"]["slash_commands"][0]["command"] == "/helper"
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
