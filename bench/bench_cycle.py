"""One full human-assistance cycle: user turn -> tool call -> interrupt -> resume -> answer.

The graph built with `build_hitl_graph` + `human_assistance_tool` + `resume()` against the
same graph written by hand as in LangGraph's tutorial (ToolNode, tools_condition, a tool
calling `interrupt()`, `Command(resume={"data": ...})`), same scripted model and saver.
Target: at most 1.10x the hand-written graph.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.messages import AnyMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt
from typing_extensions import TypedDict

from bench._timing import compare, report
from langgraph_hitl import build_hitl_graph, human_assistance_tool, resume
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel

CYCLES = 2000
USER = {"messages": [{"role": "user", "content": "I need expert help."}]}
ANSWER = {"data": "Use LangGraph."}


def _script(cycles: int) -> list[AIMessage | str]:
    turn: list[AIMessage | str] = [
        ai_tool_calls(("human_assistance", {"query": "Need an expert"})),
        "Thanks, the experts say: use LangGraph.",
    ]
    return turn * cycles


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def tutorial_graph(model: ScriptedChatModel) -> Pregel[Any, Any, Any, Any]:
    """The tutorial's Part 4 graph, as users write it by hand."""

    @tool
    def human_assistance(query: str) -> str:
        """Request assistance from a human."""
        human_response = interrupt({"query": query})
        return str(human_response["data"])

    tools = [human_assistance]
    llm_with_tools = model.bind_tools(tools)

    def chatbot(state: State) -> dict[str, Any]:
        message = llm_with_tools.invoke(state["messages"])
        assert len(message.tool_calls) <= 1
        return {"messages": [message]}

    builder = StateGraph(State)
    builder.add_node("chatbot", chatbot)
    builder.add_node("tools", ToolNode(tools=tools))
    builder.add_conditional_edges("chatbot", tools_condition)
    builder.add_edge("tools", "chatbot")
    builder.add_edge(START, "chatbot")
    return builder.compile(checkpointer=InMemorySaver())


def library_graph(model: ScriptedChatModel) -> Pregel[Any, Any, Any, Any]:
    return build_hitl_graph(model, [human_assistance_tool()]).compile(checkpointer=InMemorySaver())


def main() -> None:
    counter = itertools.count()
    total = CYCLES + 200
    hand = tutorial_graph(ScriptedChatModel(responses=_script(total)))
    ours = library_graph(ScriptedChatModel(responses=_script(total)))

    def config() -> RunnableConfig:
        return {"configurable": {"thread_id": f"t{next(counter)}"}}

    def hand_cycle() -> None:
        cfg = config()
        hand.invoke(USER, cfg)
        out = hand.invoke(Command(resume=ANSWER), cfg)
        assert out["messages"][-1].content

    def our_cycle() -> None:
        cfg = config()
        ours.invoke(USER, cfg)
        out = resume(ours, cfg, ANSWER)
        assert out.value["messages"][-1].content

    rounds, per_round = 15, 20
    assert (rounds * per_round + 5) <= total
    results = compare(
        {"hand-written tutorial graph": hand_cycle, "build_hitl_graph + resume()": our_cycle},
        rounds=rounds,
        per_round=per_round,
    )
    print("human-assistance cycle, InMemorySaver (median of interleaved rounds):")
    report(results, baseline="hand-written tutorial graph")
    print("  target: <= 1.10x hand-written (stretch: < 1.00x)")
