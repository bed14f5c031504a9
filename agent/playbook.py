"""The run context and the helpers the task playbooks share.

A playbook (answer.py, newsletter.py, pr_review.py) is a module with INSTRUCTIONS for the model,
MAX_STEPS (tool-calling rounds), and the offline mode's `plan(request, outcomes, context)` (the
next tool calls, empty when done) and `compose(request, outcomes, context)` (an extractive Draft).
One that also has an async `write(request, outcomes, context)` plans offline even with a model
and composes with `write`, which asks the model only for words (the newsletter's headlines).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import ToolCall

from agent.contracts import Claim, Point
from agent.toolbox import Toolbox, ToolOutcome
from mcp_server.contracts import MessageRef

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass
class AgentContext:
    """Per-run settings (LangGraph's run-scoped context): tools, model, limits, clock."""

    toolbox: Toolbox
    model: BaseChatModel | None = None  # None runs the offline mode
    embed: Embed | None = None  # the newsletter's topic clustering, answers' word matching
    top_k: int = 8
    max_steps: int | None = None  # None: the task's own MAX_STEPS
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    word_vectors: "WordVectors | None" = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.embed is not None:
            self.word_vectors = WordVectors(self.embed)


class WordVectors:
    """Embeddings of single words, each computed once per run context (a passage's words
    recur across the questions of an eval and the turns of a bot thread)."""

    def __init__(self, embed: Embed):
        self._embed = embed
        self._known: dict[str, np.ndarray] = {}

    def __call__(self, words: list[str]) -> np.ndarray:
        """One L2-normalised vector per word, in order."""
        new = [w for w in dict.fromkeys(words) if w not in self._known]
        if new:
            self._known.update(zip(new, self._embed(new), strict=True))
        return np.asarray([self._known[w] for w in words])


def window_args(since: datetime | None, until: datetime | None) -> dict:
    """A time window as tool arguments (ISO 8601), leaving out an open end."""
    args = {}
    if since:
        args["since"] = since.isoformat()
    if until:
        args["until"] = until.isoformat()
    return args


def call(name: str, args: dict, step: int, n: int = 0) -> ToolCall:
    """A tool call with an id unique within the run."""
    return ToolCall(name=name, args=args, id=f"offline-{step}-{n}-{name}", type="tool_call")


def done(outcomes: list[ToolOutcome], name: str) -> list[ToolOutcome]:
    """The successful outcomes of one tool."""
    return [o for o in outcomes if o.name == name and o.ok and o.data is not None]


def results(outcomes: list[ToolOutcome], name: str) -> list[dict[str, Any]]:
    """The structured results of one tool's successful calls."""
    return [o.data for o in done(outcomes, name) if o.data is not None]


def quote_point(ref: MessageRef, limit: int = 280) -> Point:
    """A point that quotes one message, attributed, with that message as its citation."""
    quoted = one_line(ref.text, limit)
    who = ref.user or "someone"
    when = ref.time.strftime("%Y-%m-%d")
    return Point(
        text=f"{who} in #{ref.channel} ({when}): \u201c{quoted}\u201d",
        citations=[Claim(message_id=ref.message_id, quote=quoted.removesuffix(" …"))],
    )


def one_line(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, cut at a word (then " …")."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def plural(count: int, one: str, many: str | None = None) -> str:
    """`1 reply`, `2 replies`, `1 person`, `3 people`."""
    if count == 1:
        return f"1 {one}"
    return f"{count} {many or (one[:-1] + 'ies' if one.endswith('y') else one + 's')}"
