"""What every command shares: the settings (loaded once per invocation), the stores opened
from them, options, output, and the one mapping from domain errors to exit codes."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.console import Console
from typer.core import TyperGroup

from db import StoreError, Stores, open_stores
from db.models import Workspace
from db.workspaces import list_workspaces, resolve_workspace
from evals.dataset import DatasetError
from ingest.export_archive import ExportError
from ingest.slack_api import SlackError
from slack_helper.console import err_console
from slack_helper.settings import Settings

out = Console()

WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace", "-w", help="Workspace name or Slack team id (default: the only one)."
    ),
]
NewWorkspaceOption = Annotated[
    str | None, typer.Option("--workspace", "-w", help="Name for the workspace.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
FormatOption = Annotated[
    str, typer.Option("--format", help="markdown, slack (Block Kit JSON), html or json.")
]
ChannelsOption = Annotated[
    str | None, typer.Option(help="Comma-separated channel names or ids (default: all).")
]

# Errors a person fixes by changing input or configuration: a message and exit 1, no traceback.
# ValueError covers refused arguments and settings (a bad cron, a missing token, no PR named).
DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    StoreError,
    ExportError,
    SlackError,
    DatasetError,
    ValueError,
)


class DomainErrorsExit(TyperGroup):
    """The root group: any domain error raised by a command becomes `error: …` and exit 1."""

    def invoke(self, ctx):  # typer's own (vendored) click Context: left to typer to type
        """Run the command; translate what it raised, once, for every command."""
        try:
            return super().invoke(ctx)
        except DOMAIN_ERRORS as exc:
            label = "dataset error" if isinstance(exc, DatasetError) else "error"
            err_console.print(f"[red]{label}:[/] {exc}")
            raise typer.Exit(1) from exc


_invocation: ContextVar[Settings | None] = ContextVar("settings", default=None)


def load_settings() -> None:
    """Read the settings once, for the whole invocation (the root callback calls this)."""
    _invocation.set(Settings())


def settings() -> Settings:
    """The invocation's settings."""
    loaded = _invocation.get()
    if loaded is None:
        raise RuntimeError("the root command's callback reads the settings before any command")
    return loaded


@contextmanager
def stores() -> Iterator[Stores]:
    """The stores from the settings, open for one command."""
    with open_stores(settings().store_config()) as opened:
        yield opened


def workspace(opened: Stores, key: str | None) -> Workspace:
    """The workspace a --workspace option means (or the only one)."""
    with opened.postgres.operator() as conn:
        return resolve_workspace(list_workspaces(conn), key)


def print_json(model: BaseModel) -> None:
    """One JSON document on stdout (progress and warnings go to stderr)."""
    print(model.model_dump_json(indent=2))


def names(value: str | None) -> list[str]:
    """A comma-separated option as a list, blanks dropped."""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def number(value: float | None) -> str:
    """A metric for a table: three decimals, or '-' when there is none."""
    return "-" if value is None else f"{value:.3f}"


def warn(lines: list[str]) -> None:
    """Warnings on stderr, one a line."""
    for line in lines:
        err_console.print(f"[yellow]warning:[/] {line}")
