"""Bringing data in and keeping the two stores in step: ingest export/backfill, sync,
reconcile, reindex."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from agent.dates import parse_moment
from db.workspaces import domain_of
from ingest.backfill import BackfillReport, backfill
from ingest.export_import import import_export
from ingest.slack_api import SlackApi
from slack_helper.commands.common import (
    ChannelsOption,
    JsonOption,
    NewWorkspaceOption,
    WorkspaceOption,
    names,
    out,
    print_json,
    settings,
    stores,
    warn,
    workspace,
)
from slack_helper.console import RichProgress, err_console
from slack_helper.settings import Settings

ingest_app = typer.Typer(help="Bring Slack data in.", no_args_is_help=True)


@ingest_app.command("export")
def ingest_export(
    path: Annotated[Path, typer.Argument(help="A Slack export: the ZIP or its unpacked folder.")],
    name: NewWorkspaceOption = None,
    into: Annotated[
        str | None,
        typer.Option(
            help="Import into this stored workspace (its id) although the name differs; "
            "without it an export never renames or overwrites a workspace stored under "
            "another name."
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="The workspace's URL (https://acme.slack.com) for absolute permalinks; by "
            "default learnt from the export's own links and file permalinks."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a Slack export into PostgreSQL and Chroma (safe to rerun; resumes after a crash)."""
    domain = domain_of(url) if url else None
    if url and domain is None:
        raise typer.BadParameter(
            "give the workspace's URL, https://<name>.slack.com", param_hint="--url"
        )
    with stores() as opened, RichProgress() as progress:
        report = import_export(
            opened,
            path,
            workspace_name=name,
            progress=progress,
            into=into,
            domain=domain,
            max_file_bytes=settings().export_max_file_mb << 20,
        )
    warn(report.warnings)
    if as_json:
        print_json(report)
    else:
        out.print(
            f"[bold]{report.name}[/] ({report.workspace_id}): {report.files_imported} day files "
            f"imported, {report.files_unchanged} unchanged, {report.files_failed} failed; "
            f"{report.messages} messages written, {report.vectors.upserted} embedded, "
            f"{report.vectors.deleted} vectors removed, {report.vectors.failed} failed"
        )
    if report.files_failed or report.vectors.failed:
        raise typer.Exit(2)


@ingest_app.command("backfill")
def ingest_backfill(
    token: Annotated[
        str | None,
        typer.Option(help="Bot token (xoxb-…); default: SLACK_HELPER_SLACK_BOT_TOKEN."),
    ] = None,
    name: NewWorkspaceOption = None,
    channels: ChannelsOption = None,
    since: Annotated[
        str | None, typer.Option(help="Only history from this date or duration back (30d).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Copy a workspace from the Slack Web API (resumable; reruns fetch only what is new)."""
    try:
        start = parse_moment(since, datetime.now(UTC)) if since else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from exc
    config = settings()
    with stores() as opened, RichProgress() as progress:
        report = backfill(
            opened,
            slack_api(config, token),
            workspace_name=name,
            channels=names(channels),
            since=start,
            thread_lookback=timedelta(days=config.thread_lookback_days),
            progress=progress,
        )
    _print_backfill(report, as_json)
    if report.failed or report.vectors.failed:
        raise typer.Exit(2)


def sync(
    workspace_key: WorkspaceOption = None,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Worker threads.")] = 2,
    follow: Annotated[
        bool, typer.Option(help="Keep waiting for new work (live events) until Ctrl-C.")
    ] = False,
) -> None:
    """Apply queued vector work (the outbox) to Chroma. Safe to run in several processes."""
    from db import open_stores
    from ingest.worker import dead_items_of, pool_size_for, run_workers

    config = settings().store_config()
    config.pool_size = pool_size_for(workers, config.pool_size)
    with open_stores(config) as opened:
        targets = [workspace(opened, workspace_key).workspace_id] if workspace_key else None
        report = run_workers(opened, targets, workers=workers, follow=follow)
        dead = dead_items_of(opened, targets)
    out.print(
        f"{report.upserted} vectors stored, {report.deleted} removed, {report.failed} failed "
        "(failed items retry with backoff)"
    )
    for items in dead.values():
        for message_id, attempts, error in items:
            err_console.print(f"[red]dead[/] {message_id} after {attempts} attempts: {error}")
    if any(dead.values()):
        raise typer.Exit(2)


def reconcile(
    workspace_key: WorkspaceOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report only; change nothing.")
    ] = False,
    export: Annotated[
        Path | None, typer.Option(help="Restore lost texts from this export afterwards.")
    ] = None,
    from_slack: Annotated[
        bool,
        typer.Option("--backfill", help="Restore lost texts from Slack (needs a bot token)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Compare both stores by id and content hash and repair missing, stale or orphaned vectors
    and unindexed keywords."""
    from ingest.reconcile import reconcile_and_restore

    config = settings()
    api = slack_api(config) if from_slack and not dry_run else None
    with stores() as opened, RichProgress() as progress:
        report = reconcile_and_restore(
            opened,
            workspace(opened, workspace_key),
            dry_run=dry_run,
            export=export,
            api=api,
            thread_lookback=timedelta(days=config.thread_lookback_days),
            progress=progress,
        )
    if as_json:
        print_json(report)
    else:
        out.print(
            f"{report.postgres} expected, {report.chroma} held, {report.pending} queued: "
            f"{len(report.missing)} missing, {len(report.stale)} stale, "
            f"{len(report.orphaned)} orphaned, {len(report.unsearchable)} not keyword-indexed, "
            f"{len(report.unpassaged)} lacking passages"
            + ("" if dry_run else f"; {report.rebuilt} rebuilt in place, orphans deleted")
        )
        if report.need_source and not (export or from_slack):
            err_console.print(
                f"[yellow]{len(report.need_source)} texts can only come from the source:[/] "
                "rerun `slack-helper ingest export PATH` or `ingest backfill` "
                "(their checkpoints were cleared), or pass --export / --backfill"
            )
    if dry_run and not report.in_sync:
        raise typer.Exit(2)


def reindex(
    workspace_key: WorkspaceOption = None,
    as_json: JsonOption = False,
    re_embed: Annotated[
        bool,
        typer.Option(
            "--re-embed",
            help="Then embed every message again the current way (a store made by an older "
            "version keeps its vectors otherwise).",
        ),
    ] = False,
) -> None:
    """Rebuild the workspace's vector graph with the current HNSW metric and shape (collections
    keep the graph they were created with). Vector writes wait until it is done."""
    from ingest.reembed import reembed
    from ingest.regraph import rebuild_graph

    with stores() as opened, RichProgress() as progress:
        target = workspace(opened, workspace_key).workspace_id
        report = rebuild_graph(opened, target, progress=progress)
        if re_embed:
            again = reembed(opened, target, progress)
            report = report.model_copy(update={"re_embedded": again.upserted})
    if as_json:
        print_json(report)
        return
    for name in report.dropped:
        err_console.print(f"[yellow]dropped {name}[/], left by an interrupted rebuild")
    if report.rebuilt:
        out.print(
            f"{report.vectors} vectors copied from a {_graph_words(report.graph_before)} "
            f"to a {_graph_words(report.graph_after)} in {report.seconds} s"
        )
    else:
        current = _graph_words(report.graph_after)
        out.print(f"already current: {report.vectors} vectors, {current}")
    if report.re_embedded is not None:
        out.print(f"{report.re_embedded} messages embedded again")


def _graph_words(graph: dict) -> str:
    """'cosine graph of 32 neighbours, built with 200 candidates, vectors ip-lifted'."""
    shape = "{space} graph of {max_neighbors} neighbours, built with {ef_construction} candidates"
    layout = f", vectors {graph['layout']}" if graph.get("layout") else ""
    return shape.format(**graph) + layout


def slack_api(config: Settings, token: str | None = None) -> SlackApi:
    """The Web API client for a token (default: the configured bot token)."""
    secret = token or (config.slack_bot_token and config.slack_bot_token.get_secret_value())
    if not secret:
        raise typer.BadParameter("give --token or set SLACK_HELPER_SLACK_BOT_TOKEN")
    return SlackApi(secret, config.slack_api_url, config.slack_pace)


def _print_backfill(report: BackfillReport, as_json: bool) -> None:
    warn(report.warnings)
    for failed in report.failed:
        err_console.print(f"[red]#{failed.name} failed:[/] {failed.error}")
    if as_json:
        print_json(report)
    else:
        out.print(
            f"[bold]{report.name}[/] ({report.workspace_id}): {len(report.channels)} channels, "
            f"{report.messages} messages fetched, {report.vectors.upserted} embedded, "
            f"{len(report.failed)} channels failed"
        )
