"""The bot over real signed HTTP requests, answering through a fake Slack Web API."""

import asyncio
import json
import threading

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation

from agent.runner import AgentRunner
from bot.feedback import export_feedback
from bot.schedules import NewsletterScheduler, add_schedule, list_schedules
from ingest.vector_sync import drain
from sample.conversations import TEAM_ID
from tests.bot.conftest import RunningBot, event, interaction, wait_for
from tests.helpers import seed_workspace

MENTION_TS = "1710000000.000100"
DEPLOY_PERMALINK = "/archives/C02ENG/p1709546400900000"


def mention(event_id: str, text: str, ts: str = MENTION_TS, **extra) -> dict:
    return event(
        TEAM_ID,
        event_id,
        type="app_mention",
        channel="C02ENG",
        user="U02BOB",
        ts=ts,
        text=text,
        **extra,
    )


def test_forged_or_stale_requests_are_refused(single_bot: RunningBot):
    body = mention("EvForged", "<@UBOT> How do we deploy to production?", ts="1710000009.000001")
    assert single_bot.post(body, secret="not-the-secret").status_code == 401
    assert single_bot.post(body, age=60 * 10).status_code == 401  # older than 5 minutes
    with single_bot.services.stores.postgres.tenant(TEAM_ID) as conn:
        seen = conn.execute("SELECT count(*) FROM processed_events WHERE event_id LIKE '%EvForged'")
        assert seen.fetchone() == (0,)
    assert not [
        p
        for p in single_bot.slack.calls("chat.postMessage")
        if p.get("thread_ts") == "1710000009.000001"
    ]


def test_a_mention_is_answered_in_its_thread_with_citations(single_bot: RunningBot):
    response = single_bot.post(mention("EvMention", "<@UBOT> How do we deploy to production?"))
    assert response.status_code == 200

    update = wait_for(lambda: [u for u in single_bot.slack.calls("chat.update") if "blocks" in u])
    placeholder = next(
        p for p in single_bot.slack.calls("chat.postMessage") if p.get("thread_ts") == MENTION_TS
    )
    assert "Thinking" in placeholder["text"]
    blocks = json.dumps(update[0]["blocks"])
    assert DEPLOY_PERMALINK in blocks and "feedback_up" in blocks
    with single_bot.services.stores.postgres.tenant(TEAM_ID) as conn:
        question, citations = conn.execute("SELECT question, citations FROM bot_answers").fetchone()
    assert question == "How do we deploy to production?"
    assert citations[0]["permalink"] == DEPLOY_PERMALINK

    # Slack retries when it thinks we were slow: the same event again is not answered again
    retried = single_bot.post(
        mention("EvMention", "<@UBOT> How do we deploy to production?"),
        headers={"X-Slack-Retry-Num": "1"},
    )
    assert retried.status_code == 200
    threading.Event().wait(2)
    thread_posts = [
        p for p in single_bot.slack.calls("chat.postMessage") if p.get("thread_ts") == MENTION_TS
    ]
    assert len(thread_posts) == 1


def test_a_follow_up_in_the_thread_needs_no_mention_and_uses_memory(single_bot: RunningBot):
    wait_for(
        lambda: [
            p
            for p in single_bot.slack.calls("chat.postMessage")
            if p.get("thread_ts") == MENTION_TS
        ]
    )
    wait_for(lambda: _answers(single_bot, MENTION_TS) >= 1)
    follow_up = event(
        TEAM_ID,
        "EvFollowUp",
        type="message",
        channel="C02ENG",
        channel_type="channel",
        user="U02BOB",
        ts="1710000100.000200",
        thread_ts=MENTION_TS,
        text="and who needs to approve it?",
    )
    assert single_bot.post(follow_up).status_code == 200
    wait_for(lambda: _answers(single_bot, MENTION_TS) >= 2)

    key = f"{TEAM_ID}:C02ENG:{MENTION_TS}"
    questions = asyncio.run(_remembered_questions(single_bot.services.memory_dsn, key))
    assert questions == ["How do we deploy to production?", "and who needs to approve it?"]
    with single_bot.services.stores.postgres.tenant(TEAM_ID) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM message_metadata WHERE ts = '1710000100.000200'"
        )
        assert stored.fetchone() == (1,)  # the follow-up itself was synced too
        answer = conn.execute(
            "SELECT answer FROM bot_answers WHERE question = 'and who needs to approve it?'"
        ).fetchone()[0]
    assert "on-call SRE" in answer  # read with the question before it


def test_a_feedback_click_is_stored_and_exported(single_bot: RunningBot, tmp_path):
    wait_for(lambda: _answers(single_bot, MENTION_TS) >= 1)
    with single_bot.services.stores.postgres.tenant(TEAM_ID) as conn:
        answer_id = conn.execute(
            "SELECT answer_id FROM bot_answers ORDER BY created_at LIMIT 1"
        ).fetchone()[0]
    click = interaction(
        TEAM_ID,
        {
            "type": "block_actions",
            "user": {"id": "U02BOB"},
            "api_app_id": "AAPP",
            "container": {"type": "message", "channel_id": "C02ENG", "message_ts": answer_id},
            "channel": {"id": "C02ENG"},
            "actions": [
                {
                    "action_id": "feedback_up",
                    "block_id": "feedback",
                    "value": answer_id,
                    "type": "button",
                }
            ],
            "trigger_id": "1.2.3",
            "response_url": "https://hooks.invalid/response",
        },
    )
    assert single_bot.post(click).status_code == 200
    with single_bot.services.stores.postgres.tenant(TEAM_ID) as conn:
        vote = wait_for(lambda: conn.execute("SELECT vote FROM bot_feedback").fetchone())
    assert vote == (1,)

    count = export_feedback(
        single_bot.services.stores, TEAM_ID, tmp_path / "fb.jsonl", "sample:600"
    )
    lines = [json.loads(line) for line in (tmp_path / "fb.jsonl").read_text().splitlines()]
    assert count == 1 and lines[0] == {"defaults": {"export": "sample:600"}}
    assert f"{TEAM_ID}:C02ENG:1709546400.900000" in lines[1]["relevant"]


def test_message_events_reach_both_stores(single_bot: RunningBot):
    new = event(
        TEAM_ID,
        "EvNew",
        type="message",
        channel="C01GENERAL",
        channel_type="channel",
        user="U03CAROL",
        ts="1710000200.000300",
        text="The quarterly planning doc is ready for review",
    )
    _deliver_and_index(single_bot, [new], "1710000200.000300")
    stores = single_bot.services.stores
    assert stores.vectors.get(TEAM_ID, [f"{TEAM_ID}:C01GENERAL:1710000200.000300"])


def test_a_schedule_posts_once_per_slot_with_two_schedulers(single_bot: RunningBot):
    stores = single_bot.services.stores
    schedule = add_schedule(stores, TEAM_ID, "#general", "0 9 * * MON", days=30)
    assert list_schedules(stores, TEAM_ID) == [schedule]
    client = WebClient(token="xoxb-fake", base_url=single_bot.app.client.base_url)
    replicas = [
        NewsletterScheduler(stores, lambda _: client, AgentRunner(stores)) for _ in range(2)
    ]
    replicas[0].reload()
    job = replicas[0].scheduler.get_job(f"{TEAM_ID}:{schedule.schedule_id}")
    assert str(job.trigger) == "cron[month='*', day='*', day_of_week='mon', hour='9', minute='0']"

    before = len(single_bot.slack.calls("chat.postMessage"))
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda r=r: results.append(r.fire(TEAM_ID, schedule)))
        for r in replicas
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    posted = single_bot.slack.calls("chat.postMessage")[before:]
    assert sorted(results) == [False, True]
    assert [p["channel"] for p in posted] == ["C01GENERAL"]


def test_uninstall_removes_tokens_and_events_stay_in_their_workspace(multi_bot: RunningBot):
    stores = multi_bot.services.stores
    store = multi_bot.app.installation_store
    seed_workspace(stores, "TOTHER01", "another company's message", "C9", "elsewhere")
    for team, token in ((TEAM_ID, "xoxb-a"), ("TOTHER01", "xoxb-b")):
        store.save(
            Installation(
                app_id="AAPP",
                team_id=team,
                team_name=team,
                bot_token=token,
                bot_id="BBOT",
                bot_user_id="UBOT",
                user_id="U01ALICE",
            )
        )
    with stores.postgres.tenant("TOTHER01") as conn:
        cipher = conn.execute("SELECT bot_token_encrypted FROM installations").fetchone()[0]
    assert cipher != "xoxb-b" and "xoxb" not in cipher  # encrypted at rest

    def count(team: str) -> int:
        with stores.postgres.tenant(team) as conn:
            return conn.execute("SELECT count(*) FROM message_metadata").fetchone()[0]

    ours, theirs = count(TEAM_ID), count("TOTHER01")
    new = event(
        "TOTHER01",
        "EvOther",
        type="message",
        channel="C9",
        channel_type="channel",
        user="U1",
        ts="1710000300.000400",
        text="hello from the other workspace",
    )
    assert multi_bot.post(new).status_code == 200
    wait_for(lambda: count("TOTHER01") == theirs + 1)
    assert count(TEAM_ID) == ours

    assert (
        multi_bot.post(event("TOTHER01", "EvUninstall", type="app_uninstalled")).status_code == 200
    )
    wait_for(lambda: store.find_bot(enterprise_id=None, team_id="TOTHER01") is None)
    assert store.find_bot(enterprise_id=None, team_id=TEAM_ID).bot_token == "xoxb-a"


def _answers(bot: RunningBot, thread_ts: str) -> int:
    with bot.services.stores.postgres.tenant(TEAM_ID) as conn:
        return conn.execute(
            "SELECT count(*) FROM bot_answers WHERE thread_ts = %s", [thread_ts]
        ).fetchone()[0]


async def _remembered_questions(dsn: str, key: str) -> list[str]:
    async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
        checkpoint = await saver.aget_tuple({"configurable": {"thread_id": key}})
    return checkpoint.checkpoint["channel_values"]["questions"]


def test_private_content_asked_about_in_public_is_sent_only_to_the_asker(single_bot: RunningBot):
    from bot.answers import PRIVATE_NOTE

    secret_channel = event(
        TEAM_ID,
        "EvPrivateChannel",
        type="channel_created",
        channel={
            "id": "GSECRET1",
            "name": "falcon-core",
            "is_private": True,
            "created": 1710000000,
        },
    )
    secret = event(
        TEAM_ID,
        "EvPrivateMessage",
        type="message",
        channel="GSECRET1",
        channel_type="group",
        user="U01ALICE",
        ts="1710000400.000500",
        text="The launch codename for Project Falcon is BLUEBIRD, keep it quiet.",
    )
    _deliver_and_index(single_bot, [secret_channel, secret], "1710000400.000500")

    ask_ts = "1710000500.000600"
    assert (
        single_bot.post(
            mention(
                "EvAskPrivate", "<@UBOT> What is the launch codename for Project Falcon?", ts=ask_ts
            )
        ).status_code
        == 200
    )
    ephemeral = wait_for(lambda: single_bot.slack.calls("chat.postEphemeral"))
    assert ephemeral[0]["user"] == "U02BOB" and "falcon-core" in json.dumps(ephemeral[0]["blocks"])
    placeholder = next(
        p for p in single_bot.slack.calls("chat.postMessage") if p.get("thread_ts") == ask_ts
    )
    assert placeholder["channel"] == "C02ENG"
    notes = [u for u in single_bot.slack.calls("chat.update") if u.get("text") == PRIVATE_NOTE]
    assert notes and "blocks" not in notes[0]  # the public thread gets the note, not the answer


def _deliver_and_index(bot: RunningBot, bodies: list[dict], ts: str) -> None:
    """Post events to the bot, wait until the message `ts` is stored, then embed it."""
    for body in bodies:
        assert bot.post(body).status_code == 200
    stores = bot.services.stores
    with stores.postgres.tenant(TEAM_ID) as conn:
        wait_for(
            lambda: conn.execute("SELECT 1 FROM message_metadata WHERE ts = %s", [ts]).fetchone()
        )
    drain(stores, TEAM_ID)
