"""One graph for every task: plan -> act (tools in parallel, bounded steps) -> compose -> verify.

With a chat model in the run context the model plans and composes; without one the task's
playbook does, deterministically. A playbook that has its own `write` (the newsletter) keeps its
deterministic plan and asks the model only for the words it writes. Either way the tools are
the MCP server's and every citation is checked against this run's tool results before anything
is shown.
"""

import asyncio
import operator
import time
from types import ModuleType
from typing import Annotated, TypedDict

from langchain_core.messages import AnyMessage, ToolCall
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime

from agent import answer, evidence, llm, newsletter, pr_review
from agent.contracts import Draft, Request, Result, UsedTool
from agent.playbook import AgentContext
from agent.toolbox import ToolOutcome

PLAYBOOKS: dict[str, ModuleType] = {
    "answer": answer,
    "newsletter": newsletter,
    "pr_review": pr_review,
}


class AgentState(TypedDict, total=False):
    """What flows between the nodes. With a checkpointer (the bot's thread memory) the
    conversation, the questions and the tool outcomes carry over from earlier turns."""

    request: Request
    questions: Annotated[list[str], operator.add]  # every question of the conversation
    messages: Annotated[list[AnyMessage], add_messages]  # the model's conversation
    pending: list[ToolCall]
    outcomes: Annotated[list[ToolOutcome], operator.add]
    turn_start: int  # index in outcomes where this turn's began
    steps: int
    draft: Draft
    dropped: list[str]


def start(state: AgentState) -> AgentState:
    """Open a turn: this turn's tool outcomes start here (earlier turns' stay as evidence)."""
    return {"turn_start": len(state.get("outcomes", [])), "steps": 0}


async def plan(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    """Choose the next tool calls (none when there is enough to compose)."""
    context, request = runtime.context, state["request"]
    playbook = PLAYBOOKS[request.task]
    if context.model is None or hasattr(playbook, "write"):
        earlier = state.get("questions", [])[:-1]
        if earlier:  # a remembered conversation: the offline planner reads follow-ups with it
            request = request.model_copy(update={"previous_question": earlier[-1]})
        return {"pending": playbook.plan(request, _this_turn(state), context)}
    tools = list(context.toolbox.tools.values())
    reply = await llm.plan(context.model, tools, playbook.INSTRUCTIONS, state["messages"])
    return {"pending": list(reply.tool_calls), "messages": [reply]}


def after_plan(state: AgentState, runtime: Runtime[AgentContext]) -> str:
    """Act while there are calls to make and steps left, else compose."""
    if state.get("pending") and state.get("steps", 0) < _max_steps(state, runtime.context):
        return "act"
    return "compose"


async def act(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    """Run the step's tool calls in parallel."""
    toolbox = runtime.context.toolbox
    outcomes = await asyncio.gather(
        *(toolbox.call(c.get("id") or c["name"], c["name"], c["args"]) for c in state["pending"])
    )
    update: AgentState = {
        "outcomes": list(outcomes),
        "pending": [],
        "steps": state.get("steps", 0) + 1,
    }
    if runtime.context.model is not None:
        update["messages"] = llm.tool_messages(list(outcomes))
    return update


async def compose(state: AgentState, runtime: Runtime[AgentContext]) -> AgentState:
    """Write the draft: the model's structured output, the playbook's extractive one, or the
    playbook's own with the model's words."""
    context, request = runtime.context, state["request"]
    playbook = PLAYBOOKS[request.task]
    if context.model is None:
        draft = playbook.compose(request, _this_turn(state), context)
    elif hasattr(playbook, "write"):
        draft = await playbook.write(request, _this_turn(state), context)
    else:
        draft = await llm.compose(context.model, playbook.INSTRUCTIONS, state["messages"])
    return {"draft": draft}


def verify(state: AgentState) -> AgentState:
    """Keep only citations the tools returned in this conversation (this run, and earlier turns
    of a remembered thread), with quotes that are really there."""
    draft, dropped = evidence.verify(state["draft"], evidence.messages_in(state["outcomes"]))
    return {"draft": draft, "dropped": dropped}


def _this_turn(state: AgentState) -> list[ToolOutcome]:
    return state.get("outcomes", [])[state.get("turn_start", 0) :]


def _max_steps(state: AgentState, context: AgentContext) -> int:
    return context.max_steps or PLAYBOOKS[state["request"].task].MAX_STEPS


def build_graph(checkpointer: BaseCheckpointSaver | None = None):
    """The compiled graph; with a checkpointer, runs with the same memory key continue one
    conversation."""
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("start", start)
    graph.add_node("plan", plan)
    graph.add_node("act", act)
    graph.add_node("compose", compose)
    graph.add_node("verify", verify)
    graph.add_edge(START, "start")
    graph.add_edge("start", "plan")
    graph.add_conditional_edges("plan", after_plan, ["act", "compose"])
    graph.add_edge("act", "plan")
    graph.add_edge("compose", "verify")
    graph.add_edge("verify", END)
    return graph.compile(checkpointer=checkpointer)


_GRAPH = build_graph()


async def run(
    request: Request, context: AgentContext, *, graph=None, memory_key: str | None = None
) -> Result:
    """Run one request to a Result with verified citations. With a `graph` built on a
    checkpointer and a `memory_key`, the run continues that conversation."""
    started = time.perf_counter()
    config: dict = {"recursion_limit": 4 * (context.max_steps or 12) + 8}
    if memory_key:
        config["configurable"] = {"thread_id": memory_key}
    state = await (graph or _GRAPH).ainvoke(
        {
            "request": request,
            "questions": [request.question],
            "messages": [llm.request_message(request)] if context.model is not None else [],
        },
        context=context,
        config=config,
    )
    outcomes: list[ToolOutcome] = _this_turn(state)
    draft: Draft = state["draft"]
    found_messages = evidence.messages_in(state["outcomes"])
    return Result(
        task=request.task,
        mode="offline" if context.model is None else "llm",
        found=draft.found,
        draft=draft,
        citations=evidence.citations(draft, found_messages),
        tool_calls=[UsedTool(name=o.name, args=o.args) for o in outcomes],
        dropped_citations=state.get("dropped", []),
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
    )
