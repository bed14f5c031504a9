"""What goes into and comes out of the agent: requests, drafts, citations and results.

A draft has the same shape for every task (a summary and titled sections of cited points), so
one verifier and one set of renderers serve answers, newsletters and PR reviews alike.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Task = Literal["answer", "newsletter", "pr_review"]
Mode = Literal["llm", "offline"]


class Request(BaseModel):
    """One job for the agent."""

    task: Task
    question: str = Field("", description="The question, or what the draft is about.")
    since: datetime | None = None
    until: datetime | None = None
    channels: list[str] = []
    pr_number: int | None = None
    pr_url: str | None = None
    title: str | None = None
    description: str | None = None
    previous_question: str | None = Field(
        None, description="The question before this one in the same conversation, if any."
    )


class Claim(BaseModel):
    """A citation as drafted: a message id and, optionally, the words quoted from it."""

    message_id: str = Field(description="Exact message_id of a message a tool returned.")
    quote: str = Field("", description="Words copied exactly from that message's text, or empty.")


class Point(BaseModel):
    """One statement of a draft and the messages that support it."""

    text: str
    citations: list[Claim] = []


class Section(BaseModel):
    """A titled group of points."""

    title: str
    points: list[Point]


class Draft(BaseModel):
    """What a composer writes: the model's structured output, or the extractive composer's."""

    found: bool = Field(description="False when the tool results do not answer the request.")
    summary: str = Field(description="The answer, or the draft's opening paragraph.")
    sections: list[Section] = Field(
        default=[], description="Supporting points grouped under titles, each with citations."
    )


class Citation(BaseModel):
    """A verified citation: the message exists in this run's tool results and holds the quote."""

    message_id: str
    channel: str
    ts: str
    user: str | None
    permalink: str
    text: str


class UsedTool(BaseModel):
    """A tool the agent called, with its arguments."""

    name: str
    args: dict[str, Any]


class Result(BaseModel):
    """The agent's output: the draft with only verified citations, and how it was made."""

    task: Task
    mode: Mode
    found: bool
    draft: Draft
    citations: list[Citation]
    tool_calls: list[UsedTool]
    dropped_citations: list[str] = Field(
        [], description="Cited ids or quotes that failed verification (never shown)."
    )
    latency_ms: float = 0.0
