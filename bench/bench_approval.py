"""One approve cycle: user turn -> gated tool call -> interrupt -> approve -> final answer.

Three ways to build the same flow, same scripted model, same tool, `InMemorySaver`, one run:

- `approval_tool` under `build_hitl_graph`, answered with `resume()` (client-side validation
  included) and with a raw `Command(resume=...)`;
- the flow written by hand: the tutorial graph (ToolNode, tools_condition) with a tool that
  calls `interrupt()` itself and checks the answer with a simple dict test;
- `langchain.agents.create_agent` + `HumanInTheLoopMiddleware(interrupt_mode="per_call")`.

Targets: at most 1.10x the hand-written flow, at most 0.6x the middleware. First, the cost
that makes the difference: publishing the decision schema at each pause.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt
from pydantic import TypeAdapter

from bench._timing import compare, report
from langgraph_hitl import approval_tool, build_hitl_graph, resume
from langgraph_hitl.answers._decisions import decision_model, publishing
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel

USER = {"messages": [{"role": "user", "content": "Tell Ada the build is green."}]}
ARGS = {"to": "ada@example.com", "subject": "Build", "body": "The build is green."}
APPROVE = {"type": "approve"}
ROUNDS, PER_ROUND, WARMUP = 15, 20, 5


def send_email(to: str, subject: str, body: str) -> str:
    """Send an e-mail."""
    return f"Sent {subject!r} to {to}."


def _script(cycles: int) -> list[AIMessage | str]:
    turn: list[AIMessage | str] = [ai_tool_calls(("send_email", ARGS)), "Done: Ada is told."]
    return turn * cycles


def _model() -> ScriptedChatModel:
    return ScriptedChatModel(responses=_script(ROUNDS * PER_ROUND + WARMUP + 10))


def hand_written_graph(model: ScriptedChatModel) -> Pregel[Any, Any, Any, Any]:
    """The tutorial graph with an approval written by hand inside the tool."""

    @tool("send_email")
    def gated_send_email(to: str, subject: str, body: str) -> str:
        """Send an e-mail."""
        decision = interrupt({"type": "tool_approval", "name": "send_email", "args": ARGS})
        if not isinstance(decision, dict) or decision.get("type") not in ("approve", "reject"):
            raise ValueError(f"bad decision {decision!r}")
        if decision["type"] == "reject":
            return "The user rejected this call."
        return send_email(to, subject, body)

    tools = [gated_send_email]
    bound = model.bind_tools(tools)

    def chatbot(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("chatbot", chatbot)
    builder.add_node("tools", ToolNode(tools=tools))
    builder.add_conditional_edges("chatbot", tools_condition)
    builder.add_edge("tools", "chatbot")
    builder.add_edge(START, "chatbot")
    return builder.compile(checkpointer=InMemorySaver())


def library_graph(model: ScriptedChatModel) -> Pregel[Any, Any, Any, Any]:
    return build_hitl_graph(model, [approval_tool(send_email)]).compile(
        checkpointer=InMemorySaver()
    )


def middleware_agent(model: ScriptedChatModel) -> Pregel[Any, Any, Any, Any]:
    middleware: HumanInTheLoopMiddleware[Any, Any, Any] = HumanInTheLoopMiddleware(
        interrupt_on={
            # True: every decision (approve, edit, reject, respond).
            "send_email": True
        },
        interrupt_mode="per_call",
    )
    return create_agent(
        model, tools=[send_email], middleware=[middleware], checkpointer=InMemorySaver()
    )


def _cycle(
    graph: Pregel[Any, Any, Any, Any], answer: Callable[[RunnableConfig], Any]
) -> Callable[[], None]:
    counter = itertools.count()

    def run() -> None:
        config: RunnableConfig = {"configurable": {"thread_id": f"t{next(counter)}"}}
        paused = graph.invoke(USER, config)
        assert paused["__interrupt__"], "the tool call did not pause"
        messages = answer(config)["messages"]
        assert messages[-2].content == "Sent 'Build' to ada@example.com.", messages[-2]
        assert messages[-1].content == "Done: Ada is told."

    return run


def schema_publication() -> None:
    """What one pause costs to publish the decision schema: pydantic's way, and ours."""
    root = decision_model(
        "send_email",
        allowed=["approve", "edit", "reject", "respond"],
        args_schema=tool(send_email).tool_call_schema,
        reviewers=None,
    )
    text = json.dumps(TypeAdapter(root).json_schema())

    def regenerated() -> None:
        # What `interrupt(value, response_schema=T)` does on every pause.
        TypeAdapter(root).json_schema()

    def cached() -> None:
        token = publishing.set(root)
        try:
            TypeAdapter(root).json_schema()  # a placeholder now
        finally:
            publishing.reset(token)
        json.loads(text)  # the fresh copy an approval tool publishes

    results = compare({"regenerated per pause": regenerated, "computed once per tool": cached})
    print("publishing the decision schema at a pause (median of interleaved rounds):")
    report(results, baseline="regenerated per pause")


def main() -> None:
    schema_publication()
    ours = library_graph(_model())
    hand = hand_written_graph(_model())
    agent = middleware_agent(_model())
    ours_raw = library_graph(_model())

    cases = {
        "hand-written interrupt() tool": _cycle(
            hand, lambda c: hand.invoke(Command(resume=APPROVE), c)
        ),
        "approval_tool + Command(resume=...)": _cycle(
            ours_raw, lambda c: ours_raw.invoke(Command(resume=APPROVE), c)
        ),
        "approval_tool + resume()": _cycle(ours, lambda c: resume(ours, c, APPROVE).value),
        "create_agent + HITL middleware (per_call)": _cycle(
            agent, lambda c: agent.invoke(Command(resume=APPROVE), c)
        ),
    }
    results = compare(cases, rounds=ROUNDS, per_round=PER_ROUND, warmup=WARMUP)
    print("approve cycle, InMemorySaver (median of interleaved rounds):")
    report(results, baseline="hand-written interrupt() tool")
    middleware = results["create_agent + HITL middleware (per_call)"]
    for name in ("approval_tool + Command(resume=...)", "approval_tool + resume()"):
        print(f"  {name:<40} {results[name] / middleware:5.2f}x create_agent + middleware")
    print("  targets: <= 1.10x hand-written, <= 0.60x create_agent + middleware")


if __name__ == "__main__":
    main()
