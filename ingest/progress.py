"""How long work reports progress without knowing who shows it (rich bar, log, nothing)."""

from typing import Protocol


class Progress(Protocol):
    """Receives named counters: `start` declares a total, `advance` moves it."""

    def start(self, counter: str, total: int | None) -> None:
        """Declare a counter, or update its total (None: unknown)."""
        ...

    def advance(self, counter: str, amount: int = 1) -> None:
        """Move a counter forward."""
        ...


class NoProgress:
    """Progress that goes nowhere: the default for library calls and tests."""

    def start(self, counter: str, total: int | None) -> None:
        """Ignore."""

    def advance(self, counter: str, amount: int = 1) -> None:
        """Ignore."""
