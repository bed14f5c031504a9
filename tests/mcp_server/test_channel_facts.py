"""The workspace's own history and counts, read from the real houston export: each answer is
checked against the export's JSON read here independently, not against the stores."""

import json
import re
from collections import Counter
from datetime import UTC, datetime

import pytest

from agent.contracts import Request
from agent.runner import AgentRunner
from db import Stores
from ingest.normalise import EVENT_SUBTYPES, METADATA_SUBTYPES
from mcp_server.contracts import ChannelEventsArgs, CountArgs, FilesArgs, HistoryArgs, LinksArgs
from mcp_server.errors import ToolInputError
from mcp_server.tools import WorkspaceTools
from tests.conftest import HOUSTON, shared_export

URL = "https://houstondatavis.slack.com/archives/"


def _export_messages(channel: str) -> list[dict]:
    folder = shared_export("houston-datavis") / channel
    return [m for day in sorted(folder.glob("*.json")) for m in json.loads(day.read_text())]


def test_every_event_subtype_of_the_export_is_stored_with_its_values(houston: Stores):
    tools = WorkspaceTools(houston, HOUSTON)
    events = tools.channel_events(ChannelEventsArgs(limit=500)).events
    in_export = Counter(
        EVENT_SUBTYPES[m["subtype"]]
        for path in shared_export("houston-datavis").iterdir()
        if path.is_dir()
        for m in _export_messages(path.name)
        if m.get("subtype") in EVENT_SUBTYPES
    )
    assert Counter(e.kind for e in events) == in_export
    (rename,) = tools.channel_events(
        ChannelEventsArgs(channel="tutorials", kinds=["renamed"])
    ).events
    assert (rename.old_value, rename.new_value, rename.user) == ("tuts", "tutorials", "micahstubbs")
    assert rename.message.permalink.startswith(URL)
    (pin,) = tools.channel_events(ChannelEventsArgs(channel="datajam", kinds=["pinned"])).events
    assert pin.item is not None and pin.item.text.startswith("New data jam event posted")
    (added,) = tools.channel_events(ChannelEventsArgs(kinds=["integration_added"])).events
    assert (added.new_value, added.channel) == ("github", "general")


def test_events_narrow_by_person_and_window_and_page(houston: Stores):
    tools = WorkspaceTools(houston, HOUSTON)
    january = tools.channel_events(
        ChannelEventsArgs(
            kinds=["archived"],
            since=datetime(2016, 1, 1, tzinfo=UTC),
            until=datetime(2016, 2, 1, tzinfo=UTC),
        )
    ).events
    assert len(january) == 8 and {e.user for e in january} == {"neerajt", "micahstubbs"}
    by_micah = tools.channel_events(ChannelEventsArgs(kinds=["archived"], user="micahstubbs"))
    assert {e.channel for e in by_micah.events} == {"sponsors", "talks", "tutorials", "team-d3"}
    page = tools.channel_events(ChannelEventsArgs(kinds=["joined"], limit=5))
    assert len(page.events) == 5 and page.truncated
    with pytest.raises(ToolInputError, match="unknown channel"):
        tools.channel_events(ChannelEventsArgs(channel="no-such-channel"))


def test_message_counts_match_the_export(houston: Stores):
    content = [
        m
        for m in _export_messages("general")
        if m.get("subtype") not in METADATA_SUBTYPES and (m.get("text") or m.get("files"))
    ]
    posters = Counter(m.get("user") or m.get("comment", {}).get("user") for m in content)
    counts = WorkspaceTools(houston, HOUSTON).message_counts(CountArgs(channel="general"))
    assert counts.total == len(content)
    assert [(p.id, p.count) for p in counts.people[:3]] == posters.most_common(3)
    assert counts.posters == len(posters)
    july = WorkspaceTools(houston, HOUSTON).message_counts(
        CountArgs(
            channel="sci",
            since=datetime(2016, 7, 1, tzinfo=UTC),
            until=datetime(2016, 8, 1, tzinfo=UTC),
        )
    )
    in_july = [
        m
        for m in _export_messages("sci")
        if m.get("subtype") not in METADATA_SUBTYPES
        and datetime.fromtimestamp(float(m["ts"]), UTC).month == 7
    ]
    assert july.total == len(in_july) and july.channels[0].name == "sci"


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("What was #tutorials called before?", ["#tuts", "micahstubbs"]),
        ("Who archived #readings?", ["neerajt archived #readings on 2016-01-15"]),
        ("Which message is pinned in #datajam?", ["New data jam event posted"]),
        ("Who posted most in #tools?", ["most from micahstubbs"]),
        ("How many messages did javier post in #general?", ["javier posted"]),
        ("How many people posted in the readings channel?", [" people in #readings"]),
    ],
)
def test_the_offline_agent_answers_history_and_counts(houston: Stores, question, says):
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found
    assert all(s in result.draft.summary for s in says), result.draft.summary
    assert {u.name for u in result.tool_calls} & {"channel_events", "message_counts"}
    assert "semantic_search" not in {u.name for u in result.tool_calls}
    assert all(c.permalink.startswith(URL) for c in result.citations)


def test_a_channel_named_without_its_hash_scopes_the_history(houston: Stores):
    question = "When was the tutorials channel renamed?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    # the one rename of #tutorials, not every rename of the workspace (#random to #meetup-)
    assert result.draft.summary == "micahstubbs renamed #tuts to #tutorials on 2015-06-09."


def test_which_channel_is_busiest_is_answered_with_a_channel(houston: Stores):
    july = {
        path.name: sum(
            m.get("subtype") not in METADATA_SUBTYPES
            and datetime.fromtimestamp(float(m["ts"]), UTC).strftime("%Y-%m") == "2016-07"
            for m in _export_messages(path.name)
        )
        for path in shared_export("houston-datavis").iterdir()
        if path.is_dir()
    }
    most = max(july.values())
    busiest = sorted(f"#{name}" for name, n in july.items() if n == most)  # #general and #sci tie
    question = "Which channel had the most messages in July 2016?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    named = " and ".join(busiest) + (" have" if len(busiest) > 1 else " has")
    each = " each" if len(busiest) > 1 else ""
    assert result.draft.summary.startswith(
        f"{named} the most messages from 2016-07-01 to 2016-07-31: {most}{each} of "
        f"{sum(july.values())}; then "
    ), result.draft.summary


def test_the_channel_list_answers_members_creation_and_how_many(houston: Stores):
    listed = json.loads((shared_export("houston-datavis") / "channels.json").read_text())
    users = json.loads((shared_export("houston-datavis") / "users.json").read_text())
    names = {u["id"]: u["name"] for u in users}
    by_name = {c["name"]: c for c in listed}
    created = datetime.fromtimestamp(int(by_name["sci"]["created"]), UTC)
    expected = {
        "How many members does #datajam have?": (
            f"#datajam has {len(by_name['datajam']['members'])} members."
        ),
        # an archived channel's members are emptied by Slack: no "0 members"
        "How many people are in #tools?": (
            "#tools is archived: Slack lists no members for it."
            if by_name["tools"]["is_archived"] and not by_name["tools"]["members"]
            else f"#tools has {len(by_name['tools']['members'])} members."
        ),
        "What is #general about?": (
            f"#general: purpose \u201c{by_name['general']['purpose']['value']}\u201d; "
            f"topic \u201c{by_name['general']['topic']['value']}\u201d."
        ),
        "Who created the sci channel?": (
            f"#sci was created by {names[by_name['sci']['creator']]} on {created:%Y-%m-%d}."
        ),
    }
    for question, summary in expected.items():
        result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
        assert result.found and result.draft.summary == summary
        assert "semantic_search" not in {u.name for u in result.tool_calls}
    question = "How many channels are there?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    archived = sum(c["is_archived"] for c in listed)
    assert result.draft.summary.startswith(f"{len(listed)} channels, {archived} of them archived")


def test_who_a_person_is_from_their_profile_and_messages(houston: Stores):
    users = json.loads((shared_export("houston-datavis") / "users.json").read_text())
    micah = next(u for u in users if u["name"] == "micahstubbs")
    per_channel = Counter()
    for path in shared_export("houston-datavis").iterdir():
        if path.is_dir():
            per_channel[path.name] = sum(
                m.get("user") == micah["id"]
                and m.get("subtype") not in METADATA_SUBTYPES
                and bool(m.get("text") or m.get("files") or m.get("file"))
                for m in _export_messages(path.name)
            )
    places = ", ".join(f"#{name} ({n})" for name, n in per_channel.most_common(3))
    profile = f"{micah['real_name']}, {micah['profile']['title']}"
    result = AgentRunner(houston).run(
        HOUSTON, Request(task="answer", question="Who is micahstubbs?")
    )
    assert result.draft.summary == (
        f"micahstubbs ({profile}) posted {sum(per_channel.values())} messages, most in {places}."
    )


def _content(channel: str) -> list[dict]:
    return sorted(
        (
            m
            for m in _export_messages(channel)
            if m.get("subtype") not in METADATA_SUBTYPES
            and (m.get("text") or m.get("files") or m.get("file"))
        ),
        key=lambda m: float(m["ts"]),
    )


@pytest.mark.parametrize(
    ("question", "channel", "author", "pick"),
    [
        ("What was the last message in #readings?", "readings", None, -1),
        ("What was the first post in the sci channel?", "sci", None, 0),
        ("What did micahstubbs post last in #general?", "general", "U061A1R2R", -1),
    ],
)
def test_the_first_or_last_message_of_a_channel(houston: Stores, question, channel, author, pick):
    messages = [m for m in _content(channel) if author is None or m.get("user") == author]
    expected = messages[pick]
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found and [c.ts for c in result.citations] == [expected["ts"]]
    assert ("first" if pick == 0 else "last") in result.draft.summary


def test_history_pages_newest_first_reach_every_message_once(houston: Stores):
    tools = WorkspaceTools(houston, HOUSTON)
    seen, cursor = [], None
    while True:
        page = tools.channel_history(
            HistoryArgs(channel="readings", newest_first=True, limit=10, cursor=cursor)
        )
        seen += [m.ts for m in page.messages]
        if not (cursor := page.next_cursor):
            break
    assert seen == [m["ts"] for m in reversed(_content("readings"))]


def test_the_links_of_a_channel_ranked_each_with_a_message_that_shared_it(houston: Stores):
    tools = WorkspaceTools(houston, HOUSTON)
    everywhere = tools.top_links(LinksArgs(limit=50)).links
    assert len(everywhere) == 50 and all(link.example for link in everywhere)
    assert [link.reactions for link in everywhere] == sorted(
        (link.reactions for link in everywhere), reverse=True
    )
    in_tools = tools.top_links(LinksArgs(channel="tools", limit=50)).links
    assert in_tools and {link.example.channel for link in in_tools} == {"tools"}
    result = AgentRunner(houston).run(
        HOUSTON, Request(task="answer", question="What links were shared most in #tools?")
    )
    assert result.draft.summary.startswith("The links that drew the most reactions in #tools: ")
    assert in_tools[0].url in result.draft.summary
    assert result.citations and {c.channel for c in result.citations} == {"tools"}


def _first_shares() -> dict[str, tuple[str, dict]]:
    """Each shared file of the export, where it was first shared: {file id: (channel, msg)}."""
    shares: dict[str, tuple[str, dict]] = {}
    for path in shared_export("houston-datavis").iterdir():
        for m in _export_messages(path.name) if path.is_dir() else []:
            if m.get("subtype") == "file_share" and "file" in m:
                known = shares.get(m["file"]["id"])
                if known is None or float(m["ts"]) < float(known[1]["ts"]):
                    shares[m["file"]["id"]] = (path.name, m)
    return shares


def test_the_files_shared_by_channel_person_and_type(houston: Stores):
    shares = _first_shares()
    tools = WorkspaceTools(houston, HOUSTON)
    everything = tools.list_files(FilesArgs(limit=200))
    assert everything.total == len(shares) and len(everything.files) == len(shares)
    assert [f.message.ts for f in everything.files] == sorted(
        (m["ts"] for _, m in shares.values()), key=float
    )
    top = Counter(m["user"] for _, m in shares.values()).most_common(1)[0]
    assert (everything.sharers[0].id, everything.sharers[0].count) == top
    datajam = tools.list_files(FilesArgs(channel="datajam", limit=3))
    in_datajam = [fid for fid, (channel, _) in shares.items() if channel == "datajam"]
    assert datajam.total == len(in_datajam) and len(datajam.files) == 3
    assert {f.message.channel for f in datajam.files} == {"datajam"}
    images = tools.list_files(FilesArgs(filetypes=["image"], limit=200))
    assert images.total == sum(
        m["file"]["mimetype"].startswith("image/") for _, m in shares.values()
    )
    (pdf,) = tools.list_files(FilesArgs(filetypes=["pdf"])).files
    assert pdf.permalink and pdf.message.permalink.startswith(URL)
    with pytest.raises(ToolInputError, match="unknown user"):
        tools.list_files(FilesArgs(user="nobody-here"))


@pytest.mark.parametrize(
    ("question", "channel", "kind"),
    [
        ("Which files were shared in #team-d3?", "team-d3", None),
        ("What CSV files were posted?", None, "csv"),
        ("Who uploaded the PDF in #tools?", "tools", "pdf"),
    ],
)
def test_the_agent_lists_the_files_asked_for(houston: Stores, question, channel, kind):
    expected = sorted(
        (m for ch, m in _first_shares().values() if channel in (None, ch)),
        key=lambda m: float(m["ts"]),
    )
    expected = [m for m in expected if kind in (None, m["file"]["filetype"])]
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found and "semantic_search" not in {u.name for u in result.tool_calls}
    assert [c.ts for c in result.citations] == [m["ts"] for m in expected]
    assert all(m["file"]["title"] in result.draft.summary for m in expected)


def test_no_file_of_the_kind_asked_is_said_and_not_found(houston: Stores):
    assert not [
        m
        for ch, m in _first_shares().values()
        if ch == "general" and "pdf" in m["file"]["filetype"]
    ]
    question = "Which PDFs were shared in #general?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert not result.found and not result.citations
    assert result.draft.summary == "No PDF files were shared in #general."


def test_who_shared_most_files_leads_with_the_ranking(houston: Stores):
    users = json.loads((shared_export("houston-datavis") / "users.json").read_text())
    names = {u["id"]: u["name"] for u in users}
    ranked = Counter(m["user"] for _, m in _first_shares().values()).most_common()
    question = "Who shared the most files?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.draft.summary.startswith(
        f"{names[ranked[0][0]]} shared the most files: {ranked[0][1]} of "
        f"{sum(n for _, n in ranked)}; then {names[ranked[1][0]]} ({ranked[1][1]})"
    )


def test_the_channels_a_person_is_in(houston: Stores):
    listed = json.loads((shared_export("houston-datavis") / "channels.json").read_text())
    jkim = "U065ETZEC"
    theirs = sorted(c["name"] for c in listed if jkim in c.get("members", []))
    question = "Which channels is jkim in?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    names = ", ".join(f"#{name}" for name in theirs)
    assert result.draft.summary == f"jkim is a member of {len(theirs)} channels: {names}."


def test_joining_the_workspace_and_the_latest_to_join(houston: Stores):
    users = json.loads((shared_export("houston-datavis") / "users.json").read_text())
    names = {u["id"]: u["name"] for u in users}
    joins = sorted(
        (float(m["ts"]), path.name, m["user"])
        for path in shared_export("houston-datavis").iterdir()
        if path.is_dir()
        for m in _export_messages(path.name)
        if m.get("subtype") == "channel_join"
    )
    latest = joins[-1]
    result = AgentRunner(houston).run(
        HOUSTON, Request(task="answer", question="Who joined most recently?")
    )
    day = datetime.fromtimestamp(latest[0], UTC)
    assert f": {names[latest[2]]} joined #{latest[1]} on {day:%Y-%m-%d};" in result.draft.summary
    assert result.citations[0].ts.startswith(str(int(latest[0])))
    first = next(j for j in joins if names[j[2]] == "timabram")
    question = "When did timabram join the workspace?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    day = datetime.fromtimestamp(first[0], UTC)
    assert f"timabram joined #{first[1]} on {day:%Y-%m-%d}" in result.draft.summary
    assert {c.user for c in result.citations} == {"timabram"}


def test_one_field_of_a_profile_and_its_absence(houston: Stores):
    users = json.loads((shared_export("houston-datavis") / "users.json").read_text())
    micah = next(u for u in users if u["name"] == "micahstubbs")
    neeraj = next(u for u in users if u["name"] == "neerajt")
    assert not neeraj["profile"].get("title")
    run = AgentRunner(houston).run
    titled = run(HOUSTON, Request(task="answer", question="What is micahstubbs's title?"))
    assert titled.draft.summary.startswith(
        f"micahstubbs's title is \u201c{micah['profile']['title']}\u201d."
    )
    untitled = run(HOUSTON, Request(task="answer", question="What is neerajt's title?"))
    assert untitled.draft.summary.startswith("neerajt has no title in their profile.")


def test_links_of_a_kind_nobody_shared_are_not_found(houston: Stores):
    question = "Which GitHub issues got the most reactions?"
    assert not WorkspaceTools(houston, HOUSTON).top_links(LinksArgs(link_type="github_issue")).links
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert not result.found and result.draft.summary == "No GitHub issue links were shared."


def _says(message: dict, word: str) -> bool:
    """Whether a message of the export says the word (singular or plural) in its text, its
    link previews or its file, read here with a regular expression."""
    shared = message.get("file") or {}
    parts = [message.get("text", ""), shared.get("title") or "", shared.get("preview") or ""]
    for unfurl in message.get("attachments", []):
        parts += [unfurl.get(k) or "" for k in ("title", "text", "fallback")]
    return bool(re.search(rf"(?<![a-z0-9]){word}s?(?![a-z0-9])", " ".join(parts).lower()))


def test_mentions_are_counted_from_what_messages_say_not_their_context(houston: Stores):
    content = [
        m
        for path in shared_export("houston-datavis").iterdir()
        if path.is_dir()
        for m in _export_messages(path.name)
        if m.get("subtype") not in METADATA_SUBTYPES
    ]
    saying = Counter(m.get("user") for m in content if _says(m, "python"))
    counts = WorkspaceTools(houston, HOUSTON).message_counts(CountArgs(mentioning="python"))
    # the keyword index also holds each message's conversation: those would count 43
    assert counts.total == sum(saying.values())
    assert [(p.id, p.count) for p in counts.people[:2]] == saying.most_common(2)
    question = "Who talked about Python the most?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    top, second = counts.people[:2]
    assert result.draft.summary.startswith(
        f"{top.name} mentions \u201cPython\u201d most: {top.count} of {counts.total} messages "
        f"mentioning \u201cPython\u201d; then {second.name} ({second.count})"
    )
    asked = "How many people wrote about python?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=asked))
    assert result.draft.summary.startswith(
        f"{counts.total} messages mentioning \u201cpython\u201d from {len(saying)} people;"
    )
    none = WorkspaceTools(houston, HOUSTON).message_counts(CountArgs(mentioning="plot.ly.x"))
    assert none.total == 0


def test_the_people_list_answers_how_many_admins_and_bots(houston: Stores):
    users = json.loads((shared_export("houston-datavis") / "users.json").read_text())
    admins = {u["name"] for u in users if u.get("is_admin")}
    gone = sum(bool(u.get("deleted")) for u in users)
    run = AgentRunner(houston).run
    size = run(
        HOUSTON, Request(task="answer", question="How many members does the workspace have?")
    )
    assert (
        size.draft.summary
        == f"The workspace has {len(users)} members ({gone} deactivated, no bots)."
    )
    listed = run(HOUSTON, Request(task="answer", question="Who are the admins?")).draft.summary
    assert listed.startswith(f"{len(admins)} admins: ")
    assert set(listed.removeprefix(f"{len(admins)} admins: ").rstrip(".").split(", ")) == admins
    assert not any(u.get("is_bot") for u in users)
    bots = run(HOUSTON, Request(task="answer", question="Which bots are there?"))
    assert not bots.found and bots.draft.summary == "No bots are listed."


def _reaction_total(message: dict) -> int:
    return sum(r["count"] for r in message.get("reactions", []))


def test_the_most_reacted_message_and_the_reactions_given(houston: Stores):
    general = _content("general")
    top = max(general, key=lambda m: (_reaction_total(m), -float(m["ts"])))
    run = AgentRunner(houston).run
    asked = run(
        HOUSTON, Request(task="answer", question="Which post got the most reactions in #general?")
    )
    day = datetime.fromtimestamp(float(top["ts"]), UTC)
    assert asked.draft.summary.startswith("The message with the most reactions in #general: ")
    assert f"'s message on {day:%Y-%m-%d}" in asked.draft.summary
    assert asked.draft.summary.endswith(f"({_reaction_total(top)} reactions in all).")
    assert asked.citations[0].ts == top["ts"]
    meetup = [m for m in _export_messages("meetup-") if m.get("reactions")]
    total = sum(_reaction_total(m) for m in meetup)
    counted = run(
        HOUSTON, Request(task="answer", question="How many reactions were given in #meetup-?")
    )
    assert counted.draft.summary.startswith(
        f"{total} reactions were given in #meetup-; most used: "
    )


def test_who_reacted_to_one_message_by_name(houston: Stores):
    users = json.loads((shared_export("houston-datavis") / "users.json").read_text())
    names = {u["id"]: u["name"] for u in users}
    (killing,) = [m for m in _export_messages("meetup-") if "is killing it" in m.get("text", "")]
    question = "Who reacted to jkim's message saying perimosocordiae is killing it?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found and result.citations[0].ts == killing["ts"]
    told = dict(re.findall(r":([\w+-]+): \d+ \(([^)]*)\)", result.draft.summary))
    assert {emoji: set(people.split(", ")) for emoji, people in told.items()} == {
        r["name"]: {names[u] for u in r["users"]} for r in killing["reactions"]
    }


def test_history_that_never_happened_is_said_when_nothing_else_answers(houston: Stores):
    sci = _export_messages("sci")
    assert not [m for m in sci if m.get("subtype") in ("channel_name", "channel_archive")]
    run = AgentRunner(houston).run
    for question, summary in {
        "Has #sci ever been renamed?": "No rename is recorded in #sci.",
        "When was #sci archived?": "No archive is recorded in #sci.",
    }.items():
        result = run(HOUSTON, Request(task="answer", question=question))
        # the text is searched too (no message says it), and the history told
        assert not result.found and result.draft.summary == summary
