"""Scheduled newsletters: stored in bot_config, run by APScheduler in the bot process, each slot
posted exactly once however many bot replicas run (the slot is claimed in PostgreSQL)."""

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psycopg
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel
from slack_sdk import WebClient

from agent import render
from agent.contracts import Request
from agent.runner import AgentRunner
from db.bot_store import load_config, save_config
from db.channels import match_channels
from db.checkpoints import claim_once
from db.stores import Stores
from db.workspaces import list_workspaces

log = logging.getLogger(__name__)
CONFIG_KEY = "newsletter_schedules"
RELOAD_SECONDS = 60


class NewsletterSchedule(BaseModel):
    """Post a newsletter of the last `days` days to `channel` on `cron` (UTC)."""

    schedule_id: str
    channel: str
    cron: str
    days: int = 7


def parse_cron(cron: str) -> CronTrigger:
    """A five-field crontab in UTC; ValueError that says what is wrong."""
    try:
        return CronTrigger.from_crontab(cron, timezone=UTC)
    except ValueError as exc:
        raise ValueError(f"not a crontab line {cron!r} (e.g. '0 9 * * MON'): {exc}") from exc


def add_schedule(
    stores: Stores, workspace_id: str, channel: str, cron: str, days: int = 7
) -> NewsletterSchedule:
    """Store a new schedule (the channel must be known, the cron valid)."""
    parse_cron(cron)
    with stores.postgres.tenant(workspace_id) as conn:
        match = match_channels(conn, [channel])
        if match.missing or len(match.ids) != 1:
            raise ValueError(f"no channel {channel!r} in this workspace")
        schedule = NewsletterSchedule(
            schedule_id=secrets.token_hex(4), channel=match.ids[0], cron=cron, days=days
        )
        _save(conn, workspace_id, [*_load(conn), schedule])
    return schedule


def list_schedules(stores: Stores, workspace_id: str) -> list[NewsletterSchedule]:
    """The workspace's schedules."""
    with stores.postgres.tenant(workspace_id) as conn:
        return _load(conn)


def remove_schedule(stores: Stores, workspace_id: str, schedule_id: str) -> bool:
    """Delete one schedule; False if there was none with that id."""
    with stores.postgres.tenant(workspace_id) as conn:
        schedules = _load(conn)
        kept = [s for s in schedules if s.schedule_id != schedule_id]
        _save(conn, workspace_id, kept)
    return len(kept) < len(schedules)


def post_slot(
    stores: Stores,
    client: WebClient,
    workspace_id: str,
    schedule: NewsletterSchedule,
    slot: datetime,
    runner: AgentRunner,
) -> bool:
    """Draft and post the newsletter for one slot, unless another replica already has.

    The slot is claimed inside the transaction that lasts until Slack accepted the post: a
    second replica waits on the claim and then finds it taken; if posting fails, the claim
    rolls back and the slot is still open.
    """
    key = f"newsletter:{schedule.schedule_id}:{slot.isoformat()}"
    with stores.postgres.tenant(workspace_id) as conn:
        if not claim_once(conn, workspace_id, key, "newsletter"):
            return False
        request = Request(task="newsletter", since=slot - timedelta(days=schedule.days), until=slot)
        result = runner.run(workspace_id, request)
        client.chat_postMessage(
            channel=schedule.channel,
            text=render.fallback_text(result),
            blocks=render.slack_blocks(result),
        )
    return True


class NewsletterScheduler:
    """APScheduler jobs for every workspace's schedules, reloaded every minute so schedules
    added or removed from the CLI take effect without a restart."""

    def __init__(
        self,
        stores: Stores,
        client_for: Callable[[str], WebClient | None],
        runner: AgentRunner,
    ):
        self.stores = stores
        self.client_for = client_for
        self.runner = runner
        self.scheduler = BackgroundScheduler(timezone=UTC)

    def start(self) -> None:
        """Load the schedules and start firing them."""
        self.reload()
        self.scheduler.add_job(
            self.reload, "interval", seconds=RELOAD_SECONDS, id="reload", replace_existing=True
        )
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop firing (running jobs finish)."""
        self.scheduler.shutdown(wait=False)

    def reload(self) -> None:
        """Make the jobs match what bot_config holds."""
        wanted = {}
        with self.stores.postgres.operator() as conn:
            workspaces = [w.workspace_id for w in list_workspaces(conn)]
        for workspace_id in workspaces:
            for schedule in list_schedules(self.stores, workspace_id):
                wanted[f"{workspace_id}:{schedule.schedule_id}"] = (workspace_id, schedule)
        for job in self.scheduler.get_jobs():
            if job.id != "reload" and job.id not in wanted:
                job.remove()
        for job_id, (workspace_id, schedule) in wanted.items():
            self.scheduler.add_job(
                self.fire,
                parse_cron(schedule.cron),
                args=[workspace_id, schedule],
                id=job_id,
                replace_existing=True,
                misfire_grace_time=300,
            )

    def fire(self, workspace_id: str, schedule: NewsletterSchedule) -> bool:
        """One slot: cron fires on minute boundaries, so the minute names the slot for every
        replica alike."""
        slot = datetime.now(UTC).replace(second=0, microsecond=0)
        client = self.client_for(workspace_id)
        if client is None:
            log.warning(
                "no token for %s: newsletter %s skipped", workspace_id, schedule.schedule_id
            )
            return False
        return post_slot(self.stores, client, workspace_id, schedule, slot, self.runner)


def _load(conn: psycopg.Connection) -> list[NewsletterSchedule]:
    stored = load_config(conn, CONFIG_KEY) or []
    return [NewsletterSchedule.model_validate(s) for s in stored]


def _save(conn: psycopg.Connection, workspace_id: str, schedules: list[NewsletterSchedule]) -> None:
    save_config(conn, workspace_id, CONFIG_KEY, [s.model_dump() for s in schedules])
