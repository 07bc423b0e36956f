"""`detect_swallowed_interrupts`: finding code that catches LangGraph's interrupt exception."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.errors import GraphBubbleUp, GraphInterrupt
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from typing_extensions import TypedDict

from langgraph_hitl import build_hitl_graph, human_assistance_tool
from langgraph_hitl.testing import (
    ScriptedChatModel,
    SwallowedInterruptError,
    ai_tool_calls,
    detect_swallowed_interrupts,
)

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools import BaseTool
    from langgraph.checkpoint.base import BaseCheckpointSaver


class Log(TypedDict):
    log: Annotated[list[Any], operator.add]


@tool
def careless_lookup(query: str) -> str:
    """Ask a human, with a broad error handler around the call (the bug)."""
    try:
        return str(interrupt({"query": query}))
    except Exception:
        return "no answer"


@tool
def careful_lookup(query: str) -> str:
    """The same, letting LangGraph's exception through first (the fix)."""
    try:
        return str(interrupt({"query": query}))
    except GraphBubbleUp:
        raise
    except Exception:
        return "no answer"


def _agent(saver: BaseCheckpointSaver[Any], lookup: BaseTool) -> Any:
    model = ScriptedChatModel(
        responses=[ai_tool_calls((lookup.name, {"query": "Which plan?"})), "Thanks."]
    )
    return build_hitl_graph(model, [lookup]).compile(checkpointer=saver)


def test_a_swallowed_interrupt_silently_skips_the_human(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """Without the guard nothing fails: the tool answers itself and the graph finishes."""
    graph = _agent(checkpointer, careless_lookup)

    out = graph.invoke({"messages": [HumanMessage("help")]}, config, version="v2")

    assert out.interrupts == ()
    tool_message = next(m for m in out.value["messages"] if isinstance(m, ToolMessage))
    assert tool_message.content == "no answer"


def test_the_guard_names_where_the_interrupt_was_swallowed(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _agent(checkpointer, careless_lookup)

    with (
        pytest.raises(SwallowedInterruptError, match="never reached LangGraph") as caught,
        detect_swallowed_interrupts(),
    ):
        graph.invoke({"messages": [HumanMessage("help")]}, config)

    message = str(caught.value)
    assert "interrupt({'query': 'Which plan?'})" in message
    assert "in careless_lookup" in message
    assert "except GraphBubbleUp: raise" in message
    (where,) = caught.value.where
    assert where.count("test_guard.py") == 2


def test_the_guard_passes_code_that_lets_the_interrupt_through(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    for lookup in (careful_lookup, human_assistance_tool()):
        graph = _agent(checkpointer, lookup)
        thread: RunnableConfig = {"configurable": {"thread_id": f"{lookup.name}-thread"}}

        with detect_swallowed_interrupts() as watch:
            out = graph.invoke({"messages": [HumanMessage("help")]}, thread, version="v2")

        assert len(out.interrupts) == 1
        assert watch.swallowed == []


def test_the_guard_can_report_instead_of_raising(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def careless_node(state: Log) -> dict[str, Any]:
        try:
            answer = interrupt("Approve the refund?")
        except Exception:  # the bug, in a plain node this time
            answer = "auto-approved"
        return {"log": [answer]}

    graph = (
        StateGraph(Log)
        .add_node("refund", careless_node)
        .add_edge(START, "refund")
        .compile(checkpointer=checkpointer)
    )

    with detect_swallowed_interrupts(raise_on_exit=False) as watch:
        out = graph.invoke({"log": []}, config)

    assert out == {"log": ["auto-approved"]}
    (lost,) = watch.swallowed
    assert lost.value == "Approve the refund?"
    assert len(lost.interrupt_id) == 32
    assert "in careless_node" in lost.raised_at
    assert "in careless_node" in lost.caught_at


async def test_the_guard_watches_async_runs(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _agent(async_checkpointer, careless_lookup)

    with pytest.raises(SwallowedInterruptError), detect_swallowed_interrupts():
        await graph.ainvoke({"messages": [HumanMessage("help")]}, config)


def test_an_error_of_the_block_becomes_the_cause(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """A swallowed interrupt often explains a later failure: both are reported."""

    def careless_then_failing(state: Log) -> dict[str, Any]:
        try:
            answer = interrupt("Amount?")
        except Exception:
            answer = None
        return {"log": [int(answer)]}

    graph = (
        StateGraph(Log)
        .add_node("pay", careless_then_failing)
        .add_edge(START, "pay")
        .compile(checkpointer=checkpointer)
    )

    with pytest.raises(SwallowedInterruptError) as caught, detect_swallowed_interrupts():
        graph.invoke({"log": []}, config)

    assert isinstance(caught.value.__cause__, TypeError)


def test_the_guard_leaves_langgraph_as_it_found_it(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    original = GraphInterrupt.__init__
    graph = _agent(checkpointer, careless_lookup)

    with detect_swallowed_interrupts(raise_on_exit=False) as outer:
        with detect_swallowed_interrupts(raise_on_exit=False) as inner:
            graph.invoke({"messages": [HumanMessage("help")]}, config)
        assert GraphInterrupt.__init__ is not original
    assert GraphInterrupt.__init__ is original

    assert len(inner.swallowed) == 1
    assert outer.swallowed == []  # the inner block's run is the inner block's to report
    with detect_swallowed_interrupts(raise_on_exit=False) as later:
        pass
    assert later.swallowed == []
