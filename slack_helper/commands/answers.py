"""What people read: ask, newsletter (now, or on a schedule for the bot), pr-review."""

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import BaseModel

from agent import render
from agent.contracts import Citation, Request, Result, UsedTool
from agent.dates import parse_end, parse_moment
from bot.schedules import add_schedule, list_schedules, remove_schedule
from slack_helper.commands.common import (
    ChannelsOption,
    FormatOption,
    JsonOption,
    WorkspaceOption,
    names,
    out,
    print_json,
    settings,
    stores,
    workspace,
)
from slack_helper.wiring import build_runner

newsletter_app = typer.Typer(
    help="Newsletters: draft one now, or schedule them for the bot to post.",
    invoke_without_command=True,
)
FORMATS = ("markdown", "slack", "html", "json")


class AskOutput(BaseModel):
    """`ask --json`: the answer text, whether the workspace held one, and its evidence."""

    answer: str
    found: bool
    mode: str
    citations: list[Citation]
    tool_calls: list[UsedTool]
    latency_ms: float


def ask(
    question: Annotated[str, typer.Argument(help="A question about the workspace.")],
    workspace_key: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question from the workspace, with citations (offline mode without a model)."""
    result = _run(Request(task="answer", question=question), workspace_key)
    text = render.markdown(result)
    if as_json:
        fields = result.model_dump(include={"found", "mode", "citations", "tool_calls"})
        print_json(AskOutput(answer=text, latency_ms=result.latency_ms, **fields))
        return
    print(text)


@newsletter_app.callback()
def newsletter(
    ctx: typer.Context,
    workspace_key: WorkspaceOption = None,
    since: Annotated[str, typer.Option(help="Start: a duration back (7d) or a date.")] = "7d",
    until: Annotated[
        str | None, typer.Option(help="End: a duration back, or a date (that day included).")
    ] = None,
    channels: ChannelsOption = None,
    fmt: FormatOption = "markdown",
) -> None:
    """Draft a newsletter of a period's most engaging topics, in sections, with links."""
    if ctx.invoked_subcommand is not None:
        return
    now = datetime.now(UTC)
    try:
        start = parse_moment(since, now)
        end = parse_end(until, now) if until else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    request = Request(task="newsletter", channels=names(channels), since=start, until=end)
    _draft(request, workspace_key, fmt)


@newsletter_app.command("schedule")
def newsletter_schedule(
    channel: Annotated[str, typer.Option(help="Channel to post in (name or id).")],
    cron: Annotated[str, typer.Option(help='Crontab in UTC, e.g. "0 9 * * MON".')],
    workspace_key: WorkspaceOption = None,
    days: Annotated[int, typer.Option(help="How many days each newsletter covers.")] = 7,
) -> None:
    """Have the bot post a newsletter on a schedule (it reloads schedules every minute)."""
    with stores() as opened:
        target = workspace(opened, workspace_key).workspace_id
        try:
            schedule = add_schedule(opened, target, channel, cron, days)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    out.print(f"scheduled {schedule.schedule_id}: {schedule.cron} UTC in {schedule.channel}")


@newsletter_app.command("list")
def newsletter_list(workspace_key: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """The workspace's newsletter schedules."""
    with stores() as opened:
        schedules = list_schedules(opened, workspace(opened, workspace_key).workspace_id)
    if as_json:
        print(json.dumps([s.model_dump() for s in schedules], indent=2))
        return
    for s in schedules:
        out.print(f"{s.schedule_id}  {s.cron}  {s.channel}  last {s.days} days")


@newsletter_app.command("remove")
def newsletter_remove(
    schedule_id: Annotated[str, typer.Argument(help="The id `newsletter list` shows.")],
    workspace_key: WorkspaceOption = None,
) -> None:
    """Stop a scheduled newsletter."""
    with stores() as opened:
        removed = remove_schedule(
            opened, workspace(opened, workspace_key).workspace_id, schedule_id
        )
    if not removed:
        raise ValueError(f"no schedule {schedule_id}")
    out.print(f"removed {schedule_id}")


def pr_review(
    pr: Annotated[str, typer.Argument(help="A GitHub pull request URL or number.")],
    workspace_key: WorkspaceOption = None,
    title: Annotated[str | None, typer.Option(help="The PR's title: finds unlinked talk.")] = None,
    description: Annotated[str | None, typer.Option(help="The PR's description.")] = None,
    fmt: FormatOption = "markdown",
) -> None:
    """Draft a review summary of a PR from every Slack discussion of it, with citations."""
    number = int(pr) if pr.isdigit() else None
    request = Request(
        task="pr_review",
        pr_number=number,
        pr_url=None if number else pr,
        title=title,
        description=description,
    )
    _draft(request, workspace_key, fmt)


def _draft(request: Request, workspace_key: str | None, fmt: str) -> None:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"use {', '.join(FORMATS)}", param_hint="--format")
    result = _run(request, workspace_key)
    print(result.model_dump_json(indent=2) if fmt == "json" else render.render(result, fmt))
    if not result.found:
        raise typer.Exit(3)


def _run(request: Request, workspace_key: str | None) -> Result:
    """The agent's result for the workspace (its permalinks absolute once the URL is known)."""
    with stores() as opened:
        target = workspace(opened, workspace_key)
        return build_runner(opened, settings()).run(target.workspace_id, request)
