"""Terminal output: rich progress bars behind the ingest Progress protocol."""

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

err_console = Console(stderr=True)


class RichProgress:
    """One bar per counter (files, messages, embedded), on stderr so --json stays clean."""

    def __init__(self) -> None:
        self._bars = Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> "RichProgress":
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()

    def start(self, counter: str, total: int | None) -> None:
        """Add a bar, or set its total."""
        if counter in self._tasks:
            self._bars.update(self._tasks[counter], total=total)
        else:
            self._tasks[counter] = self._bars.add_task(counter, total=total)

    def advance(self, counter: str, amount: int = 1) -> None:
        """Move a bar."""
        if amount:
            self._bars.advance(self._tasks[counter], amount)
