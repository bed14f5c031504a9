"""A Result as Markdown (terminal, files), Slack Block Kit (chat.postMessage) or HTML."""

import html
import json
from datetime import UTC, datetime

from agent.contracts import Citation, Claim, Point, Result

MODE_NOTE = {
    "llm": "written by the configured model",
    "offline": "offline mode: quoted from the workspace, no model",
}
_TITLES = {"answer": "Answer", "newsletter": "Newsletter", "pr_review": "PR review"}
_BLOCK_TEXT = 2900  # Slack rejects section text over 3000 characters
_MAX_BLOCKS = 48  # and messages over 50 blocks


def fallback_text(result: Result) -> str:
    """The plain text Slack shows in notifications beside the blocks (at most 3,000 chars)."""
    return _escaped(result.draft.summary[:3000])


def markdown(result: Result) -> str:
    """Headings, bullet points and numbered source links."""
    numbers = _numbers(result)
    by_id = {c.message_id: c for c in result.citations}
    lines = [result.draft.summary, ""]
    for section in result.draft.sections:
        lines += [f"### {section.title}", ""]
        for point in section.points:
            quotes = _quotes(point, by_id)
            if not quotes:
                lines.append(f"- {point.text}{_refs(point.citations, numbers)}")
                continue
            lines.append(f"- **{point.text}**{_refs(_shown(point, by_id), numbers)}")
            lines += [
                f"  - \u201c{claim.quote}\u201d ({_who(source)}){_refs([claim], numbers)}"
                for claim, source in quotes
            ]
        lines.append("")
    if numbers:
        lines += ["Sources:", ""]
        lines += [
            f"[{n}] #{c.channel} {c.ts}: {c.permalink}"
            for n, c in enumerate(result.citations, start=1)
        ]
        lines.append("")
    lines.append(f"_{MODE_NOTE[result.mode]}_")
    return "\n".join(lines)


def slack_blocks(result: Result) -> list[dict]:
    """Block Kit blocks ready for chat.postMessage. Drafted text is escaped as Slack asks, so
    a quoted or model-written `<!channel>` is shown, not sent to everyone; only the links
    made here are markup."""
    by_id = {c.message_id: c for c in result.citations}
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": _TITLES[result.task]}},
        _mrkdwn(_escaped(result.draft.summary)),
    ]
    for section in result.draft.sections:
        lines = [f"*{_escaped(section.title)}*"]
        for point in section.points:
            quotes = _quotes(point, by_id)
            if quotes:
                links = "".join(f" {_link(by_id[c.message_id])}" for c in _shown(point, by_id))
                lines.append(f"• *{_escaped(point.text)}*{links}")
                lines += [
                    f"    \u203a \u201c{_escaped(claim.quote)}\u201d "
                    f"({_escaped(source.user or 'someone')}, {_link(source)})"
                    for claim, source in quotes
                ]
                continue
            sources = " ".join(
                _link(by_id[c.message_id]) for c in point.citations if c.message_id in by_id
            )
            lines.append(f"• {_escaped(point.text)} {sources}".rstrip())
        blocks.append(_mrkdwn("\n".join(lines)))
    blocks = blocks[:_MAX_BLOCKS]
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": MODE_NOTE[result.mode]}]}
    )
    return blocks


def html_page(result: Result) -> str:
    """One self-contained HTML page."""
    by_id = {c.message_id: c for c in result.citations}
    parts = [
        "<!doctype html><meta charset='utf-8'>",
        f"<title>{_TITLES[result.task]}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;"
        "line-height:1.5}li{margin:.4rem 0}small{color:#666}ul ul{list-style:none;"
        "padding-left:1rem;border-left:3px solid #ddd}q{font-style:italic}</style>",
        f"<h1>{_TITLES[result.task]}</h1><p>{html.escape(result.draft.summary)}</p>",
    ]
    for section in result.draft.sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2><ul>")
        for point in section.points:
            quotes = _quotes(point, by_id)
            if quotes:
                items = "".join(
                    f"<li><q>{html.escape(claim.quote)}</q> <small>{html.escape(_who(source))}"
                    f" <a href='{html.escape(source.permalink)}'>open</a></small></li>"
                    for claim, source in quotes
                )
                links = "".join(
                    f" <a href='{html.escape(by_id[c.message_id].permalink)}'>open</a>"
                    for c in _shown(point, by_id)
                )
                parts.append(
                    f"<li><strong>{html.escape(point.text)}</strong>{links}<ul>{items}</ul></li>"
                )
                continue
            sources = " ".join(
                f"<a href='{html.escape(by_id[c.message_id].permalink)}'>"
                f"#{html.escape(by_id[c.message_id].channel)}</a>"
                for c in point.citations
                if c.message_id in by_id
            )
            parts.append(f"<li>{html.escape(point.text)} {sources}</li>")
        parts.append("</ul>")
    parts.append(f"<p><small>{MODE_NOTE[result.mode]}</small></p>")
    return "\n".join(parts)


def render(result: Result, fmt: str) -> str:
    """`markdown`, `slack` (Block Kit JSON) or `html`."""
    if fmt == "slack":
        return json.dumps({"blocks": slack_blocks(result)}, indent=2)
    if fmt == "html":
        return html_page(result)
    return markdown(result)


def _quotes(point: Point, by_id: dict[str, Citation]) -> list[tuple[Claim, Citation]]:
    """The point's quotes that its text does not already show (a newsletter topic's headline
    with its quotes under it), each with its verified source (`by_id`: the result's citations);
    empty for a point that quotes in its own text, or cites without quoting."""
    return [
        (claim, by_id[claim.message_id])
        for claim in point.citations
        if claim.quote and claim.quote not in point.text and claim.message_id in by_id
    ]


def _shown(point: Point, by_id: dict[str, Citation]) -> list[Claim]:
    """The point's citations whose quote its text already shows (a newsletter headline drawn
    from a quoted message): not quoted again, so linked from the text itself, or a source
    would be listed that nothing in the body points to."""
    return [
        claim
        for claim in point.citations
        if claim.quote and claim.quote in point.text and claim.message_id in by_id
    ]


def _who(source: Citation) -> str:
    return f"{source.user or 'someone'} in #{source.channel}, {_day(source.ts)}"


def _day(ts: str) -> str:
    return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d")


def _numbers(result: Result) -> dict[str, int]:
    return {c.message_id: n for n, c in enumerate(result.citations, start=1)}


def _refs(claims: list[Claim], numbers: dict[str, int]) -> str:
    refs = [f"[{numbers[c.message_id]}]" for c in claims if c.message_id in numbers]
    return f" {''.join(refs)}" if refs else ""


def _escaped(text: str) -> str:
    """Plain text as Slack mrkdwn: `&`, `<` and `>` escaped, so nothing in it is markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(source: Citation) -> str:
    return f"<{source.permalink}|#{_escaped(source.channel)}>"


def _mrkdwn(text: str) -> dict:
    if len(text) > _BLOCK_TEXT:
        text = text[:_BLOCK_TEXT] + " …"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
