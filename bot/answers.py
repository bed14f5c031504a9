"""Answering in Slack: a placeholder at once, the agent's answer in its place, thread memory,
feedback buttons, and no private content shown where the asker's audience cannot see it."""

import asyncio
import logging
from dataclasses import dataclass

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.conninfo import make_conninfo
from slack_sdk import WebClient

from agent import render
from agent.contracts import Request, Result
from agent.runner import AgentRunner
from db.bot_store import AnswerRecord, answered_in_thread, record_answer
from db.channels import channel_kinds
from db.checkpoints import claim_once
from db.models import message_id, split_message_id
from db.stores import Stores

log = logging.getLogger(__name__)
MEMORY_SCHEMA = "app_internal"
THINKING = "Thinking… :hourglass_flowing_sand:"
PRIVATE_NOTE = (
    "The answer cites a private conversation, so I sent it only to you "
    "(this channel's members may not be able to see that conversation)."
)


@dataclass
class BotServices:
    """What every listener needs: the stores and the agent runner."""

    stores: Stores
    runner: AgentRunner

    @property
    def memory_dsn(self) -> str:
        """Where LangGraph keeps thread memory: our database, schema app_internal."""
        return make_conninfo(
            self.stores.postgres.operator_dsn, options=f"-c search_path={MEMORY_SCHEMA}"
        )

    def setup_memory(self) -> None:
        """Create the checkpointer's tables once, at start."""
        asyncio.run(_setup(self.memory_dsn))


async def _setup(dsn: str) -> None:
    async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
        await saver.setup()


def first_time(stores: Stores, workspace_id: str, key: str, kind: str) -> bool:
    """Record `key` as handled; False if it was already (a redelivered event, another replica)."""
    with stores.postgres.tenant(workspace_id) as conn:
        return claim_once(conn, workspace_id, key, kind)


def answer_in_thread(
    services: BotServices,
    client: WebClient,
    *,
    workspace_id: str,
    channel: str,
    thread_ts: str,
    user: str | None,
    question: str,
) -> Result:
    """Post a placeholder, run the agent with the thread's memory, put the answer in place."""
    placeholder = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=THINKING)
    memory_key = message_id(workspace_id, channel, thread_ts)  # the thread is the conversation
    result = asyncio.run(_ask(services, workspace_id, question, memory_key=memory_key))
    answer_id = placeholder["ts"]
    blocks = render.slack_blocks(result) + [_feedback_buttons(answer_id)]
    summary = render.fallback_text(result)
    record = AnswerRecord(
        answer_id=answer_id,
        channel_id=channel,
        thread_ts=thread_ts,
        user_id=user,
        question=question,
        answer=render.markdown(result),
        citations=[c.model_dump(mode="json") for c in result.citations],
        mode=result.mode,
    )
    _record(services.stores, workspace_id, record)
    if user and _leaks_private(services.stores, workspace_id, channel, result):
        client.chat_update(channel=channel, ts=answer_id, text=PRIVATE_NOTE)
        client.chat_postEphemeral(
            channel=channel, user=user, thread_ts=thread_ts, text=summary, blocks=blocks
        )
    else:
        client.chat_update(channel=channel, ts=answer_id, text=summary, blocks=blocks)
    return result


async def _ask(services: BotServices, workspace_id: str, question: str, memory_key: str) -> Result:
    async with AsyncPostgresSaver.from_conn_string(services.memory_dsn) as saver:
        return await services.runner.arun(
            workspace_id,
            Request(task="answer", question=question),
            memory=saver,
            memory_key=memory_key,
        )


def answered_here(stores: Stores, workspace_id: str, channel: str, thread_ts: str) -> bool:
    """Whether the bot has answered in this thread (so follow-ups need no mention)."""
    with stores.postgres.tenant(workspace_id) as conn:
        return answered_in_thread(conn, channel, thread_ts)


def _leaks_private(stores: Stores, workspace_id: str, channel: str, result: Result) -> bool:
    """A public channel's answer that cites a private channel, DM or group DM."""
    cited = {split_message_id(c.message_id)[1] for c in result.citations}
    with stores.postgres.tenant(workspace_id) as conn:
        kinds = channel_kinds(conn, [channel, *cited])
    if kinds.get(channel, "public") != "public":
        return False  # asked in a private place: its audience already sees private content
    return any(kinds.get(c, "public") != "public" for c in cited)


def _record(stores: Stores, workspace_id: str, record: AnswerRecord) -> None:
    with stores.postgres.tenant(workspace_id) as conn:
        record_answer(conn, workspace_id, record)


def _feedback_buttons(answer_id: str) -> dict:
    return {
        "type": "actions",
        "block_id": "feedback",
        "elements": [
            {
                "type": "button",
                "action_id": "feedback_up",
                "text": {"type": "plain_text", "text": ":+1: Helpful"},
                "value": answer_id,
            },
            {
                "type": "button",
                "action_id": "feedback_down",
                "text": {"type": "plain_text", "text": ":-1: Not helpful"},
                "value": answer_id,
            },
        ],
    }
