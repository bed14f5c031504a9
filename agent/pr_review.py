"""A PR-review draft offline: every discussion of the PR (messages linking it and messages naming
it without a link), their threads sorted into feedback, questions, concerns and decisions, and
similar past PR discussions."""

import re

from agent.answer import RELEVANT
from agent.contracts import Draft, Point, Request, Section
from agent.intent import PR_REFERENCE
from agent.playbook import AgentContext, call, done, quote_point, results
from agent.toolbox import ToolOutcome
from mcp_server.contracts import MessageRef, SearchResult, ThreadResult

LINKED_SQL = (
    "SELECT m.message_id, m.channel_id, m.ts, m.thread_ts FROM links l "
    "JOIN message_metadata m ON m.message_id = l.message_id "
    "WHERE l.link_type = 'github_pr' AND l.url ~ $1 ORDER BY m.created_at LIMIT 100"
)
CATEGORIES = [
    (
        "Decisions",
        re.compile(
            r"\b(decision|decided|agreed|approved|merged|going with|we keep|"
            r"we will|we'll|ship it)\b",
            re.I,
        ),
    ),
    (
        "Concerns",
        re.compile(
            r"\b(concern|worr|risk|what happens|careful|break|regression|"
            r"downside|unsafe)",
            re.I,
        ),
    ),
    ("Open questions", re.compile(r"\?")),
]
FEEDBACK = "Feedback"
# a similar past PR discussion: at least this close, and a discussion (replies or reactions)
WEAK_SIMILARITY = 0.3
SIMILAR = "pull request like: "  # query prefix of the similar-past-PRs search

MAX_STEPS = 4
INSTRUCTIONS = (
    "Draft a review summary of one pull request from Slack. Find every discussion of it: "
    "messages linking it (sql_metadata_query over links with link_type 'github_pr') and "
    "messages naming it or its subject without a link (semantic_search), then their threads "
    "(get_thread). Also find similar past PR discussions. Write sections 'Feedback', 'Open "
    "questions', 'Concerns', 'Decisions' and 'Similar past PRs', each point cited."
)


def pr_number(request: Request) -> int:
    """The PR's number, from the request or its URL."""
    if request.pr_number is not None:
        return request.pr_number
    match = PR_REFERENCE.search(request.pr_url or request.question)
    if not match:
        raise ValueError("give a PR number or a GitHub pull request URL")
    return int(match[1])


def plan(request: Request, outcomes: list[ToolOutcome], context: AgentContext):
    """Step 1: linking messages and searches; 2: their threads; 3: similar past PRs."""
    number = pr_number(request)
    if not outcomes:
        calls = [
            call("sql_metadata_query", {"sql": LINKED_SQL, "params": [_url_pattern(number)]}, 1),
            call("semantic_search", {"query": f"PR {number}", "limit": 20}, 1, 1),
        ]
        if subject := _subject(request):
            calls.append(call("semantic_search", {"query": subject, "limit": 20}, 1, 2))
        return calls
    if not [o for o in outcomes if o.name == "get_thread"]:
        return [
            call("get_thread", {"channel": channel, "thread_ts": ts}, 2, n)
            for n, (channel, ts) in enumerate(_roots(outcomes, number))
        ]
    if len([o for o in outcomes if o.name == "semantic_search"]) < 2 + bool(_subject(request)):
        opening = _discussion(outcomes, number)
        query = _subject(request) or (opening[0].text if opening else f"PR {number}")
        return [call("semantic_search", {"query": f"{SIMILAR}{query}", "limit": 30}, 3)]
    return []


def compose(request: Request, outcomes: list[ToolOutcome], context: AgentContext) -> Draft:
    """The discussion sorted into sections; the opening message is the summary."""
    number = pr_number(request)
    discussion = _discussion(outcomes, number)
    if not discussion:
        return Draft(found=False, summary=f"No Slack discussion of PR {number} was found.")
    filed: dict[str, list[Point]] = {t: [] for t in (FEEDBACK, *(t for t, _ in CATEGORIES))}
    opening, *rest = discussion
    for message in rest:
        title = next((t for t, pattern in CATEGORIES if pattern.search(message.text)), FEEDBACK)
        filed[title].append(quote_point(message))
    seen = {m.message_id for m in discussion}
    similar = [
        quote_point(hit)
        for o in done(outcomes, "semantic_search")
        if o.args["query"].startswith(SIMILAR)
        for hit in SearchResult.model_validate(o.data).hits
        if hit.message_id not in seen
        and _mentions_other_pr(hit.text, number)
        and (hit.similarity or 0) >= WEAK_SIMILARITY
        and (hit.replies or hit.reactions >= 2)
    ][:5]
    sections = [Section(title=t, points=p) for t, p in filed.items() if p]
    if similar:
        sections.append(Section(title="Similar past PRs", points=similar))
    opening_point = quote_point(opening)
    sections.insert(0, Section(title="The PR in Slack", points=[opening_point]))
    people = sorted({m.user for m in discussion if m.user})
    summary = (
        f"PR {number} was discussed in {len(discussion)} messages by {', '.join(people)}. "
        f"It opened with {opening_point.text}"
    )
    return Draft(found=True, summary=summary, sections=sections)


def _url_pattern(number: int) -> str:
    return f"/pull/{number}([^0-9]|$)"


def _subject(request: Request) -> str:
    return " ".join(p for p in (request.title, request.description) if p)


def _names_pr(text: str, number: int) -> bool:
    return any(int(n) == number for n in PR_REFERENCE.findall(text))


def _mentions_other_pr(text: str, number: int) -> bool:
    return any(int(n) != number for n in PR_REFERENCE.findall(text))


def _roots(outcomes: list[ToolOutcome], number: int) -> list[tuple[str, str]]:
    """Threads that discuss the PR: of linking messages, and of hits that name it."""
    roots = [
        (row[1], row[3] or row[2])
        for result in results(outcomes, "sql_metadata_query")
        for row in result["rows"]
    ]
    searches = done(outcomes, "semantic_search")
    for o in searches:
        for hit in SearchResult.model_validate(o.data).hits:
            on_subject = o.args["query"] != f"PR {number}" and (hit.similarity or 0) >= RELEVANT
            if _names_pr(hit.text, number) or on_subject:
                roots.append((hit.channel_id, hit.thread_ts or hit.ts))
    return list(dict.fromkeys(roots))


def _discussion(outcomes: list[ToolOutcome], number: int) -> list[MessageRef]:
    """Every message of the PR's threads, oldest first, each once."""
    messages: dict[str, MessageRef] = {}
    for o in done(outcomes, "get_thread"):
        for m in ThreadResult.model_validate(o.data).messages:
            messages.setdefault(m.message_id, m)
    return sorted(messages.values(), key=lambda m: float(m.ts))
