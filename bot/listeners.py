"""Bolt listeners, one per Slack surface, wired by `register(app, services)`.

Events are acknowledged by Bolt at once and handled after; errors are raised to Bolt's error
handler, which logs them. Every sync event goes through ingest/events.py (idempotent per
event_id), and every answer is claimed per event so a redelivery is not answered twice.
"""

import logging
import re
from datetime import UTC, datetime

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.answers import BotServices, answer_in_thread, answered_here, first_time
from bot.feedback import record_vote
from bot.schedules import NewsletterSchedule, post_slot
from db import repository
from ingest.events import apply_event

log = logging.getLogger(__name__)
SYNC_EVENTS = (
    "reaction_added",
    "reaction_removed",
    "pin_added",
    "pin_removed",
    "link_shared",
    "file_shared",
    "file_deleted",
    "channel_created",
    "channel_rename",
    "channel_archive",
    "channel_unarchive",
    "channel_deleted",
    "group_rename",
    "group_archive",
    "group_unarchive",
    "group_deleted",
    "member_joined_channel",
    "member_left_channel",
    "user_change",
    "team_join",
)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
HELP = "Try `/helper ask How do we deploy?`, `/helper newsletter` or `/helper status`."


def register(app: App, services: BotServices) -> None:
    """Wire every listener to `app`."""

    @app.event("app_mention")
    def on_mention(body: dict, event: dict, client: WebClient, context: BoltContext) -> None:
        """@slack-helper <question>: answered in the thread."""
        _answer(services, client, context.team_id, body, event)

    @app.event("message")
    def on_message(body: dict, event: dict, client: WebClient, context: BoltContext) -> None:
        """Every message is synced; DMs and follow-ups in the bot's threads are answered."""
        apply_event(services.stores, body)
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        if _MENTION.search(event.get("text", "")) and event.get("channel_type") != "im":
            return  # app_mention answers it
        thread = event.get("thread_ts")
        in_bot_thread = thread and answered_here(
            services.stores, context.team_id, event["channel"], thread
        )
        if event.get("channel_type") == "im" or in_bot_thread:
            _answer(services, client, context.team_id, body, event)

    for kind in SYNC_EVENTS:
        app.event(kind)(_sync(services))

    @app.action(re.compile("^feedback_(up|down)$"))
    def on_feedback(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
        """👍/👎 under an answer."""
        ack()
        vote = 1 if action["action_id"] == "feedback_up" else -1
        record_vote(services.stores, context.team_id, action["value"], body["user"]["id"], vote)

    @app.command("/helper")
    def on_command(ack: Ack, command: dict, client: WebClient, context: BoltContext) -> None:
        """/helper ask …, /helper newsletter, /helper status."""
        verb, _, rest = command.get("text", "").strip().partition(" ")
        if verb == "ask" and rest.strip():
            ack(f"Looking into: {rest.strip()}")
            message = client.chat_postMessage(
                channel=command["channel_id"], text=f"<@{command['user_id']}> asked: {rest}"
            )
            answer_in_thread(
                services,
                client,
                workspace_id=context.team_id,
                channel=command["channel_id"],
                thread_ts=message["ts"],
                user=command["user_id"],
                question=rest.strip(),
            )
        elif verb == "newsletter":
            ack("Drafting this week's newsletter…")
            _post_newsletter(services, client, context.team_id, command["channel_id"])
        elif verb == "status":
            ack(_status_text(services, context.team_id))
        else:
            ack(HELP)

    @app.error
    def on_error(error: Exception, body: dict) -> None:
        """Every listener error ends here: logged with the event that caused it."""
        log.error(
            "listener failed on %s: %s", body.get("event", {}).get("type"), error, exc_info=error
        )


def _sync(services: BotServices):
    def on_sync_event(body: dict) -> None:
        """Channel, user, reaction, pin, link and file events: into both stores."""
        apply_event(services.stores, body)

    return on_sync_event


def _answer(services: BotServices, client: WebClient, team_id: str, body: dict, event: dict):
    key = f"answer:{body.get('event_id') or event['ts']}"
    if not first_time(services.stores, team_id, key, "answer"):
        return  # a redelivery (X-Slack-Retry-Num) of an event already answered
    question = _MENTION.sub("", event.get("text", "")).strip()
    if not question:
        client.chat_postMessage(
            channel=event["channel"], thread_ts=event.get("thread_ts") or event["ts"], text=HELP
        )
        return
    answer_in_thread(
        services,
        client,
        workspace_id=team_id,
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        user=event.get("user"),
        question=question,
    )


def _post_newsletter(services: BotServices, client: WebClient, team_id: str, channel: str):
    schedule = NewsletterSchedule(schedule_id="manual", channel=channel, cron="* * * * *")
    post_slot(services.stores, client, team_id, schedule, datetime.now(UTC), services.model)


def _status_text(services: BotServices, team_id: str) -> str:
    with services.stores.postgres.tenant(team_id) as conn:
        (workspace,) = repository.list_workspaces(conn)
        vectors = services.stores.vectors
        status = repository.workspace_status(
            conn, workspace, vectors.count(team_id), vectors.graph_summary(team_id)
        )
    return (
        f"{status.messages_postgres} messages ({status.messages_chroma} searchable), "
        f"{status.channels} channels, {status.users} people; "
        f"{status.outbox_pending} waiting to be indexed."
    )
