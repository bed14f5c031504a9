"""Rankings of reactions rather than of messages: "which emoji is used most?", "who reacts the
most?", answered from the counts `reactions_for` returns for a channel and/or window."""

from agent.intent import Intent
from agent.playbook import done
from agent.toolbox import ToolOutcome
from mcp_server.contracts import ReactionsResult

SHOWN = 5  # emoji or people named in the answer


def ranking(intent: Intent, outcomes: list[ToolOutcome]) -> str | None:
    """The ranking the question asks for, in a sentence; None when it asks for none or no
    reaction is in the scope."""
    if intent.reaction_ranking is None:
        return None
    results = [ReactionsResult.model_validate(o.data) for o in done(outcomes, "reactions_for")]
    scope = intent.scope_words()
    given = f":{intent.emoji}: reactions" if intent.emoji else "Reactions"
    for result in results:
        if intent.reaction_ranking == "emoji" and result.reactions:
            counts = ", ".join(f":{r.emoji}: {r.count}" for r in result.reactions[:SHOWN])
            return f"The reactions used most{scope}: {counts}."
        if intent.reaction_ranking == "reactor" and result.top_reactors:
            people = ", ".join(
                f"{p.user or p.user_id} ({p.count})" for p in result.top_reactors[:SHOWN]
            )
            return f"{given} given most{scope} by {people}."
    return None
