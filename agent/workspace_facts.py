"""Questions about the workspace itself, answered from PostgreSQL instead of by searching text:
its channel history ("what was #tutorials called before?", "who archived #readings?"), its
message counts ("who posted most in #general?", "how many messages in #sci in July?"), its
channel and people lists ("how many members does #datajam have?", "who created #sci?", "who is
neerajt?", "which channels is Ann in?"), a channel's first or last message, the links shared
most, and the files shared ("which PDFs were shared in #tools?")."""

from agent.contracts import Claim, Draft, Point, Section
from agent.intent import Intent, PersonField
from agent.playbook import call, done, plural, window_args
from agent.toolbox import ToolOutcome
from mcp_server.contracts import (
    ChannelEventInfo,
    ChannelEventList,
    ChannelInfo,
    ChannelList,
    CountResult,
    FileList,
    HistoryResult,
    LinkInfo,
    LinkList,
    MessageRef,
    SharedFile,
    UserInfo,
    UserList,
)

# the tools `plan` calls (list_channels too, for one person's channels)
TOOLS = ("channel_events", "message_counts", "channel_history", "top_links", "list_files")
SHOWN_EVENTS = 12  # in the summary; every event is listed below it
SHOWN_LINKS = 5
SHOWN_FILES = 10
# an event of each kind as a noun: "No rename is recorded in #sci."
_EVENT_NOUNS = {
    "renamed": "rename",
    "topic": "topic change",
    "purpose": "purpose change",
    "archived": "archive",
    "unarchived": "unarchive",
    "joined": "join",
    "left": "leave",
    "pinned": "pin",
    "unpinned": "unpin",
    "integration_added": "integration added",
    "integration_removed": "integration removed",
}
_LINK_TYPE_WORDS = {
    "github_pr": "GitHub pull request",
    "github_issue": "GitHub issue",
    "jira": "Jira",
    "google_doc": "Google Docs",
}


def asks(intent: Intent) -> bool:
    """Whether the question is about channel history, counts, the channel list, the links or
    the files shared."""
    return (
        bool(intent.history)
        or intent.counting
        or bool(intent.channel_facts)
        or intent.extreme is not None
        or intent.links
        or intent.files
        or intent.roster is not None
    )


def planned(outcomes: list[ToolOutcome]) -> bool:
    """Whether `plan`'s calls have run: the question has been asked of PostgreSQL."""
    return any(o.name in TOOLS or (o.name == "list_channels" and o.args) for o in outcomes)


def plan(intent: Intent, step: int) -> list:
    """The calls the question needs: channel_events, message_counts, top_links, list_files,
    list_channels (one person's) and channel_history (the first or last message)."""
    calls = []
    scope = window_args(intent.since, intent.until)
    if len(intent.channels) == 1:
        scope["channel"] = intent.channels[0]
    person = {"user": intent.users[0]} if len(intent.users) == 1 else {}
    if intent.history:
        latest = {"newest_first": True} if intent.latest_first else {}
        kinds = {"kinds": intent.history}
        calls.append(call("channel_events", scope | person | latest | kinds, step))
    if intent.counting:
        said = {"mentioning": intent.mention} if intent.mention else {}
        calls.append(call("message_counts", scope | person | said, step, len(calls)))
    if intent.links:
        kind = {"link_type": intent.link_type} if intent.link_type else {}
        calls.append(call("top_links", scope | kind | {"limit": SHOWN_LINKS}, step, len(calls)))
    if intent.files:
        types = {"filetypes": intent.file_kind.types} if intent.file_kind else {}
        listed = {"limit": SHOWN_FILES}
        calls.append(call("list_files", scope | person | types | listed, step, len(calls)))
    if "membership" in intent.channel_facts:
        calls.append(call("list_channels", {"member": intent.users[0]}, step, len(calls)))
    if intent.extreme and "channel" in scope:
        newest = {"newest_first": intent.extreme == "last", "limit": 1}
        calls.append(call("channel_history", scope | person | newest, step, len(calls)))
    return calls


def answered(intent: Intent, outcomes: list[ToolOutcome]) -> bool:
    """Whether the calls found something to answer with (else the question is searched)."""
    return (
        bool(_events(outcomes))
        or any(c.total for c in _counts(outcomes))
        or bool(_channel_lines(intent, outcomes))
        or (intent.about_person and _person(intent, outcomes) is not None)
        or bool(_extreme(intent, outcomes))
        or bool(done(outcomes, "top_links"))
        or bool(_file_lists(outcomes))
        or (intent.roster is not None and bool(done(outcomes, "find_users")))
    )


def compose(intent: Intent, outcomes: list[ToolOutcome]) -> Draft:
    """What the channel list says, the links, the first or last message, the person or the
    counts, and the events, each told in a sentence; events, links and messages cited by the
    message that records them (a pinned message quoted)."""
    events = _events(outcomes)
    counts = [c for c in _counts(outcomes) if c.total]
    lines: list[str] = []
    none: list[str] = []  # "No PDF files were shared in #general.": true, and nothing found
    sections: list[Section] = []
    lines += _channel_lines(intent, outcomes)
    if intent.roster and (people := done(outcomes, "find_users")):
        said, listed = _roster_sentence(intent, UserList.model_validate(people[0].data))
        (lines if listed else none).append(said)
    if files := _file_lists(outcomes):
        told = [_file_point(f) for f in files[0].files]
        said = _files_sentence(intent, files[0], told, _person(intent, outcomes))
        (lines if told else none).append(said)
        sections += [Section(title="Files", points=told)] if told else []
    if links := _links(outcomes):
        told = [_link_point(link) for link in links]
        shown = "; ".join(p.text for p in told)
        lines.append(f"The links that drew the most reactions{intent.scope_words()}: {shown}.")
        sections.append(Section(title="Links", points=told))
    elif done(outcomes, "top_links"):
        kind = f"{_LINK_TYPE_WORDS[intent.link_type]} " if intent.link_type else ""
        none.append(f"No {kind}links were shared{intent.scope_words()}.")
    if extreme := _extreme(intent, outcomes):
        point = _extreme_point(intent, extreme[0])
        lines.append(point.text)
        sections.append(Section(title=f"#{extreme[0].channel}", points=[point]))
    person = _person(intent, outcomes) if intent.about_person else None
    if person is not None:
        if intent.person_field:
            lines.append(_field_sentence(person, intent.person_field))
        lines.append(_person_sentence(person, counts[0] if counts else None))
    elif counts:
        lines.append(_count_sentence(counts[0], intent))
    if events:
        told = [_event_point(e) for e in events]
        shown = "; ".join(p.text for p in told[:SHOWN_EVENTS])
        more = len(told) - SHOWN_EVENTS
        lines.append(_events_lead(intent, outcomes, len(told)) + shown)
        lines[-1] += f"; and {more} more." if more > 0 else "."
        sections.append(Section(title="Channel history", points=told))
    return Draft(found=bool(lines), summary=" ".join(lines + none), sections=sections)


def unrecorded(intent: Intent, outcomes: list[ToolOutcome]) -> str | None:
    """ "No rename is recorded in #sci.", when the channel history asked for holds no such
    event (the question is then searched; this is said if the search answers nothing)."""
    if not intent.history or not done(outcomes, "channel_events") or _events(outcomes):
        return None
    asked = " or ".join(_EVENT_NOUNS[k] for k in intent.history)
    return f"No {asked} is recorded{intent.scope_words()}."


def _events_lead(intent: Intent, outcomes: list[ToolOutcome], shown: int) -> str:
    """ "26 events: ", "The 100 latest events: " (when there are more), "" for one."""
    more = any(
        ChannelEventList.model_validate(o.data).truncated for o in done(outcomes, "channel_events")
    )
    order = "latest" if intent.latest_first else "earliest"
    if more:
        return f"The {shown} {order} events: "
    newest = ", newest first" if intent.latest_first else ""
    return f"{shown} events{newest}: " if shown > 1 else ""


def _channel_lines(intent: Intent, outcomes: list[ToolOutcome]) -> list[str]:
    """What the channel list says of the facts asked: "#datajam has 45 members.", "16
    channels, 9 of them archived: ...", "#sci was created by neerajt on 2016-03-01.", "#sci:
    purpose “scientific”."."""
    listed = _listed(outcomes, member=False)
    named = [c for c in listed if c.name in intent.channels[:1]]
    lines = []
    if "membership" in intent.channel_facts and (person := _person(intent, outcomes)):
        lines.append(_membership_line(person, _listed(outcomes, member=True)))
    if "channels" in intent.channel_facts and listed:
        archived = sum(c.is_archived for c in listed)
        names = ", ".join(f"#{c.name}" for c in listed)
        lines.append(f"{plural(len(listed), 'channel')}, {archived} of them archived: {names}.")
    for channel in named:
        if "members" in intent.channel_facts and channel.is_archived and not channel.members:
            lines.append(f"#{channel.name} is archived: Slack lists no members for it.")
        elif "members" in intent.channel_facts:
            lines.append(f"#{channel.name} has {plural(channel.members, 'member')}.")
        if "about" in intent.channel_facts:
            lines.append(_about_line(channel))
        if "created" in intent.channel_facts and channel.created:
            by = f" by {channel.creator}" if channel.creator else ""
            lines.append(f"#{channel.name} was created{by} on {channel.created:%Y-%m-%d}.")
    return lines


def _listed(outcomes: list[ToolOutcome], *, member: bool) -> list[ChannelInfo]:
    """The channel list read first (or, `member`, the one of a person's channels)."""
    return [
        c
        for o in done(outcomes, "list_channels")
        if bool(o.args.get("member")) == member
        for c in ChannelList.model_validate(o.data).channels
    ]


def _membership_line(person: UserInfo, channels: list[ChannelInfo]) -> str:
    """ "micahstubbs is a member of 9 channels: #datajam, #general, …." (Slack lists no
    members for an archived channel, so those are not among them.)"""
    name = person.display_name or person.name or person.user_id
    if not channels:
        return f"{name} is a member of no channel here."
    names = ", ".join(f"#{c.name}" for c in channels)
    return f"{name} is a member of {plural(len(channels), 'channel')}: {names}."


def _roster_sentence(intent: Intent, people: UserList) -> tuple[str, bool]:
    """ "The workspace has 71 members (1 deactivated, no bots).", "5 admins: ann, bob, …", or
    "No bots are listed.", and whether anyone is."""
    if intent.roster == "people":
        gone = sum(u.is_deleted for u in people.users)
        bots = sum(u.is_bot for u in people.users)
        of = (
            f" among the {len(people.users)} most active"
            if people.total > len(people.users)
            else ""
        )
        detail = f"{gone} deactivated, {plural(bots, 'bot') if bots else 'no bots'}{of}"
        return f"The workspace has {plural(people.total, 'member')} ({detail}).", True
    kind = "admin" if intent.roster == "admins" else "bot"
    found = [u for u in people.users if (u.is_admin if kind == "admin" else u.is_bot)]
    if not found:
        return f"No {kind}s are listed.", False
    names = ", ".join(u.display_name or u.name or u.user_id for u in found)
    return f"{plural(len(found), kind)}: {names}.", True


def _person(intent: Intent, outcomes: list[ToolOutcome]) -> UserInfo | None:
    """The one person the question names, as the people list read first has them."""
    found = [
        u
        for o in done(outcomes, "find_users")
        for u in UserList.model_validate(o.data).users
        if u.user_id in intent.users[:1]
    ]
    return found[0] if found else None


def _person_sentence(person: UserInfo, counts: CountResult | None) -> str:
    """ "neerajt (Neeraj Tandon, organizer) posted 316 messages, most in #general (124), ..."."""
    name = person.display_name or person.name or person.user_id
    details = ", ".join(d for d in (person.real_name, person.title) if d and d != name)
    who = f"{name} ({details})" if details else name
    if person.is_bot:
        who += ", a bot,"
    if counts is None or not counts.total:
        said = f"{who} has posted no messages here."
    else:
        places = ", ".join(f"#{c.name} ({c.count})" for c in counts.channels[:3])
        said = f"{who} posted {plural(counts.total, 'message')}, most in {places}."
    return said + (" The account is deactivated." if person.is_deleted else "")


def _field_sentence(person: UserInfo, field: PersonField) -> str:
    """ "micahstubbs's title is “co-organizer”." or "neerajt has no title in their profile."."""
    name = person.display_name or person.name or person.user_id
    label = field.replace("_", " ")
    value = getattr(person, field)
    if not value:
        return f"{name} has no {label} in their profile."
    return f"{name}'s {label} is \u201c{value}\u201d."


def _about_line(channel: ChannelInfo) -> str:
    """ "#general: purpose “team-wide communication”; topic “Next Data Jam Feb 13th”."."""
    said = [
        f"{label} \u201c{value}\u201d"
        for label, value in (("purpose", channel.purpose), ("topic", channel.topic))
        if value
    ]
    if not said:
        return f"#{channel.name} has no purpose or topic set."
    return f"#{channel.name}: {'; '.join(said)}."


def _links(outcomes: list[ToolOutcome]) -> list[LinkInfo]:
    return [
        link for o in done(outcomes, "top_links") for link in LinkList.model_validate(o.data).links
    ]


def _file_lists(outcomes: list[ToolOutcome]) -> list[FileList]:
    return [FileList.model_validate(o.data) for o in done(outcomes, "list_files")]


def _file_point(shared: SharedFile) -> Point:
    """ "“ms_to_date.R” (r, by rzembo on 2016-04-02)", cited by the message that shared it."""
    name = shared.title or shared.name or shared.file_id
    by = f"by {shared.message.user or shared.message.user_id or 'someone'}"
    text = (
        f"\u201c{name}\u201d ({shared.filetype or 'file'}, {by} on {shared.message.time:%Y-%m-%d})"
    )
    return Point(text=text, citations=[Claim(message_id=shared.message.message_id)])


def _files_sentence(
    intent: Intent, files: FileList, told: list[Point], person: UserInfo | None
) -> str:
    """ "12 files were shared in #datajam: “a” (…); “b” (…); and 2 more. Shared most by rzembo
    (5), neerajt (3)." or "No PDF files were shared by Ann in #general."."""
    noun = intent.file_kind.noun if intent.file_kind else "file"
    by = f" by {person.display_name or person.name or person.user_id}" if person else ""
    scope = by + intent.scope_words()
    if not files.total:
        return f"No {noun}s were shared{scope}."
    verb = "was" if files.total == 1 else "were"
    listed = "; ".join(p.text for p in told)
    more = files.total - len(told)
    sentence = f"{plural(files.total, noun)} {verb} shared{scope}: {listed}" + (
        f"; and {more} more." if more > 0 else "."
    )
    if intent.ranks_sharers and files.sharers:
        top = files.sharers[0]
        then = ", ".join(f"{p.name or p.id} ({p.count})" for p in files.sharers[1:4])
        lead = f"{top.name or top.id} shared the most {noun}s{scope}: {top.count} of {files.total}"
        return lead + (f"; then {then}." if then else ".")
    if len(files.sharers) > 1:
        most = ", ".join(f"{p.name or p.id} ({p.count})" for p in files.sharers[:3])
        sentence += f" Shared most by {most}."
    return sentence


def _link_point(link: LinkInfo) -> Point:
    """ "https://… (2 shares, 5 reactions)", cited by a message that shared it."""
    counts = f"{plural(link.shares, 'share')}, {plural(link.reactions, 'reaction')}"
    cited = [Claim(message_id=link.example.message_id)] if link.example else []
    return Point(text=f"{link.url} ({counts})", citations=cited)


def _extreme(intent: Intent, outcomes: list[ToolOutcome]) -> list[MessageRef]:
    """The first or last message asked for, as channel_history returned it."""
    if intent.extreme is None:
        return []
    return [
        m
        for o in done(outcomes, "channel_history")
        for m in HistoryResult.model_validate(o.data).messages
    ][:1]


def _extreme_point(intent: Intent, message: MessageRef) -> Point:
    """ "The last message in #readings, by colinnlsn, on 2016-01-10 14:03 UTC: “…”", or
    "micahstubbs's last message in #general, on …" when one person's was asked for."""
    who = message.user or message.user_id or "someone"
    if intent.users:
        lead = f"{who}'s {intent.extreme} message{intent.scope_words()}"
    else:
        lead = f"The {intent.extreme} message{intent.scope_words()}, by {who}"
    quoted = " ".join(message.text.split())[:200]
    text = f"{lead}, on {message.time:%Y-%m-%d %H:%M} UTC: \u201c{quoted}\u201d"
    return Point(text=text, citations=[Claim(message_id=message.message_id, quote=quoted)])


def _events(outcomes: list[ToolOutcome]) -> list[ChannelEventInfo]:
    return [
        e
        for o in done(outcomes, "channel_events")
        for e in ChannelEventList.model_validate(o.data).events
    ]


def _counts(outcomes: list[ToolOutcome]) -> list[CountResult]:
    return [CountResult.model_validate(o.data) for o in done(outcomes, "message_counts")]


def _event_point(event: ChannelEventInfo) -> Point:
    """One event as a sentence: who did what to which channel, when."""
    who = event.user or "someone"
    where = f"#{event.channel}"
    what = {
        "renamed": f"renamed #{event.old_value} to #{event.new_value}",
        "topic": f"set the topic of {where} to \u201c{event.new_value}\u201d"
        if event.new_value
        else f"cleared the topic of {where}",
        "purpose": f"set the purpose of {where} to \u201c{event.new_value}\u201d"
        if event.new_value
        else f"cleared the purpose of {where}",
        "archived": f"archived {where}",
        "unarchived": f"unarchived {where}",
        "joined": f"joined {where}",
        "left": f"left {where}",
        "pinned": f"pinned a message in {where}",
        "unpinned": f"unpinned a message in {where}",
        "integration_added": f"added the {event.new_value or 'an'} integration to {where}",
        "integration_removed": f"removed the {event.new_value or 'an'} integration from {where}",
    }[event.kind]
    text = f"{who} {what} on {event.time:%Y-%m-%d}"
    claims = [Claim(message_id=event.message.message_id)]
    if event.item is not None and event.item.text:
        quoted = " ".join(event.item.text.split())[:200]
        text += f": \u201c{quoted}\u201d ({event.item.user or 'someone'})"
        claims.append(Claim(message_id=event.item.message_id, quote=quoted))
    return Point(text=text, citations=claims)


def _count_sentence(counts: CountResult, intent: Intent) -> str:
    """ "403 messages from 31 people in #general; most from neerajt (124), micahstubbs (96).",
    "12 messages mentioning “tableau” from 7 people; most from …"."""
    scope = intent.scope_words()
    messages = plural(counts.total, "message")
    if intent.mention:
        messages += f" mentioning \u201c{intent.mention}\u201d"
    if intent.ranks_channels and len(intent.channels) != 1 and counts.channels:
        return _busiest_sentence(counts, scope)  # no one channel: the window alone
    if len(intent.users) == 1 and counts.people:
        return f"{counts.people[0].name} posted {messages}{scope}."
    if intent.mention and intent.ranks_people and counts.people:
        top, rest = counts.people[0], counts.people[1:4]
        then = ", ".join(f"{p.name or p.id} ({p.count})" for p in rest)
        lead = f"{top.name or top.id} mentions \u201c{intent.mention}\u201d most{scope}: "
        lead += f"{top.count} of {messages}"
        return lead + (f"; then {then}." if then else ".")
    if counts.posters == 1 and counts.people:
        return f"{messages}{scope}, all from {counts.people[0].name or counts.people[0].id}."
    posters = plural(counts.posters, "person", "people")
    ranking = ", ".join(f"{p.name or p.id} ({p.count})" for p in counts.people[:5])
    return f"{messages} from {posters}{scope}; most from {ranking}."


def _busiest_sentence(counts: CountResult, when: str) -> str:
    """ "#general has the most messages: 403 of 1031; then #datajam (146), #sci (90)."; a
    tie names every channel that shares the most."""
    most = counts.channels[0].count
    leaders = [f"#{c.name}" for c in counts.channels if c.count == most]
    rest = [f"#{c.name} ({c.count})" for c in counts.channels if c.count < most][:4]
    then = f"; then {', '.join(rest)}" if rest else ""
    if len(leaders) == 1:
        return f"{leaders[0]} has the most messages{when}: {most} of {counts.total}{then}."
    named = ", ".join(leaders[:-1]) + f" and {leaders[-1]}"
    return f"{named} have the most messages{when}: {most} each of {counts.total}{then}."
