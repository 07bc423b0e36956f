"""Streaming a built graph: the interrupt shows in the stream, and tokens come from `chatbot`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.types import Command, Interrupt

from langgraph_hitl import HITLInput, HITLState, build_hitl_graph, human_assistance_tool
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

QUERY = "I need expert guidance."
USER: HITLState = {"messages": [HumanMessage(content="Can you get me an expert?")]}


def _graph(
    checkpointer: BaseCheckpointSaver[Any],
) -> CompiledStateGraph[HITLState, None, HITLInput, HITLState]:
    model = ScriptedChatModel(
        responses=[
            ai_tool_calls(("human_assistance", {"query": QUERY}), content="Let me ask an expert."),
            "The expert says: use LangGraph.",
        ]
    )
    return build_hitl_graph(model, [human_assistance_tool()]).compile(checkpointer=checkpointer)


def _only_interrupt(event: dict[str, Any]) -> Interrupt:
    (interrupt,) = event["__interrupt__"]
    assert isinstance(interrupt, Interrupt)
    return interrupt


def test_values_stream_shows_the_interrupt(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _graph(checkpointer)

    events = list(graph.stream(USER, config, stream_mode="values"))

    interrupt = _only_interrupt(events[-1])
    assert interrupt.value == {
        "type": "human_assistance",
        "query": QUERY,
        "tool_call_id": "call_0_0",
        "name": "human_assistance",
        # Agent Inbox's HumanInterrupt shape (issue 13).
        "action_request": {"action": "human_assistance", "args": {"query": QUERY}},
        "config": {
            "allow_accept": False,
            "allow_edit": False,
            "allow_respond": True,
            "allow_ignore": False,
        },
        "description": QUERY,
    }
    assert interrupt.response_schema is not None
    last = events[-2]["messages"][-1]
    assert isinstance(last, AIMessage)
    assert last.tool_calls[0]["id"] == "call_0_0"
    assert all("__interrupt__" not in event for event in events[:-1])


def test_values_stream_of_the_resume_ends_with_the_answer(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _graph(checkpointer)
    list(graph.stream(USER, config, stream_mode="values"))

    events = list(
        graph.stream(Command(resume={"data": "Use LangGraph."}), config, stream_mode="values")
    )

    lasts = [event["messages"][-1] for event in events if "messages" in event]
    assert isinstance(lasts[-2], ToolMessage)
    assert lasts[-2].content == "Use LangGraph."
    assert lasts[-1].content == "The expert says: use LangGraph."
    assert all("__interrupt__" not in event for event in events)


async def test_async_values_stream_shows_the_interrupt(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _graph(async_checkpointer)

    events = [event async for event in graph.astream(USER, config, stream_mode="values")]

    assert _only_interrupt(events[-1]).value["query"] == QUERY
    resumed = [
        event
        async for event in graph.astream(
            Command(resume={"data": "Yes."}), config, stream_mode="values"
        )
    ]
    assert resumed[-1]["messages"][-1].content == "The expert says: use LangGraph."


def test_updates_stream_names_the_nodes_and_the_interrupt(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _graph(checkpointer)

    events = list(graph.stream(USER, config, stream_mode="updates"))

    assert [next(iter(event)) for event in events] == ["chatbot", "__interrupt__"]
    assert _only_interrupt(events[-1]).value["tool_call_id"] == "call_0_0"


def test_messages_stream_yields_the_model_tokens_of_chatbot(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _graph(checkpointer)

    first = [
        part["data"]
        for part in graph.stream(USER, config, stream_mode="messages", version="v2")
        if part["type"] == "messages"
    ]
    second = [
        part["data"]
        for part in graph.stream(
            Command(resume={"data": "Yes."}), config, stream_mode="messages", version="v2"
        )
        if part["type"] == "messages"
    ]

    chunks = [(c, meta) for c, meta in first + second if isinstance(c, AIMessageChunk)]
    assert {meta["langgraph_node"] for _, meta in chunks} == {"chatbot"}
    assert len(chunks) > 4, "the text should arrive in pieces"
    by_turn: dict[str | None, list[AIMessageChunk]] = {}
    for chunk, _ in chunks:
        by_turn.setdefault(chunk.id, []).append(chunk)
    turns = [sum(parts[1:], parts[0]) for parts in by_turn.values()]
    stored = [m for m in graph.get_state(config).values["messages"] if isinstance(m, AIMessage)]
    assert [t.content for t in turns] == [m.content for m in stored]
    assert [t.tool_calls for t in turns] == [m.tool_calls for m in stored]
    tool_messages = [c for c, _ in second if isinstance(c, ToolMessage)]
    assert [m.content for m in tool_messages] == ["Yes."]
