"""What the tools returned in this run, and the check every citation must pass against it."""

import logging
import re
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from agent.contracts import Citation, Claim, Draft, Point, Section
from agent.toolbox import ToolOutcome
from mcp_server.contracts import MessageRef

log = logging.getLogger(__name__)
_MESSAGE_KEYS = {"message_id", "channel", "ts", "permalink"}


def messages_in(outcomes: Iterable[ToolOutcome]) -> dict[str, MessageRef]:
    """Every message any successful tool call returned, by id (first occurrence wins, later
    ones fill in text the first lacked)."""
    found: dict[str, MessageRef] = {}
    for outcome in outcomes:
        if outcome.ok and outcome.data is not None:
            for ref in _walk(outcome.data):
                known = found.get(ref.message_id)
                if known is None or (not known.text and ref.text):
                    found[ref.message_id] = ref
    return found


def _walk(value: Any) -> Iterable[MessageRef]:
    if isinstance(value, dict):
        if _MESSAGE_KEYS <= value.keys():
            try:
                yield MessageRef.model_validate(value)
            except ValidationError:
                pass
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)


def verify(draft: Draft, evidence: dict[str, MessageRef]) -> tuple[Draft, list[str]]:
    """The draft with only citations whose message a tool returned and whose quote is in that
    message's text; the rejected ones are logged and returned, never shown."""
    dropped: list[str] = []

    def check(claim: Claim) -> bool:
        ref = evidence.get(claim.message_id)
        if ref is None:
            reason = f"{claim.message_id}: not returned by any tool in this run"
        elif claim.quote and _normal(claim.quote) not in _normal(ref.text):
            reason = f"{claim.message_id}: quote not in the message: {claim.quote[:80]!r}"
        else:
            return True
        log.warning("dropped citation %s", reason)
        dropped.append(reason)
        return False

    sections = [
        Section(
            title=section.title,
            points=[
                Point(text=point.text, citations=[c for c in point.citations if check(c)])
                for point in section.points
            ],
        )
        for section in draft.sections
    ]
    return draft.model_copy(update={"sections": sections}), dropped


def citations(draft: Draft, evidence: dict[str, MessageRef]) -> list[Citation]:
    """The draft's (verified) citations in order of first use, each once."""
    seen: dict[str, Citation] = {}
    for section in draft.sections:
        for point in section.points:
            for claim in point.citations:
                ref = evidence[claim.message_id]
                fields = ref.model_dump(include=set(Citation.model_fields))
                seen.setdefault(ref.message_id, Citation(**fields))
    return list(seen.values())


def _normal(text: str) -> str:
    """Compare quotes without caring about case, whitespace runs or curly quotes."""
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip().lower()
