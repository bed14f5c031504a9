"""The `slack-helper` command: parse arguments, open the stores, dispatch, print."""

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, get_args

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from agent import render
from agent.contracts import Citation, Request, UsedTool
from agent.dates import parse_moment
from db import StoreError, Stores, open_stores, repository
from db.models import WorkspaceStatus
from db.workspaces import resolve_workspace
from ingest.export_archive import ExportError
from ingest.export_import import import_export
from ingest.sample_export import write_sample_export
from slack_helper.assistant import model_from, run_agent, workspace_url
from slack_helper.console import RichProgress, err_console
from slack_helper.settings import Settings

# pgserver asks platformdirs for a runtime dir that containers often lack; it falls back fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

app = typer.Typer(help="Ask questions of a Slack workspace.", no_args_is_help=True)
db_app = typer.Typer(help="The PostgreSQL schema.", no_args_is_help=True)
ingest_app = typer.Typer(help="Bring Slack data in.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (numbers for the issue notes).", no_args_is_help=True)
newsletter_app = typer.Typer(
    help="Newsletters: draft one now, or schedule them for the bot to post.",
    invoke_without_command=True,
)
bot_app = typer.Typer(help="The Slack bot.", invoke_without_command=True)
eval_app = typer.Typer(help="Measure retrieval and answer quality.", no_args_is_help=True)
mcp_app = typer.Typer(
    help="The MCP server (stdio or streamable HTTP).", invoke_without_command=True
)
token_app = typer.Typer(help="Bearer tokens for the HTTP transport.", no_args_is_help=True)
mcp_app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(bench_app, name="bench")
app.add_typer(mcp_app, name="mcp")
app.add_typer(eval_app, name="eval")
app.add_typer(newsletter_app, name="newsletter")
app.add_typer(bot_app, name="bot")

out = Console()
WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace", "-w", help="Workspace name or Slack team id (default: the only one)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
FormatOption = Annotated[
    str, typer.Option("--format", help="markdown, slack (Block Kit JSON), html or json.")
]


@contextmanager
def _stores() -> Iterator[Stores]:
    """Open the stores from settings; domain errors become a clean exit."""
    settings = Settings()
    try:
        with open_stores(settings.store_config()) as stores:
            yield stores
    except (StoreError, ExportError) as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc


def _print_json(model: BaseModel) -> None:
    print(model.model_dump_json(indent=2))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations (every command that opens the stores does this too)."""
    with _stores() as stores, stores.postgres.operator() as conn:
        ledger = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    out.print(f"schema at {ledger[-1][0]} ({len(ledger)} migrations applied)")


@ingest_app.command("export")
def ingest_export(
    path: Annotated[Path, typer.Argument(help="A Slack export: the ZIP or its unpacked folder.")],
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Name for the workspace.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a Slack export into PostgreSQL and Chroma (safe to rerun; resumes after a crash)."""
    with _stores() as stores, RichProgress() as progress:
        report = import_export(stores, path, workspace_name=workspace, progress=progress)
    for warning in report.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    if as_json:
        _print_json(report)
        return
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
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Name for the workspace.")
    ] = None,
    channels: Annotated[
        str | None, typer.Option(help="Comma-separated channel names or ids (default: all).")
    ] = None,
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
    wanted = _names(channels)
    with _stores() as stores:
        report = _backfill(stores, token, workspace_name=workspace, channels=wanted, since=start)
    for warning in report.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    for failed in report.failed:
        err_console.print(f"[red]#{failed.name} failed:[/] {failed.error}")
    if as_json:
        _print_json(report)
    else:
        out.print(
            f"[bold]{report.name}[/] ({report.workspace_id}): {len(report.channels)} channels, "
            f"{report.messages} messages fetched, {report.vectors.upserted} embedded, "
            f"{len(report.failed)} channels failed"
        )
    if report.failed or report.vectors.failed:
        raise typer.Exit(2)


@app.command()
def sync(
    workspace: WorkspaceOption = None,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Worker threads.")] = 2,
    follow: Annotated[
        bool, typer.Option(help="Keep waiting for new work (live events) until Ctrl-C.")
    ] = False,
) -> None:
    """Apply queued vector work (the outbox) to Chroma. Safe to run in several processes."""
    from ingest.worker import run_workers

    settings = Settings()
    config = settings.store_config()
    config = config.model_copy(update={"pool_size": max(config.pool_size, 2 * workers + 2)})
    try:
        with open_stores(config) as stores:
            targets = [_workspace_id(stores, workspace)] if workspace else None
            report = run_workers(stores, targets, workers=workers, follow=follow)
            dead = {}
            for workspace_id in targets or [w.workspace_id for w in _workspaces(stores)]:
                with stores.postgres.tenant(workspace_id) as conn:
                    dead[workspace_id] = repository.dead_items(conn, limit=5)
    except StoreError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    out.print(
        f"{report.upserted} vectors stored, {report.deleted} removed, {report.failed} failed "
        "(failed items retry with backoff)"
    )
    for items in dead.values():
        for message_id, attempts, error in items:
            err_console.print(f"[red]dead[/] {message_id} after {attempts} attempts: {error}")
    if any(dead.values()):
        raise typer.Exit(2)


@app.command()
def reconcile(
    workspace: WorkspaceOption = None,
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
    from ingest.reconcile import reconcile as reconcile_stores

    with _stores() as stores:
        workspace_id = _workspace_id(stores, workspace)
        report = reconcile_stores(stores, workspace_id, dry_run=dry_run)
        if report.need_source and not dry_run and (export or from_slack):
            if export:
                import_export(stores, export)
            else:
                _backfill(stores)
            report = report.model_copy(
                update={"after": reconcile_stores(stores, workspace_id, dry_run=True)}
            )
    if as_json:
        _print_json(report)
    else:
        out.print(
            f"{report.postgres} expected, {report.chroma} held, {report.pending} queued: "
            f"{len(report.missing)} missing, {len(report.stale)} stale, "
            f"{len(report.orphaned)} orphaned, {len(report.unsearchable)} not keyword-indexed"
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


@app.command()
def reindex(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Rebuild the workspace's vector graph with the current HNSW shape (collections keep the
    graph they were created with). Vector writes wait until it is done."""
    from ingest.regraph import rebuild_graph

    with _stores() as stores, RichProgress() as progress:
        report = rebuild_graph(stores, _workspace_id(stores, workspace), progress=progress)
    if as_json:
        _print_json(report)
        return
    for name in report.dropped:
        err_console.print(f"[yellow]dropped {name}[/], left by an interrupted rebuild")
    shape = "{max_neighbors} neighbours, built with {ef_construction} candidates"
    if report.rebuilt:
        out.print(
            f"{report.vectors} vectors copied from a graph of "
            f"{shape.format(**report.graph_before)} to one of "
            f"{shape.format(**report.graph_after)} in {report.seconds} s"
        )
    else:
        current = shape.format(**report.graph_after)
        out.print(f"already current: {report.vectors} vectors, {current}")


@app.command()
def status(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """Counts per workspace in both stores, the outbox, and how far the index reaches."""
    from slack_helper.status import collect_status

    with _stores() as stores:
        workspace_id = _workspace_id(stores, workspace) if workspace else None
        report = collect_status(stores, workspace_id)
    if as_json:
        _print_json(report)
        return
    # one column per workspace: twelve metrics side by side do not fit a terminal
    table = Table("", *(f"{w.name} ({w.workspace_id})" for w in report.workspaces))
    for metric in WorkspaceStatus.model_fields:
        if metric not in ("workspace_id", "name"):
            values = [getattr(w, metric) for w in report.workspaces]
            table.add_row(metric, *("-" if v is None else str(v) for v in values))
    out.print(table)


class AskOutput(BaseModel):
    """`ask --json`: the answer text, whether the workspace held one, and its evidence."""

    answer: str
    found: bool
    mode: str
    citations: list[Citation]
    tool_calls: list[UsedTool]
    latency_ms: float


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the workspace.")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question from the workspace, with citations (offline mode without a model)."""
    with _stores() as stores:
        workspace_id = _workspace_id(stores, workspace)
        result = _run_agent(stores, workspace_id, Request(task="answer", question=question))
        base_url = workspace_url(stores, workspace_id)
    text = render.markdown(result, base_url)
    if as_json:
        fields = result.model_dump(include={"found", "mode", "citations", "tool_calls"})
        _print_json(AskOutput(answer=text, latency_ms=result.latency_ms, **fields))
        return
    print(text)


@newsletter_app.callback()
def newsletter(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    since: Annotated[str, typer.Option(help="Start: a duration back (7d) or a date.")] = "7d",
    until: Annotated[str | None, typer.Option(help="End: a duration back or a date.")] = None,
    channels: Annotated[
        str | None, typer.Option(help="Comma-separated channel names or ids (default: all).")
    ] = None,
    fmt: FormatOption = "markdown",
) -> None:
    """Draft a newsletter of a period's most engaging topics, in sections, with links."""
    if ctx.invoked_subcommand is not None:
        return
    now = datetime.now(UTC)
    try:
        window = {"since": parse_moment(since, now)}
        if until:
            window["until"] = parse_moment(until, now)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    request = Request(
        task="newsletter",
        channels=_names(channels),
        **window,
    )
    _draft(request, workspace, fmt)


@newsletter_app.command("schedule")
def newsletter_schedule(
    channel: Annotated[str, typer.Option(help="Channel to post in (name or id).")],
    cron: Annotated[str, typer.Option(help='Crontab in UTC, e.g. "0 9 * * MON".')],
    workspace: WorkspaceOption = None,
    days: Annotated[int, typer.Option(help="How many days each newsletter covers.")] = 7,
) -> None:
    """Have the bot post a newsletter on a schedule (it reloads schedules every minute)."""
    from bot.schedules import add_schedule

    with _stores() as stores:
        try:
            schedule = add_schedule(stores, _workspace_id(stores, workspace), channel, cron, days)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
    out.print(f"scheduled {schedule.schedule_id}: {schedule.cron} UTC in {schedule.channel}")


@newsletter_app.command("list")
def newsletter_list(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """The workspace's newsletter schedules."""
    from bot.schedules import list_schedules

    with _stores() as stores:
        schedules = list_schedules(stores, _workspace_id(stores, workspace))
    if as_json:
        print(json.dumps([s.model_dump() for s in schedules], indent=2))
        return
    for s in schedules:
        out.print(f"{s.schedule_id}  {s.cron}  {s.channel}  last {s.days} days")


@newsletter_app.command("remove")
def newsletter_remove(
    schedule_id: Annotated[str, typer.Argument(help="The id `newsletter list` shows.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Stop a scheduled newsletter."""
    from bot.schedules import remove_schedule

    with _stores() as stores:
        removed = remove_schedule(stores, _workspace_id(stores, workspace), schedule_id)
    if not removed:
        err_console.print(f"[red]error:[/] no schedule {schedule_id}")
        raise typer.Exit(1)
    out.print(f"removed {schedule_id}")


@bot_app.callback()
def bot(
    ctx: typer.Context,
    mode: Annotated[str, typer.Option(help="http (Events API) or socket (Socket Mode).")] = "http",
    host: Annotated[str, typer.Option(help="HTTP: address to listen on.")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="HTTP: port (Slack posts to /slack/events).")] = 3000,
) -> None:
    """Run the Slack bot: answers, live sync, feedback and scheduled newsletters."""
    if ctx.invoked_subcommand is not None:
        return
    if mode not in ("http", "socket"):
        raise typer.BadParameter("use http or socket", param_hint="--mode")
    from bot.answers import BotServices
    from bot.app import BotConfig, build_app, serve

    settings = Settings()
    config = BotConfig(
        signing_secret=settings.slack_signing_secret,
        bot_token=settings.slack_bot_token,
        app_token=settings.slack_app_token,
        api_url=settings.slack_api_url,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_key=settings.token_key,
    )
    with _stores() as stores:
        services = BotServices(stores=stores, model=model_from(settings))
        try:
            slack_app = build_app(services, config)
            app_token = (
                settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
            )
            err_console.print(
                f"bot listening ({mode})" + (f" on {host}:{port}" if mode == "http" else "")
            )
            serve(slack_app, services, mode=mode, host=host, port=port, app_token=app_token)
        except ValueError as exc:
            err_console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc


@eval_app.command("export-feedback")
def eval_export_feedback(
    out_file: Annotated[Path, typer.Option("--out", help="JSONL file to write.")],
    workspace: WorkspaceOption = None,
    export: Annotated[
        str | None, typer.Option(help="The export the cases run on (written as the default).")
    ] = None,
) -> None:
    """Write the bot's 👍/👎-rated answers as an eval dataset."""
    from bot.feedback import export_feedback

    with _stores() as stores:
        count = export_feedback(stores, _workspace_id(stores, workspace), out_file, export)
    out.print(f"{count} rated answers written to {out_file}")


@app.command("pr-review")
def pr_review(
    pr: Annotated[str, typer.Argument(help="A GitHub pull request URL or number.")],
    workspace: WorkspaceOption = None,
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
    _draft(request, workspace, fmt)


def _draft(request: Request, workspace: str | None, fmt: str) -> None:
    if fmt not in ("markdown", "slack", "html", "json"):
        raise typer.BadParameter("use markdown, slack, html or json", param_hint="--format")
    with _stores() as stores:
        workspace_id = _workspace_id(stores, workspace)
        result = _run_agent(stores, workspace_id, request)
        base_url = workspace_url(stores, workspace_id)
    print(
        result.model_dump_json(indent=2) if fmt == "json" else render.render(result, fmt, base_url)
    )
    if not result.found:
        raise typer.Exit(3)


def _run_agent(stores: Stores, workspace_id: str, request: Request):
    try:
        return run_agent(stores, workspace_id, request, Settings())
    except ValueError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc


@app.command()
def demo() -> None:
    """Import the bundled sample workspace, print its counts and answer one question."""
    from slack_helper.demo import run_demo

    settings = Settings()
    with _stores() as stores, RichProgress() as progress:
        result = run_demo(stores, settings, progress=progress)
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
        f"\nData dir: {settings.data_dir}. Next: `slack-helper status`, "
        '`slack-helper ask "..."`, `slack-helper ingest export PATH`.'
    )


@app.command()
def sample(
    path: Annotated[Path, typer.Argument(help="Folder to write the export into.")],
    messages: Annotated[int, typer.Option(help="About how many message records.")] = 600,
    seed: Annotated[int, typer.Option(help="Same seed, same export.")] = 7,
) -> None:
    """Write the deterministic sample Slack export (the demo's workspace) to a folder."""
    write_sample_export(path, messages=messages, seed=seed)
    out.print(f"sample export written to {path}")


@bench_app.command("ingest")
def bench_ingest_command(
    messages: Annotated[int, typer.Option(help="Messages in the synthetic workspace.")] = 20_000,
    as_json: JsonOption = False,
) -> None:
    """Import speed vs the bare embedder, and peak memory, on scratch embedded stores."""
    from slack_helper.bench import bench_ingest

    with RichProgress() as progress:
        result = bench_ingest(Settings().store_config(), messages, progress=progress)
    if as_json:
        _print_json(result)
        return
    out.print(json.dumps(result.model_dump(), indent=2))


@mcp_app.callback()
def mcp(
    ctx: typer.Context,
    workspace: WorkspaceOption = None,
    transport: Annotated[
        str, typer.Option(help="stdio (Claude Desktop, Claude Code) or http (streamable HTTP).")
    ] = "stdio",
    host: Annotated[str, typer.Option(help="HTTP: address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP: port to listen on.")] = 8000,
) -> None:
    """Serve the workspace's tools over MCP. Over HTTP each request needs a bearer token."""
    if ctx.invoked_subcommand is not None:
        return
    if transport not in ("stdio", "http"):
        raise typer.BadParameter("use stdio or http", param_hint="--transport")
    from mcp_server.server import build_server

    with _stores() as stores:
        if transport == "stdio":
            server = build_server(stores, _workspace_id(stores, workspace))
            server.run("stdio")
        else:
            url = f"http://{host}:{port}"
            err_console.print(f"MCP over streamable HTTP at {url}/mcp (bearer token required)")
            build_server(stores, http_url=url, host=host, port=port).run("streamable-http")


@token_app.command("create")
def token_create(
    workspace: WorkspaceOption = None,
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
) -> None:
    """Create a bearer token for one workspace; it is printed once and only its hash is kept."""
    from mcp_server.tokens import create_token

    with _stores() as stores:
        token = create_token(stores, _workspace_id(stores, workspace), label)
    print(token)


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
    from slack_helper.bench_query import VectorShape, bench_query

    if vectors not in get_args(VectorShape):
        raise typer.BadParameter("use blended or islands", param_hint="--vectors")
    try:
        with RichProgress() as progress:
            result = bench_query(
                Settings().store_config(),
                messages,
                queries,
                progress=progress,
                store=store,
                shape=vectors,
            )
    except StoreError as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        _print_json(result)
        return
    out.print(json.dumps(result.model_dump(), indent=2))


@eval_app.command("run")
def eval_run(
    dataset: Annotated[Path, typer.Option(help="A JSONL dataset (see evals/datasets).")],
    retrieval: Annotated[
        str, typer.Option(help="keyword, semantic, hybrid or all (side by side).")
    ] = "all",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Where the reports go (default: eval-runs/<name>-<time>)."),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Embedded stores to import into and keep (default: a scratch dir)."),
    ] = None,
    gate: Annotated[
        bool, typer.Option(help="Exit 1 if below the thresholds in evals/thresholds.json.")
    ] = False,
    judge: Annotated[
        bool, typer.Option(help="Also grade answers with the configured model (LLM judge).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Import what a dataset needs, run every case, print a table and write the reports."""
    import tempfile

    from db import StoreConfig
    from evals.dataset import DatasetError, load_dataset
    from evals.gate import check_thresholds
    from evals.report import write_reports
    from evals.runner import SIDES, run_dataset

    sides = SIDES if retrieval == "all" else (retrieval,)
    if not set(sides) <= set(SIDES):
        raise typer.BadParameter("use keyword, semantic, hybrid or all", param_hint="--retrieval")
    settings = Settings()
    model = model_from(settings)
    if judge and model is None:
        raise typer.BadParameter("the judge needs SLACK_HELPER_LLM_MODEL", param_hint="--judge")
    try:
        data = load_dataset(dataset)
        with tempfile.TemporaryDirectory(prefix="slack-helper-eval-") as scratch:
            root = data_dir or Path(scratch)
            config = StoreConfig(data_dir=root, embedding_batch_size=settings.embedding_batch_size)
            with open_stores(config) as stores:
                run = run_dataset(
                    stores,
                    data,
                    root,
                    sides=sides,
                    model=model,
                    judge_model=model if judge else None,
                )
    except DatasetError as exc:
        err_console.print(f"[red]dataset error:[/] {exc}")
        raise typer.Exit(1) from exc
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    paths = write_reports(run, out_dir or Path("eval-runs") / f"{dataset.stem}-{stamp}")
    if as_json:
        _print_json(run.summary)
    else:
        table = Table("side", "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
        for side, scores in run.summary.retrieval.items():
            table.add_row(side, *(f"{v:.3f}" for v in scores.values()))
        out.print(table)
        for name, value in run.summary.answer.items():
            out.print(f"{name}: {_num(value)}")
        out.print(
            f"latency p50/p95: {run.summary.latency_ms['p50']}/{run.summary.latency_ms['p95']} ms"
        )
        err_console.print(f"reports: {paths['markdown']} and {paths['html']}")
    if gate:
        failures = check_thresholds(dataset.name, run.summary)
        for failure in failures:
            err_console.print(f"[red]below threshold:[/] {failure}")
        if failures:
            raise typer.Exit(1)


@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[Path, typer.Argument(help="The earlier run: its folder or run.json.")],
    run_b: Annotated[Path, typer.Argument(help="The later run: its folder or run.json.")],
    as_json: JsonOption = False,
) -> None:
    """What got better and worse between two runs of a dataset, case by case."""
    from evals.compare import compare
    from evals.results import Run

    def load(path: Path) -> Run:
        file = path / "run.json" if path.is_dir() else path
        if not file.is_file():
            raise typer.BadParameter(f"{file} does not exist; pass a run's folder or its run.json")
        try:
            return Run.model_validate_json(file.read_text())
        except ValidationError as exc:
            raise typer.BadParameter(
                f"{file} is not a run.json written by `slack-helper eval run` "
                f"({exc.error_count()} problems, first: {exc.errors()[0]['msg']})"
            ) from exc

    result = compare(load(run_a), load(run_b))
    if as_json:
        _print_json(result)
        return
    table = Table("metric", "before", "after", "change")
    for metric, (before, after) in result.summary.items():
        change = "" if before is None or after is None else f"{after - before:+.3f}"
        table.add_row(metric, _num(before), _num(after), change)
    out.print(table)
    for title, changes in (("better", result.better), ("worse", result.worse)):
        out.print(f"[bold]{title}:[/] {len(changes)}")
        for c in changes:
            out.print(f"  {c.case} {c.metric}: {c.before:.2f} -> {c.after:.2f}")


def _names(value: str | None) -> list[str]:
    """A comma-separated option as a list, blanks dropped."""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _backfill(stores: Stores, token: str | None = None, **options):
    """Run a backfill with the token and Slack settings; Slack and channel errors exit 1."""
    from ingest.backfill import backfill
    from ingest.slack_api import SlackApi, SlackError

    settings = Settings()
    secret = token or (settings.slack_bot_token and settings.slack_bot_token.get_secret_value())
    if not secret:
        raise typer.BadParameter("give --token or set SLACK_HELPER_SLACK_BOT_TOKEN")
    api = SlackApi(secret, settings.slack_api_url, settings.slack_pace)
    lookback = timedelta(days=settings.thread_lookback_days)
    try:
        with RichProgress() as progress:
            return backfill(stores, api, thread_lookback=lookback, progress=progress, **options)
    except (SlackError, ValueError) as exc:
        err_console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc


def _workspaces(stores: Stores):
    with stores.postgres.operator() as conn:
        return repository.list_workspaces(conn)


def _workspace_id(stores: Stores, key: str | None) -> str:
    with stores.postgres.operator() as conn:
        return resolve_workspace(repository.list_workspaces(conn), key).workspace_id
