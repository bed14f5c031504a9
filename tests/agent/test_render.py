"""What a reader clicks: every listed source is pointed to from the body, in every format."""

import json

import pytest

from agent import render
from agent.contracts import Citation, Claim, Draft, Point, Result, Section

HEADLINE_SOURCE = "T1:C1:1700000000.000100"
QUOTED_SOURCE = "T1:C1:1700000100.000200"


def _newsletter() -> Result:
    """A topic headed by its first message's words, with a second message quoted under it."""
    sources = [
        Citation(
            message_id=message_id,
            channel="sci",
            ts=message_id.rsplit(":", 1)[1],
            user="jkim",
            permalink="https://acme.slack.com/archives/C1/p" + message_id[-17:].replace(".", ""),
            text=text,
        )
        for message_id, text in [
            (HEADLINE_SOURCE, "it can be linked to a github repository"),
            (QUOTED_SOURCE, "shareLaTeX is uber cool"),
        ]
    ]
    point = Point(
        text="it can be linked to a github repository (#sci: 2 messages, 2 people, 0 reactions)",
        citations=[
            Claim(message_id=HEADLINE_SOURCE, quote="it can be linked to a github repository"),
            Claim(message_id=QUOTED_SOURCE, quote="shareLaTeX is uber cool"),
        ],
    )
    draft = Draft(found=True, summary="July", sections=[Section(title="Tools", points=[point])])
    return Result(
        task="newsletter", mode="offline", found=True, draft=draft, citations=sources, tool_calls=[]
    )


def test_a_headline_drawn_from_a_quoted_message_is_numbered_in_markdown():
    text = render.render(_newsletter(), "markdown")
    assert "reactions)** [1]" in text  # the headline's own source, not quoted again below it
    assert "\u201cshareLaTeX is uber cool\u201d (jkim in #sci, 2023-11-14) [2]" in text
    assert text.count("github repository") == 1


@pytest.mark.parametrize("fmt", ["html", "slack"])
def test_a_headline_drawn_from_a_quoted_message_links_its_source(fmt: str):
    rendered = render.render(_newsletter(), fmt)
    if fmt == "slack":
        rendered = json.dumps(json.loads(rendered)["blocks"])
    assert "archives/C1/p1700000000000100" in rendered
    assert "archives/C1/p1700000100000200" in rendered
