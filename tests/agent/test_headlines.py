"""How the offline newsletter heads a topic: the first sentence of its lead message, as a
reader would put it (pure functions, no stores)."""

from datetime import UTC, datetime

import numpy as np
import pytest

from agent.newsletter import _headline, _leads, _Topic
from mcp_server.contracts import MessageRef


def _talk(*texts: str, reactions: tuple[int, ...] = ()) -> list[MessageRef]:
    return [
        MessageRef(
            message_id=f"T1:C1:1700000000.00000{n}",
            channel_id="C1",
            channel="general",
            ts=f"1700000000.00000{n}",
            time=datetime(2023, 11, 14, 9, n, tzinfo=UTC),
            text=text,
            permalink=f"/archives/C1/p170000000000000{n}",
            reactions=reactions[n] if n < len(reactions) else 0,
        )
        for n, text in enumerate(texts)
    ]


@pytest.mark.parametrize(
    ("texts", "headline"),
    [
        # a link inside a sentence is its object: its site stays
        (["another cool tool is https://www.overleaf.com"], "another cool tool is overleaf.com"),
        # a link a message opens with is followed by the page's title, which says more
        (
            ["http://datausa.io/ Data USA: the largest visualization of public data. Try it"],
            "Data USA: the largest visualization of public data",
        ),
        (["https://github.com/acme/webapp", "ok"], "A link to github.com"),
        (
            ["ok", "Release notes for the spring launch are up. Read them!"],
            "Release notes for the spring launch are up",
        ),
    ],
)
def test_a_headline_reads_as_a_sentence(texts: list[str], headline: str):
    assert _headline(_talk(*texts)) == headline


def test_a_long_first_sentence_is_cut_at_a_word():
    headline = _headline(_talk("word " * 40))
    assert headline.endswith(" …") and len(headline) <= 92 and "wor …" not in headline


def test_a_topic_is_quoted_from_the_message_its_headline_reads():
    talk = _talk(
        "https://acme.dev/launch",
        "The spring launch is live for every customer. Try it",
        "I assume so, not looked yet",
        "congrats team!!",
        reactions=(0, 1, 3, 0),
    )
    topic = _Topic(members=[0], centroid=np.zeros(384), talks=[talk])
    # the opener is quoted, as its headline reads it, and then the reply people reacted to most
    assert _headline(talk) == "The spring launch is live for every customer"
    assert [m.text for m in _leads(topic)] == [talk[1].text, talk[2].text]
    quiet = _Topic(
        members=[0], centroid=np.zeros(384), talks=[_talk("Shipping the beta today, team")]
    )
    assert [m.text for m in _leads(quiet)] == ["Shipping the beta today, team"]
