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
from db.counts import collect_status
from ingest.events import HANDLERS, apply_event
from ingest.slack_api import SlackApi

log = logging.getLogger(__name__)
# Every event ingest/events.py applies; `message` has its own listener (it may also be answered)
SYNC_EVENTS = tuple(sorted(set(HANDLERS) - {"message"}))
# What the app subscribes to (manifest.yml): the sync events, messages where the bot is
# (public and private channels, DMs), mentions, and Bolt's token-revocation listeners.
BOT_EVENTS = tuple(
    sorted(
        {
            *SYNC_EVENTS,
            "message.channels",
            "message.groups",
            "message.im",
            "app_mention",
            "app_uninstalled",
            "tokens_revoked",
        }
    )
)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
HELP = "Try `/helper ask How do we deploy?`, `/helper newsletter` or `/helper status`."


def register(app: App, services: BotServices) -> None:
    """Wire every listener to `app`."""

    @app.event("app_mention")
    def on_mention(body: dict, event: dict, client: WebClient, context: BoltContext) -> None:
        """@slack-helper <question>: answered in the thread."""
        _answer(services, client, _team(context), body, event)

    @app.event("message")
    def on_message(body: dict, event: dict, client: WebClient, context: BoltContext) -> None:
        """Every message is synced (with the text of files it shares, read with this
        workspace's token); DMs and follow-ups in the bot's threads are answered."""
        apply_event(services.stores, body, files=_files_api(client))
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        if _MENTION.search(event.get("text", "")) and event.get("channel_type") != "im":
            return  # app_mention answers it
        thread = event.get("thread_ts")
        in_bot_thread = thread and answered_here(
            services.stores, _team(context), event["channel"], thread
        )
        if event.get("channel_type") == "im" or in_bot_thread:
            _answer(services, client, _team(context), body, event)

    for kind in SYNC_EVENTS:
        app.event(kind)(_sync(services))

    @app.action(re.compile("^feedback_(up|down)$"))
    def on_feedback(ack: Ack, body: dict, action: dict, context: BoltContext) -> None:
        """👍/👎 under an answer."""
        ack()
        vote = 1 if action["action_id"] == "feedback_up" else -1
        record_vote(services.stores, _team(context), action["value"], body["user"]["id"], vote)

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
                workspace_id=_team(context),
                channel=command["channel_id"],
                thread_ts=message["ts"],
                user=command["user_id"],
                question=rest.strip(),
            )
        elif verb == "newsletter":
            ack("Drafting this week's newsletter…")
            _post_newsletter(services, client, _team(context), command["channel_id"])
        elif verb == "status":
            ack(_status_text(services, _team(context)))
        else:
            ack(HELP)

    @app.error
    def on_error(error: Exception, body: dict) -> None:
        """Every listener error ends here: logged with the event that caused it."""
        log.error(
            "listener failed on %s: %s", body.get("event", {}).get("type"), error, exc_info=error
        )


def _team(context: BoltContext) -> str:
    """The workspace a request came from (Bolt has authorized it for that team)."""
    if not context.team_id:
        raise ValueError("the request names no team")
    return context.team_id


def _files_api(client: WebClient) -> SlackApi | None:
    """The Web API as the bot reaches this workspace, for reading shared files."""
    return SlackApi(client.token, client.base_url) if client.token else None


def _sync(services: BotServices):
    def on_sync_event(body: dict, client: WebClient) -> None:
        """Channel, user, reaction, pin, link and file events: into both stores (a changed
        file's new text read with this workspace's token)."""
        apply_event(services.stores, body, files=_files_api(client))

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
    post_slot(services.stores, client, team_id, schedule, datetime.now(UTC), services.runner)


def _status_text(services: BotServices, team_id: str) -> str:
    (status,) = collect_status(services.stores, team_id).workspaces
    return (
        f"{status.messages_postgres} messages ({status.messages_chroma} searchable), "
        f"{status.channels} channels, {status.users} people; "
        f"{status.outbox_pending} waiting to be indexed."
    )
