"""A newsletter: read the period's messages, cluster conversations by meaning into topics, rank
topics by engagement, and file each under the section it is closest to in meaning.

Reading and grouping are the same with a model or without: offline each topic is headed by its
lead message's first sentence; with a model, the model writes the headlines for those same
groups, and the quotes and citations under them stay the ones chosen here."""

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import takewhile
from urllib.parse import urlparse

import numpy as np
from langchain_core.messages import AnyMessage, HumanMessage
from pydantic import BaseModel, Field

from agent import llm
from agent.contracts import Draft, Point, Request, Section
from agent.dates import window_words
from agent.playbook import (
    AgentContext,
    call,
    done,
    one_line,
    plural,
    quote_point,
    results,
    window_args,
)
from agent.toolbox import ToolOutcome
from db.conversations import CONVERSATION_GAP_SECONDS
from mcp_server.contracts import HistoryResult, MessageRef

PAGE = 200
MAX_PAGES = 10  # per channel: a very busy channel is sampled, not read whole
SAME_TOPIC = 0.55  # cosine similarity at which two threads are one topic
SECTION_FIT = 0.3  # below this a topic goes to "Notable discussions"
POINTS_PER_SECTION = 4
QUOTES_PER_TOPIC = 3
QUOTE_CHARS = 160
HEADLINE_CHARS = 90
# Messages of a channel outside threads are one conversation while each follows the last
# within the gap the stores use for a message's context (db/conversations.py).
CONVERSATION_GAP = timedelta(seconds=CONVERSATION_GAP_SECONDS)
# A reply in a slow channel comes after that gap, often the next morning, and names whom it
# answers ("hey @timabram cool project!", 81 minutes after his post): a message that addresses a
# speaker continues that speaker's conversation, the strongest cue for telling conversations
# apart in chat (Elsner and Charniak, "Disentangling Chat", Computational Linguistics 2010). So a
# run of messages whose opener names someone who spoke in the channel within this window joins
# the conversation they last spoke in.
REPLY_WINDOW = timedelta(days=1)
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
    "Events and talks": [
        "Slides from tonight's talk are posted.",
        "Who is coming to the meetup next week?",
        "Great talk at the conference today.",
    ],
    "Projects and feedback": [
        "I built a small tool and would love your feedback.",
        "Here is a demo of my side project.",
        "Nice work! One suggestion: the page is slow to load.",
    ],
    "Tools and reading": [
        "Has anyone tried this library?",
        "A useful article about this technique.",
        "Here is a tutorial worth reading.",
    ],
}
NOTABLE = "Notable discussions"
SECTION_ORDER = [*SECTIONS, NOTABLE]

MAX_STEPS = 2 + MAX_PAGES  # channels, first pages, then more pages
INSTRUCTIONS = (
    "You write the headlines of a newsletter about a Slack workspace. Each numbered topic below "
    "is a group of messages people wrote about one thing. For every topic write one headline: "
    f"at most {HEADLINE_CHARS} characters, plain text, saying what the topic's messages are "
    "about, using only what they say. Do not address the reader and do not mention anyone "
    "with @ or <...>."
)


class Headline(BaseModel):
    """One topic's headline, by the topic's number."""

    topic: int = Field(description="The topic's number, as given.")
    headline: str = Field(description="One line saying what the topic's messages are about.")


class Headlines(BaseModel):
    """A headline for each numbered topic."""

    headlines: list[Headline]


def plan(request: Request, outcomes: list[ToolOutcome], context: AgentContext):
    """Step 1: the channels; then their history in the window, page by page."""
    listed = results(outcomes, "list_channels")
    if not listed:
        return [call("list_channels", {}, 1), call("sql_metadata_query", _joins(request), 1, 1)]
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
    """Topics headed by their lead message's first sentence (see `_digest`)."""
    return _digest(request, outcomes, context).draft({})


async def write(request: Request, outcomes: list[ToolOutcome], context: AgentContext) -> Draft:
    """With a model: the same topics and quotes as `compose`, headed by the model's headlines
    (a topic it leaves out or heads with nothing keeps its extractive one)."""
    if context.model is None:
        raise ValueError("writing headlines needs a chat model")
    digest = _digest(request, outcomes, context)
    if not digest.topics:
        return digest.draft({})
    topics = [
        {
            "topic": n,
            "channels": sorted(topic.channels),
            "conversations": [
                [{"user": m.user, "text": m.text[:300]} for m in topic.talks[i][:4]]
                for i in topic.members[:QUOTES_PER_TOPIC]
            ],
        }
        for n, topic in enumerate(digest.topics)
    ]
    asked: list[AnyMessage] = [
        llm.system_message(INSTRUCTIONS),
        HumanMessage(f"Write a headline for each of the {len(topics)} topics."),
        *llm.read_as_tool("newsletter_topics", topics),
    ]
    reply = await llm.structured(context.model, Headlines, asked)
    written = {
        h.topic: headline
        for h in reply.headlines
        if 0 <= h.topic < len(digest.topics) and (headline := one_line(h.headline, HEADLINE_CHARS))
    }
    return digest.draft(written)


@dataclass
class _Digest:
    """The period's chosen topics, each filed under a section, and the by-the-numbers line."""

    summary: str
    filed: dict[str, list["_Topic"]]

    @property
    def topics(self) -> list["_Topic"]:
        return [t for title in SECTION_ORDER for t in self.filed.get(title, [])]

    def draft(self, headlines: dict[int, str]) -> Draft:
        """The newsletter; topic n (in `topics` order) is headed by headlines[n] if given."""
        number = {topic: n for n, topic in enumerate(self.topics)}
        sections = [
            Section(
                title=title,
                points=[_topic_point(t, headlines.get(number[t])) for t in self.filed[title]],
            )
            for title in SECTION_ORDER
            if self.filed.get(title)
        ]
        return Draft(found=bool(sections), summary=self.summary, sections=sections)


def _digest(request: Request, outcomes: list[ToolOutcome], context: AgentContext) -> _Digest:
    """Topics: conversations grouped by meaning across channels, ranked by engagement with
    every active channel's best topic first, each filed under the section it is closest to."""
    if context.embed is None:
        raise ValueError("the newsletter needs an embedder to cluster topics")
    talks = _conversations(outcomes)
    if not talks:
        return _Digest(summary="No messages in this period.", filed={})
    vectors = context.embed([_thread_text(t) for t in talks])
    topics = _cluster(talks, vectors)
    examples = [(title, text) for title, texts in SECTIONS.items() for text in texts]
    example_vectors = context.embed([text for _, text in examples])
    filed: dict[str, list[_Topic]] = defaultdict(list)
    # workspace-wide, quiet topics are noise; a digest of chosen channels reports them anyway
    least = 0 if request.channels else 2
    for topic in _chosen([t for t in topics if t.engagement >= least]):
        fit = example_vectors @ topic.centroid
        best = int(np.argmax(fit))
        title = examples[best][0] if fit[best] >= SECTION_FIT else NOTABLE
        if len(filed[title]) < POINTS_PER_SECTION:
            filed[title].append(topic)
    chosen = sum(len(ts) for ts in filed.values())
    return _Digest(summary=_by_the_numbers(request, talks, outcomes, chosen), filed=filed)


def _joins(request: Request) -> dict:
    """People who joined a channel in the window (of the chosen channels, if any)."""
    return {
        "sql": "SELECT count(DISTINCT user_id) FROM message_metadata "
        "WHERE subtype IN ('channel_join', 'group_join') "
        "AND created_at >= $1::timestamptz AND created_at < $2::timestamptz "
        "AND ($3::text[] IS NULL OR channel_id IN "
        "(SELECT channel_id FROM channels WHERE name = ANY($3::text[])))",
        "params": [
            request.since.isoformat() if request.since else "-infinity",
            request.until.isoformat() if request.until else "infinity",
            [c.lstrip("#") for c in request.channels] or None,
        ],
    }


def _page(request: Request, channel: str, cursor: str | None = None) -> dict:
    args: dict = {"channel": channel, "limit": PAGE} | window_args(request.since, request.until)
    if cursor:
        args["cursor"] = cursor
    return args


@dataclass(eq=False)  # a topic is itself: its centroid is an array, not a value to compare
class _Topic:
    """Conversations that are about one thing, and how much people engaged with them."""

    members: list[int]  # indexes into the period's conversations, most engaging first
    centroid: np.ndarray
    talks: list[list[MessageRef]]

    @property
    def messages(self) -> list[MessageRef]:
        return [m for i in self.members for m in self.talks[i]]

    @property
    def engagement(self) -> int:
        """Its lead conversation's: many lukewarm messages do not outrank one that people
        rallied to."""
        return _engagement(self.talks[self.members[0]])

    @property
    def channels(self) -> set[str]:
        return {m.channel for m in self.messages}


def _conversations(outcomes: list[ToolOutcome]) -> list[list[MessageRef]]:
    """The period's conversations: a thread, or, in a channel that has no threads (exports
    from before Slack had them), a run of messages each within CONVERSATION_GAP of the one
    before, joined with the later runs that answer it by name (`_joined_by_address`). Where
    people do use threads, a message outside one stands alone."""
    by_key: dict[tuple[str, str], list[MessageRef]] = defaultdict(list)
    loose: dict[str, list[MessageRef]] = defaultdict(list)
    for o in done(outcomes, "channel_history"):
        for m in HistoryResult.model_validate(o.data).messages:
            if not m.text.strip():
                continue
            if m.thread_ts:
                by_key[(m.channel_id, m.thread_ts)].append(m)
            else:
                loose[m.channel_id].append(m)
    talks = [sorted(ms, key=lambda m: float(m.ts)) for ms in by_key.values()]
    threaded = {channel for channel, _ in by_key}
    for channel, messages in loose.items():
        runs: list[list[MessageRef]] = [[]]
        for m in sorted({m.message_id: m for m in messages}.values(), key=lambda m: float(m.ts)):
            if runs[-1] and (channel in threaded or m.time - runs[-1][-1].time > CONVERSATION_GAP):
                runs.append([])
            runs[-1].append(m)
        talks += runs if channel in threaded else _joined_by_address(runs)
    return sorted(talks, key=lambda t: float(t[0].ts))


def _joined_by_address(runs: list[list[MessageRef]]) -> list[list[MessageRef]]:
    """One channel's runs (in time order) as conversations: a run whose opener names someone
    ("@neerajt") who spoke within REPLY_WINDOW before it joins the conversation they last spoke
    in."""
    conversations: list[list[MessageRef]] = []
    for run in runs:
        spoke = [
            (max(times), n)
            for n, talk in enumerate(conversations)
            if (times := [m.time for m in _recent(talk, run[0]) if _addresses(run[0], m)])
        ]
        if spoke:
            conversations[max(spoke)[1]].extend(run)
        else:
            conversations.append(list(run))
    return conversations


def _recent(talk: list[MessageRef], message: MessageRef) -> Iterator[MessageRef]:
    """The conversation's messages said within REPLY_WINDOW before `message`, newest first
    (a busy channel's older ones are not read at all)."""
    return takewhile(lambda m: message.time - m.time <= REPLY_WINDOW, reversed(talk))


def _addresses(message: MessageRef, earlier: MessageRef) -> bool:
    """Whether `message` names the author of `earlier`, someone else (mentions read "@name",
    as tools render them)."""
    return (
        earlier.user is not None
        and earlier.user_id != message.user_id
        and re.search(rf"@{re.escape(earlier.user)}(?!\w|[.-]\w)", message.text) is not None
    )


def _engagement(thread: list[MessageRef]) -> int:
    """Reactions, replies and distinct participants: what made people stop and respond."""
    participants = {m.user_id for m in thread if m.user_id}
    replies = max(len(thread) - 1, thread[0].replies)
    return sum(m.reactions for m in thread) + replies + max(len(participants) - 1, 0)


def _thread_text(thread: list[MessageRef]) -> str:
    return " ".join(m.text for m in thread[:4])[:1000]


def _cluster(talks: list[list[MessageRef]], vectors: np.ndarray) -> list[_Topic]:
    """Leader clustering, most engaging conversation first: one joins the closest topic when
    similar enough, else starts one. Topics come back ranked by their lead's engagement, then
    by size."""
    order = sorted(range(len(talks)), key=lambda i: -_engagement(talks[i]))
    topics: list[_Topic] = []
    for i in order:
        sims = [float(t.centroid @ vectors[i]) for t in topics]
        if sims and max(sims) >= SAME_TOPIC:
            topics[int(np.argmax(sims))].members.append(i)
        else:
            topics.append(_Topic(members=[i], centroid=vectors[i], talks=talks))
    return sorted(topics, key=lambda t: (-t.engagement, -len(t.members)))


def _chosen(topics: list[_Topic]) -> list[_Topic]:
    """Every active channel's most engaging topic first, then the rest by engagement: a quiet
    channel's best still beats a busy channel's fifth."""
    first: list[_Topic] = []
    covered: set[str] = set()
    for topic in topics:
        if not topic.channels <= covered:
            first.append(topic)
            covered |= topic.channels
    return first + [t for t in topics if t not in first]


def _topic_point(topic: _Topic, headline: str | None = None) -> Point:
    """A headline (given, or drawn from the opener of the topic's most engaging conversation),
    then a quote from each of its lead messages; each cited."""
    messages = topic.messages
    headline = headline or _headline(topic.talks[topic.members[0]])
    points = [quote_point(m, limit=QUOTE_CHARS) for m in _leads(topic)]
    people = {m.user_id for m in messages if m.user_id}
    where = ", ".join(f"#{c}" for c in sorted(topic.channels))
    stats = ", ".join(
        [
            plural(len(messages), "message"),
            plural(len(people), "person", "people"),
            plural(sum(m.reactions for m in messages), "reaction"),
        ]
    )
    return Point(
        text=f"{headline} ({where}: {stats})", citations=[c for p in points for c in p.citations]
    )


def _leads(topic: _Topic) -> list[MessageRef]:
    """The message that opened each of the topic's (up to three) most engaging conversations,
    and, with room left, the reply of its lead conversation that people reacted to most, if it
    drew more than its opener; in time order."""
    talks = [topic.talks[i] for i in topic.members[:QUOTES_PER_TOPIC]]
    leads = [_opener(talk) for talk in talks]
    replies = [m for m in talks[0] if m is not leads[0] and m.reactions > leads[0].reactions]
    if len(leads) < QUOTES_PER_TOPIC and replies:
        leads.append(max(replies, key=lambda m: (m.reactions, -float(m.ts))))
    return sorted(leads, key=lambda m: m.time)


def _opener(talk: list[MessageRef]) -> MessageRef:
    """The conversation's first substantial message (four words or more once its links go):
    what it is about is said there, as a reply only answers it. Its headline and first quote."""
    return next((m for m in talk if len(_without_links(m.text).split()) >= 4), talk[0])


def _headline(talk: list[MessageRef]) -> str:
    """The first sentence of the conversation's opener, cut at a word; a conversation that is
    only links is headed by the first link's site."""
    text = _without_links(_opener(talk).text)
    if not text:
        site = _URL.search(talk[0].text)
        return f"A link to {urlparse(site.group()).hostname}" if site else talk[0].text[:40]
    first = re.split(r"(?<=[.!?])\s|\n", text, maxsplit=1)[0]
    return one_line(first, HEADLINE_CHARS).rstrip(".:")


def _without_links(text: str) -> str:
    """A message as a headline reads it: a link it opens with goes (the shared page's title
    follows it), a link inside a sentence becomes its site ("another cool tool is
    overleaf.com", not "another cool tool is")."""

    def site(link: re.Match) -> str:
        if not text[: link.start()].strip():
            return " "
        return " " + (urlparse(link.group()).hostname or "").removeprefix("www.")

    return " ".join(_URL.sub(site, text).replace("·", " ").split())


_URL = re.compile(r"https?://\S+")


def _by_the_numbers(
    request: Request, talks: list[list[MessageRef]], outcomes: list[ToolOutcome], topics: int
) -> str:
    messages = [m for t in talks for m in t]
    people = {m.user_id for m in messages if m.user_id}
    channels = {m.channel for m in messages}
    window = window_words(request.since, request.until)
    parts = [
        f"By the numbers{window}: {plural(len(messages), 'message')} from "
        f"{plural(len(people), 'person', 'people')} in {plural(len(channels), 'channel')}"
    ]
    joined = results(outcomes, "sql_metadata_query")
    if joined and joined[0]["rows"]:
        parts.append(plural(int(joined[0]["rows"][0][0] or 0), "new member"))
    top = max(messages, key=lambda m: (m.reactions, -float(m.ts)))
    if top.reactions:
        parts.append(
            f"most reacted-to: {top.user or 'someone'} in #{top.channel} "
            f"({plural(top.reactions, 'reaction')})"
        )
    return "; ".join(parts) + f". {plural(topics, 'topic')} stood out."
