"""Looking after the installation: status, db upgrade, demo, sample, bench."""

import json
from pathlib import Path
from typing import Annotated, get_args

import typer
from rich.table import Table

from agent import render
from db.counts import collect_status
from db.models import WorkspaceStatus
from slack_helper.commands.common import (
    JsonOption,
    WorkspaceOption,
    out,
    print_json,
    settings,
    stores,
    workspace,
)
from slack_helper.console import RichProgress

db_app = typer.Typer(help="The PostgreSQL schema.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (numbers for the issue notes).", no_args_is_help=True)


def status(workspace_key: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Counts per workspace in both stores, the outbox, and how far the index reaches."""
    with stores() as opened:
        target = workspace(opened, workspace_key).workspace_id if workspace_key else None
        report = collect_status(opened, target)
    if as_json:
        print_json(report)
        return
    # one column per workspace: twelve metrics side by side do not fit a terminal
    table = Table("", *(f"{w.name} ({w.workspace_id})" for w in report.workspaces))
    for metric in WorkspaceStatus.model_fields:
        if metric not in ("workspace_id", "name"):
            values = [getattr(w, metric) for w in report.workspaces]
            table.add_row(metric, *("-" if v is None else str(v) for v in values))
    out.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations (every command that opens the stores does this too)."""
    from db.migrate import applied_migrations

    with stores() as opened, opened.postgres.operator() as conn:
        ledger = applied_migrations(conn)
    out.print(f"schema at {ledger[-1]} ({len(ledger)} migrations applied)")


def demo() -> None:
    """Import the bundled sample workspace, print its counts and answer one question."""
    from slack_helper.demo import run_demo

    config = settings()
    with stores() as opened, RichProgress() as progress:
        result = run_demo(opened, config, progress=progress)
    for w in result.status.workspaces:
        out.print(
            f"[bold]{w.name}[/] ({w.workspace_id}): {w.messages_postgres} messages in PostgreSQL, "
            f"{w.messages_chroma} in Chroma, {w.users} users, {w.channels} channels, "
            f"{w.reactions} reactions, {w.links} links, {w.files} files, "
            f"{w.outbox_pending} pending"
        )
    out.print(f"\n[bold]Q:[/] {result.question}\n")
    print(render.markdown(result.answer))
    out.print(
        f"\nData dir: {config.data_dir}. Next: `slack-helper status`, "
        '`slack-helper ask "..."`, `slack-helper ingest export PATH`.'
    )


def sample(
    path: Annotated[Path, typer.Argument(help="Folder to write the export into.")],
    messages: Annotated[int, typer.Option(help="About how many message records.")] = 600,
    seed: Annotated[int, typer.Option(help="Same seed, same export.")] = 7,
) -> None:
    """Write the deterministic sample Slack export (the demo's workspace) to a folder."""
    from sample.export import write_sample_export

    write_sample_export(path, messages=messages, seed=seed)
    out.print(f"sample export written to {path}")


@bench_app.command("ingest")
def bench_ingest_command(
    messages: Annotated[int, typer.Option(help="Messages in the synthetic workspace.")] = 20_000,
    as_json: JsonOption = False,
) -> None:
    """Import speed vs the bare embedder, and peak memory, on scratch embedded stores."""
    from bench.ingest import bench_ingest

    with RichProgress() as progress:
        result = bench_ingest(settings().store_config(), messages, progress=progress)
    if as_json:
        print_json(result)
        return
    out.print(json.dumps(result.model_dump(), indent=2))


@bench_app.command("mcp")
def bench_mcp_command(
    requests: Annotated[int, typer.Option(help="Tool calls under load.")] = 200,
    concurrency: Annotated[int, typer.Option(help="Client sessions calling at once.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The MCP HTTP server under concurrent calls and hostile ones: latency, req/s, peak RSS."""
    from bench.mcp_load import bench_mcp

    result = bench_mcp(settings().store_config(), requests, concurrency)
    if as_json:
        print_json(result)
        return
    out.print(json.dumps(result.model_dump(), indent=2))


@bench_app.command("query")
def bench_query_command(
    messages: Annotated[int, typer.Option(help="Messages in the synthetic workspace.")] = 100_000,
    queries: Annotated[int, typer.Option(help="Timed queries per kind.")] = 60,
    store: Annotated[
        Path | None,
        typer.Option(help="Keep the built workspace here and reuse it on the next run."),
    ] = None,
    vectors: Annotated[
        str,
        typer.Option(
            help="blended (topics shade into each other) or islands (59 separate clusters)."
        ),
    ] = "blended",
    as_json: JsonOption = False,
) -> None:
    """Metadata, semantic and hybrid query latency with recall@10, Chroma vs pgvector."""
    from bench.query import VectorShape, bench_query

    if vectors not in get_args(VectorShape):
        raise typer.BadParameter("use blended or islands", param_hint="--vectors")
    with RichProgress() as progress:
        result = bench_query(
            settings().store_config(),
            messages,
            queries,
            progress=progress,
            store=store,
            shape=vectors,  # type: ignore[arg-type]  # checked against VectorShape above
        )
    if as_json:
        print_json(result)
        return
    out.print(json.dumps(result.model_dump(), indent=2))
