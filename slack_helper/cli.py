"""The `slack-helper` command: the sub-apps of slack_helper/commands wired under one root that
loads the settings once and maps domain errors to exit codes (1: error, 2: partly failed,
3: nothing found)."""

import warnings

import typer

from slack_helper.commands import admin, answers, evals, ingest, serve
from slack_helper.commands.common import DomainErrorsExit, load_settings

# pgserver asks platformdirs for a runtime dir that containers often lack; it falls back fine.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

app = typer.Typer(
    cls=DomainErrorsExit, help="Ask questions of a Slack workspace.", no_args_is_help=True
)


@app.callback()
def root() -> None:
    """Ask questions of a Slack workspace."""
    load_settings()


app.command()(answers.ask)
app.command("pr-review")(answers.pr_review)
app.add_typer(answers.newsletter_app, name="newsletter")
app.add_typer(ingest.ingest_app, name="ingest")
app.command()(ingest.sync)
app.command()(ingest.reconcile)
app.command()(ingest.reindex)
app.command()(admin.status)
app.command()(admin.demo)
app.command()(admin.sample)
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.bench_app, name="bench")
app.add_typer(serve.mcp_app, name="mcp")
app.add_typer(serve.bot_app, name="bot")
app.add_typer(evals.eval_app, name="eval")
