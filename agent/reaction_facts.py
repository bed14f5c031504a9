"""What a question about reactions asks, told from what `reactions_for` returns: the most
reacted-to message, how many reactions were given, which emoji is used most, who reacts most
(for a channel, a window and/or an author), and who reacted to one message."""

from agent.contracts import Claim, Point
from agent.intent import Intent
from agent.playbook import done, one_line, plural
from agent.toolbox import ToolOutcome
from mcp_server.contracts import MessageRef, ReactionsResult, SearchHit, UserList

SHOWN = 5  # emoji or people named in the answer


def most_reacted(
    intent: Intent | None, outcomes: list[ToolOutcome], found: list[SearchHit]
) -> list[MessageRef]:
    """The messages that drew most reactions, most first: in the question's scope, or, when it
    ranks the messages on a subject ("which message about the talk got the most reactions?"),
    those of the messages the search found (`found`) that drew any."""
    if intent is not None and intent.reactions and intent.on_topic:
        return sorted((m for m in found if m.reactions), key=lambda m: -m.reactions)
    return [
        m
        for o in done(outcomes, "reactions_for")
        for m in ReactionsResult.model_validate(o.data).top_messages
    ]


def ranking(intent: Intent, outcomes: list[ToolOutcome], found: list[SearchHit]) -> str | None:
    """The ranking the question asks for, in a sentence; None when it asks for none or no
    reaction is in the scope."""
    if intent.reaction_ranking is None:
        return None
    if intent.reaction_ranking == "message":
        if not (top := most_reacted(intent, outcomes, found)):
            return None
        kind = f":{intent.emoji}: reactions" if intent.emoji else "reactions"
        of = "Of the messages on that subject, the one" if intent.on_topic else "The message"
        return (
            f"{of} with the most {kind}{intent.scope_words()}: "
            f"{_said(top[0], where=not intent.channels)} ({plural(top[0].reactions, 'reaction')}"
            " in all)."
        )
    results = [ReactionsResult.model_validate(o.data) for o in done(outcomes, "reactions_for")]
    scope = intent.scope_words()
    given = f":{intent.emoji}: reactions" if intent.emoji else "Reactions"
    for result in results:
        if intent.reaction_ranking == "total" and result.reactions:
            total = sum(r.count for r in result.reactions)
            counts = ", ".join(f":{r.emoji}: {r.count}" for r in result.reactions[:SHOWN])
            return f"{plural(total, 'reaction')} were given{scope}; most used: {counts}."
        if intent.reaction_ranking == "emoji" and result.reactions:
            counts = ", ".join(f":{r.emoji}: {r.count}" for r in result.reactions[:SHOWN])
            return f"The reactions used most{scope}: {counts}."
        if intent.reaction_ranking == "reactor" and result.top_reactors:
            people = ", ".join(
                f"{p.user or p.user_id} ({p.count})" for p in result.top_reactors[:SHOWN]
            )
            return f"{given} given most{scope} by {people}."
    return None


def reacted_message(outcomes: list[ToolOutcome]) -> ReactionsResult | None:
    """The one message whose reactions were read ("who reacted to …?"), with them."""
    for o in done(outcomes, "reactions_for"):
        result = ReactionsResult.model_validate(o.data)
        if result.message is not None:
            return result
    return None


def reactors_point(result: ReactionsResult, outcomes: list[ToolOutcome]) -> Point:
    """ "Reactions on jkim's message in #meetup- on 2016-07-12 (“…”): :clap: 5 (ann, bob, …);
    :fire: 3 (…).", cited by that message; people named as the people list read first has
    them."""
    assert result.message is not None
    people = {
        u.user_id: u.display_name or u.name or u.user_id
        for o in done(outcomes, "find_users")
        for u in UserList.model_validate(o.data).users
    }
    if result.reactions:
        told = "; ".join(
            f":{r.emoji}: {r.count} ({_names([people.get(u, u) for u in r.users])})"
            for r in result.reactions
        )
        text = f"Reactions on {_said(result.message)}: {told}."
    else:
        text = f"No one reacted to {_said(result.message)}."
    return Point(text=text, citations=[Claim(message_id=result.message.message_id)])


def _names(users: list[str]) -> str:
    more = ", …" if len(users) > SHOWN else ""
    return ", ".join(users[:SHOWN]) + more


def _said(message: MessageRef, where: bool = True) -> str:
    """ "jkim's message in #meetup- on 2016-07-12 (“@perimosocordiae is killing it”)" (without
    the channel when the question named it)."""
    who = message.user or message.user_id or "someone"
    channel = f" in #{message.channel}" if where else ""
    quoted = one_line(message.text, 120)
    return f"{who}'s message{channel} on {message.time:%Y-%m-%d} (\u201c{quoted}\u201d)"
