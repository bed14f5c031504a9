"""Slack markup -> readable text for embedding, and the URLs a message mentions."""

import html
import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from urllib.parse import urlparse

from db.models import Link, LinkType

# <@U123>, <@U123|name>, <#C123>, <#C123|name>, <!here>, <!subteam^S1|@team>, <url|label>, <url>
_MARKUP = re.compile(r"<([@#!]?)([^<>|]+)(?:\|([^<>]*))?>")
_BARE_URL = re.compile(r"https?://[^\s<>|\"']+")

_GITHUB = re.compile(r"^/[^/]+/[^/]+/(pull|issues)/\d+")


def render(
    text: str, user_name: Callable[[str], str | None], channel_name: Callable[[str], str | None]
) -> str:
    """Resolve mentions and links to what a reader sees: `@alice`, `#general`, `label (url)`."""

    def replace(match: re.Match) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            return "@" + (label or user_name(target) or target)
        if sigil == "#":
            return "#" + (label or channel_name(target) or target)
        if sigil == "!":
            if label:
                return label if label.startswith("@") else "@" + label
            return "@" + target.split("^")[0]
        if label and label != target:
            return f"{label} ({target})"
        return target

    return html.unescape(_MARKUP.sub(replace, text))


class _TextOfHtml(HTMLParser):
    """Collects the text of an HTML document, a line per block element."""

    _BLOCKS = frozenset({"p", "div", "li", "br", "h1", "h2", "h3", "h4", "tr", "pre", "ul"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(document: str) -> str:
    """The readable text of HTML (a Slack post's preview): tags gone, blocks on own lines."""
    parser = _TextOfHtml()
    parser.feed(document)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def urls_in(text: str) -> list[str]:
    """URLs in Slack markup (`<https://…|label>`) or bare, in order, without duplicates."""
    found: list[str] = []
    for match in _MARKUP.finditer(text):
        if not match.group(1) and match.group(2).startswith(("http://", "https://")):
            found.append(html.unescape(match.group(2)))
    for url in _BARE_URL.findall(_MARKUP.sub(" ", text)):
        found.append(html.unescape(url.rstrip(".,;:!?)")))
    return list(dict.fromkeys(found))


def classify(url: str) -> Link:
    """Classify a URL for the seed's query patterns (PR links by reactions, ...)."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    link_type: LinkType = "other"
    if host in ("github.com", "www.github.com"):
        kind = _GITHUB.match(parsed.path)
        if kind:
            link_type = "github_pr" if kind.group(1) == "pull" else "github_issue"
    elif host.endswith(".atlassian.net") or "jira" in host.split("."):
        link_type = "jira"
    elif host == "docs.google.com":
        link_type = "google_doc"
    return Link(url=url, link_type=link_type, domain=host or None)


def extract_links(texts: Iterable[str]) -> list[Link]:
    """Classified links from a message's text and its attachments' texts and URLs."""
    urls: list[str] = []
    for text in texts:
        urls.extend(urls_in(text))
    return [classify(u) for u in dict.fromkeys(urls)]
