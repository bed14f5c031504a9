"""Backfill from a fake Slack Web API (real HTTP, real slack_sdk) into real stores."""

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from db import StoreConfig, Stores, open_stores
from ingest.backfill import backfill
from ingest.slack_api import SlackApi, SlackError
from tests.fakes.slack_server import FakeWorkspace, fake_slack
from tests.helpers import assert_stores_agree, cli_env

NOW = datetime.now(UTC).replace(microsecond=0)
USERS = [("U1", "alice"), ("U2", "bob"), ("U3", "carol")]


def _ts(hours_ago: float, seq: int = 0) -> str:
    return f"{(NOW - timedelta(hours=hours_ago)).timestamp():.0f}.{seq:06d}"


def make_workspace() -> FakeWorkspace:
    """Three readable channels (one private), one the bot is not in; threads, files, reactions,
    links; timestamps in the last two days so the thread lookback covers them."""
    w = FakeWorkspace()
    w.users = [{"id": uid, "name": name, "profile": {"display_name": name}} for uid, name in USERS]
    w.channels = [
        {"id": "C1", "name": "general", "is_private": False, "is_member": True},
        {"id": "C2", "name": "engineering", "is_private": False, "is_member": True},
        {"id": "C3", "name": "secret-project", "is_private": True, "is_member": True},
        {"id": "C4", "name": "outside", "is_private": False, "is_member": False},
    ]
    w.errors[("conversations.history", "C4")] = "not_in_channel"
    w.messages["C4"] = []
    for n, channel in enumerate(["C1", "C2", "C3"]):
        w.messages[channel] = [
            {
                "type": "message",
                "ts": _ts(40 - i * 3, n),
                "user": USERS[i % 3][0],
                "text": f"{channel} message {i}: the deploy checklist item {i}",
            }
            for i in range(12)
        ]
    first = w.messages["C1"][0]
    first["reactions"] = [{"name": "tada", "users": ["U2", "U3"], "count": 2}]
    first["text"] += " see <https://github.com/acme/webapp/pull/7>"
    w.messages["C3"][1]["files"] = [{"id": "F1", "name": "plan.pdf", "title": "Launch plan"}]
    for parent in w.messages["C2"][2:4]:
        for i in range(6):
            w.add_reply(
                "C2",
                parent["ts"],
                {
                    "type": "message",
                    "ts": f"{float(parent['ts']) + 60 * (i + 1):.6f}",
                    "thread_ts": parent["ts"],
                    "user": USERS[i % 3][0],
                    "text": f"reply {i} to {parent['ts']}",
                },
            )
    w.bookmarks["C1"] = [{"id": "Bk1", "title": "Runbook", "link": "https://wiki/runbook"}]
    return w


def expected_ids(w: FakeWorkspace) -> set[str]:
    top = {f"{w.team_id}:{c}:{m['ts']}" for c, ms in w.messages.items() for m in ms}
    replies = {f"{w.team_id}:{c}:{r['ts']}" for (c, _), rs in w.replies.items() for r in rs}
    return top | replies


def stored_ids(stores: Stores, workspace_id: str) -> list[str]:
    with stores.postgres.tenant(workspace_id) as conn:
        return [r[0] for r in conn.execute("SELECT message_id FROM message_metadata")]


def test_backfill_copies_exactly_the_fake_workspace(stores: Stores):
    w = make_workspace()
    w.rate_limit_every = {"conversations.history": 4, "conversations.replies": 3}
    with fake_slack(w) as (url, fake):
        report = backfill(stores, SlackApi(w.token, url), now=NOW)

    assert (report.workspace_id, report.name) == ("TFAKE01", "Fake Co")
    ids = stored_ids(stores, w.team_id)
    assert len(ids) == len(set(ids)) and set(ids) == expected_ids(w)
    assert assert_stores_agree(stores, w.team_id) == expected_ids(w)
    (failed,) = report.failed
    assert (
        failed.name == "outside" and "not_in_channel" in failed.error and "/invite" in failed.error
    )
    assert sum(1 for m, _ in fake.requests if m == "conversations.history") > 12  # 429s retried
    with stores.postgres.tenant(w.team_id) as conn:
        assert conn.execute("SELECT kind FROM channels WHERE channel_id = 'C3'").fetchone() == (
            "private",
        )
        assert conn.execute("SELECT count(*) FROM reactions").fetchone() == (2,)
        assert conn.execute("SELECT file_id FROM files").fetchall() == [("F1",)]
        assert conn.execute("SELECT link_type FROM links").fetchall() == [("github_pr",)]
        assert conn.execute("SELECT title FROM bookmarks").fetchall() == [("Runbook",)]
        assert conn.execute("SELECT domain FROM workspaces").fetchone() == ("fakeco",)
        replies = conn.execute(
            "SELECT count(*) FROM message_metadata WHERE message_type = 'thread_reply'"
        ).fetchone()
        assert replies == (12,)


def test_rerun_fetches_only_what_is_new_and_late_replies(stores: Stores):
    w = make_workspace()
    with fake_slack(w) as (url, fake):
        api = SlackApi(w.token, url)
        backfill(stores, api, now=NOW)
        fake.requests.clear()

        again = backfill(stores, api, now=NOW)
        assert again.messages >= 0 and not [
            p for m, p in fake.requests if m == "conversations.replies"
        ]
        assert sorted(stored_ids(stores, w.team_id)) == sorted(expected_ids(w))

        parent = w.messages["C2"][2]
        w.add_reply(
            "C2",
            parent["ts"],
            {
                "type": "message",
                "ts": _ts(0.5, 1),
                "thread_ts": parent["ts"],
                "user": "U3",
                "text": "late reply about rollback",
            },
        )
        w.messages["C1"].append(
            {"type": "message", "ts": _ts(0.2, 2), "user": "U1", "text": "brand new message"}
        )
        fake.requests.clear()
        backfill(stores, api, now=NOW)

    replies_asked = [p["ts"] for m, p in fake.requests if m == "conversations.replies"]
    assert set(replies_asked) == {parent["ts"]}  # only the thread whose latest_reply moved
    assert set(stored_ids(stores, w.team_id)) == expected_ids(w)
    assert_stores_agree(stores, w.team_id)


def test_only_the_named_channels_and_clear_errors(stores: Stores):
    w = make_workspace()
    with fake_slack(w) as (url, _):
        report = backfill(stores, SlackApi(w.token, url), channels=["#secret-project"], now=NOW)
        assert [c.name for c in report.channels] == ["secret-project"]
        with pytest.raises(ValueError, match="unknown channel"):
            backfill(stores, SlackApi(w.token, url), channels=["nope"], now=NOW)
        with pytest.raises(SlackError, match="invalid_auth.*token is not valid"):
            backfill(stores, SlackApi("xoxb-wrong", url), now=NOW)
    assert {i.split(":")[1] for i in stored_ids(stores, w.team_id)} == {"C3"}


def test_kill_9_mid_backfill_then_rerun(store_config: StoreConfig, embedder):
    w = make_workspace()
    with fake_slack(w, page_size=2) as (url, fake):
        env = {
            **os.environ,
            **cli_env(store_config),
            "SLACK_HELPER_SLACK_API_URL": url,
            "SLACK_HELPER_SLACK_PACE": '{"conversations.history": 0.25}',
        }
        child = subprocess.Popen(
            [sys.executable, "-m", "slack_helper", "ingest", "backfill", "--token", w.token],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_for_pages(store_config.database_url, child)
        finally:
            child.kill()
            child.wait()
        first_run = history_pages(fake)
        fake.requests.clear()

        with open_stores(store_config, embedder=embedder) as stores:
            with stores.postgres.tenant(w.team_id) as conn:
                finished = {
                    r[0]
                    for r in conn.execute(
                        "SELECT scope FROM sync_status WHERE source = 'api' AND status = 'done'"
                    )
                }
            # no lookback: a finished channel is asked only for what is newer than it holds
            backfill(stores, SlackApi(w.token, url), now=NOW, thread_lookback=timedelta(0))
            second_run = history_pages(fake)
            ids = stored_ids(stores, w.team_id)
            assert len(ids) == len(set(ids)) and set(ids) == expected_ids(w)
            assert_stores_agree(stores, w.team_id)

    assert len(finished) < 3, "the kill came too late to test anything"
    for channel in finished:
        assert [c for c, _ in second_run].count(channel) == 1
    # pages after the first are named by cursor: only the one in flight may be asked again
    assert len({p for p in first_run if p[1]} & {p for p in second_run if p[1]}) <= 1


def history_pages(fake) -> list[tuple[str, str | None]]:
    return [
        (p["channel"], p.get("cursor")) for m, p in fake.requests if m == "conversations.history"
    ]


def _wait_for_pages(dsn: str, child: subprocess.Popen, timeout: float = 180) -> None:
    """Until some channel has committed pages with more to come."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert child.poll() is None, child.stderr.read().decode()
        try:
            with psycopg.connect(dsn) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM sync_status WHERE source = 'api' AND status = 'running' "
                    "AND cursor IS NOT NULL AND items >= 8"
                ).fetchone()
                if row[0]:
                    return
        except psycopg.errors.UndefinedTable:
            pass
        time.sleep(0.02)
    raise AssertionError("the backfill never got part way")
