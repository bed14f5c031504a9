"""A newsletter offline: read the period's messages, cluster threads by meaning into topics,
rank topics by engagement, and file each under the section it is closest to in meaning."""

from collections import defaultdict

import numpy as np

from agent.contracts import Draft, Point, Request, Section
from agent.playbook import AgentContext, call, done, quote_point, results, window_args
from agent.toolbox import ToolOutcome
from mcp_server.contracts import HistoryResult, MessageRef

PAGE = 200
MAX_PAGES = 10  # per channel: a very busy channel is sampled, not read whole
SAME_TOPIC = 0.55  # cosine similarity at which two threads are one topic
SECTION_FIT = 0.3  # below this a topic goes to "Notable discussions"
POINTS_PER_SECTION = 4
# Each section is known by example sentences, not keywords: a topic goes where its closest
# example is (MiniLM scores real topics 0.35-0.6 against these, unrelated chatter below 0.3).
SECTIONS = {
    "Product updates": [
        "We launched a new feature for users.",
        "Release notes: shipping to all users.",
        "Product update: a new release is out.",
    ],
    "Engineering wins": [
        "Performance improved: latency dropped, error rate down.",
        "The system is now much faster after our improvement.",
        "The fix landed and the problem is solved.",
    ],
    "Customer feedback": [
        "A customer told us about a problem they have.",
        "Customer reports: they love it but it times out.",
        "A customer asked for a feature.",
    ],
}
NOTABLE = "Notable discussions"

MAX_STEPS = 2 + MAX_PAGES  # channels, first pages, then more pages
INSTRUCTIONS = (
    "Draft a newsletter of the period's most engaging topics. Read the period with "
    "channel_history (pass since/until; page with next_cursor), or find topics with "
    "semantic_search. Rank topics by reactions, replies and participants. Write sections titled "
    "'Product updates', 'Engineering wins', 'Customer feedback' and 'Notable discussions' (omit "
    "empty ones); every point links the messages it summarises."
)


def plan(request: Request, outcomes: list[ToolOutcome], context: AgentContext):
    """Step 1: the channels; then their history in the window, page by page."""
    listed = results(outcomes, "list_channels")
    if not listed:
        return [call("list_channels", {}, 1)]
    histories = [o for o in outcomes if o.name == "channel_history"]
    if not histories:
        wanted = {c.lstrip("#") for c in request.channels}
        names = [
            c["name"]
            for c in listed[0]["channels"]
            if c["messages"] and (c["name"] in wanted or c["channel_id"] in wanted or not wanted)
        ]
        return [call("channel_history", _page(request, name), 2, n) for n, name in enumerate(names)]
    pages: dict[str, int] = defaultdict(int)
    for o in histories:
        pages[o.args["channel"]] += 1
    return [
        call("channel_history", _page(request, o.args["channel"], cursor), 2 + len(histories), n)
        for n, o in enumerate(done(outcomes, "channel_history"))
        if (cursor := (o.data or {}).get("next_cursor"))
        and pages[o.args["channel"]] < MAX_PAGES
        and not any(h.args.get("cursor") == cursor for h in histories)
    ]


def compose(request: Request, outcomes: list[ToolOutcome], context: AgentContext) -> Draft:
    """Topics by engagement, each quoted from its most engaging thread, filed by section."""
    if context.embed is None:
        raise ValueError("the offline newsletter needs an embedder to cluster topics")
    threads = _threads(outcomes)
    if not threads:
        return Draft(found=False, summary="No messages in this period.")
    roots = list(threads)
    vectors = context.embed([_thread_text(threads[r]) for r in roots])
    topics = _cluster(roots, vectors, {r: _engagement(threads[r]) for r in roots})
    examples = [(title, text) for title, texts in SECTIONS.items() for text in texts]
    example_vectors = context.embed([text for _, text in examples])
    filed: dict[str, list[Point]] = defaultdict(list)
    # workspace-wide, quiet topics are noise; a digest of chosen channels reports them anyway
    least = 0 if request.channels else 2
    for members, centroid in topics:
        if _engagement(threads[members[0]]) < least:
            continue
        fit = example_vectors @ centroid
        best = int(np.argmax(fit))
        title = examples[best][0] if fit[best] >= SECTION_FIT else NOTABLE
        if len(filed[title]) < POINTS_PER_SECTION:
            filed[title].append(_topic_point([threads[r] for r in members]))
    order = [*SECTIONS, NOTABLE]
    sections = [Section(title=t, points=filed[t]) for t in order if filed[t]]
    count = sum(len(t) for t in threads.values())
    channels = len({m.channel_id for t in threads.values() for m in t})
    summary = (
        f"{count} messages in {channels} channels"
        + (f" since {request.since:%Y-%m-%d}" if request.since else "")
        + (f" until {request.until:%Y-%m-%d}" if request.until else "")
        + f"; {sum(len(s.points) for s in sections)} topics stood out."
    )
    return Draft(found=bool(sections), summary=summary, sections=sections)


def _page(request: Request, channel: str, cursor: str | None = None) -> dict:
    args: dict = {"channel": channel, "limit": PAGE} | window_args(request.since, request.until)
    if cursor:
        args["cursor"] = cursor
    return args


def _threads(outcomes: list[ToolOutcome]) -> dict[tuple[str, str], list[MessageRef]]:
    threads: dict[tuple[str, str], list[MessageRef]] = defaultdict(list)
    for o in done(outcomes, "channel_history"):
        for m in HistoryResult.model_validate(o.data).messages:
            if m.text.strip():
                threads[(m.channel_id, m.thread_ts or m.ts)].append(m)
    return {key: sorted(ms, key=lambda m: float(m.ts)) for key, ms in threads.items()}


def _engagement(thread: list[MessageRef]) -> int:
    """Reactions, replies and distinct participants: what made people stop and respond."""
    participants = {m.user_id for m in thread if m.user_id}
    replies = max(len(thread) - 1, thread[0].replies)
    return sum(m.reactions for m in thread) + replies + max(len(participants) - 1, 0)


def _thread_text(thread: list[MessageRef]) -> str:
    return " ".join(m.text for m in thread[:4])[:1000]


def _cluster(roots, vectors: np.ndarray, engagement: dict) -> list[tuple[list, np.ndarray]]:
    """Leader clustering, most engaging thread first: a thread joins the closest topic when
    similar enough, else starts one. Topics come back ranked by their most engaging thread
    (its lead), then by size: many lukewarm messages do not outrank one that people rallied to.
    """
    order = sorted(range(len(roots)), key=lambda i: -engagement[roots[i]])
    topics: list[tuple[list, np.ndarray]] = []
    for i in order:
        sims = [float(centroid @ vectors[i]) for _, centroid in topics]
        if sims and max(sims) >= SAME_TOPIC:
            topics[int(np.argmax(sims))][0].append(roots[i])
        else:
            topics.append(([roots[i]], vectors[i]))
    return sorted(topics, key=lambda t: (-engagement[t[0][0]], -len(t[0])))


def _topic_point(threads: list[list[MessageRef]]) -> Point:
    lead = threads[0]
    point = quote_point(lead[0])
    others = [t[0] for t in threads[1:3]]
    point.citations += [quote_point(m).citations[0] for m in others]
    reactions = sum(m.reactions for t in threads for m in t)
    replies = sum(len(t) - 1 for t in threads)
    people = len({m.user_id for t in threads for m in t if m.user_id})
    point.text += f" ({reactions} reactions, {replies} replies, {people} people)"
    return point
