"""How the offline newsletter heads a topic: the first sentence of its lead message, as a
reader would put it (pure functions, no stores)."""

from datetime import UTC, datetime

import pytest

from agent.newsletter import _headline
from mcp_server.contracts import MessageRef


def _talk(*texts: str) -> list[MessageRef]:
    return [
        MessageRef(
            message_id=f"T1:C1:1700000000.00000{n}",
            channel_id="C1",
            channel="general",
            ts=f"1700000000.00000{n}",
            time=datetime(2023, 11, 14, tzinfo=UTC),
            text=text,
            permalink=f"/archives/C1/p170000000000000{n}",
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
