"""`build_hitl_graph`: the user writes again while tool calls wait for a human.

The model is a `ScriptedChatModel(strict_history=True)`, which fails like a real provider
when a tool call in the history has no tool message.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from effects import Effects, assert_every_call_answered_once, user_turn
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.types import Command

from langgraph_hitl import (
    InvalidHistoryError,
    RequestsWaitingError,
    aaudit_trail,
    approval_tool,
    aresume,
    audit_trail,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls
from langgraph_hitl.tools._approval_tool import SUPERSEDED

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

    from langgraph_hitl import NewInputPolicy

    Graph = CompiledStateGraph[Any, Any, Any, Any]


def _waiting(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    effects: Effects,
    *,
    on_new_input: NewInputPolicy = "supersede",
    then: list[AIMessage | str] | None = None,
) -> tuple[Graph, ScriptedChatModel]:
    model = ScriptedChatModel(
        responses=[ai_tool_calls(("send_email", {"to": "ann"})), *(then or ["Okay."])],
        strict_history=True,
    )
    graph = build_hitl_graph(
        model, [approval_tool(effects.tool())], on_new_input=on_new_input
    ).compile(checkpointer=checkpointer)
    graph.invoke(user_turn("Email Ann."), config)
    assert len(pending_interrupts(graph, config)) == 1
    return graph, model


def test_new_input_closes_the_waiting_call_and_the_model_sees_a_valid_history(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    graph, model = _waiting(checkpointer, config, effects, then=["Fine, I will not email."])

    out = graph.invoke(user_turn("Actually, don't."), config)

    messages = out["messages"]
    assert [type(m) for m in messages] == [
        HumanMessage,
        AIMessage,
        ToolMessage,
        HumanMessage,
        AIMessage,
    ]
    closing = messages[2]
    assert isinstance(closing, ToolMessage)
    assert (closing.tool_call_id, closing.status, closing.content) == (
        "call_0_0",
        "error",
        SUPERSEDED,
    )
    assert messages[3].content == "Actually, don't."
    assert messages[-1].content == "Fine, I will not email."
    # What the model was sent is what the thread keeps.
    assert [m.content for m in model.calls[-1].messages] == [m.content for m in messages[:-1]]
    assert_every_call_answered_once(messages)
    assert pending_interrupts(graph, config) == []
    assert effects.runs == Counter()
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.source, record.tool_call_id) == (
        "reject",
        "superseded",
        "call_0_0",
    )
    assert (record.original_args, record.executed_args, record.reviewer) == (
        {"to": "ann"},
        None,
        None,
    )
    assert record.message == SUPERSEDED


def test_the_strict_model_refuses_what_langgraph_alone_would_send(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    # Without the builder's closing message the history is the one providers reject:
    # proven here by sending the raw history, as a plain LangGraph chatbot would.
    effects = Effects()
    graph, model = _waiting(checkpointer, config, effects)
    history = [*graph.get_state(config).values["messages"], HumanMessage(content="Hm?")]
    with pytest.raises(InvalidHistoryError, match=r"send_email\(id='call_0_0'\)"):
        model.invoke(history)


def test_a_waiting_human_assistance_call_is_closed_too(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    model = ScriptedChatModel(
        responses=[ai_tool_calls(("human_assistance", {"query": "Which city?"})), "Paris it is."],
        strict_history=True,
    )
    graph = build_hitl_graph(model, [human_assistance_tool()]).compile(checkpointer=checkpointer)
    graph.invoke(user_turn("Weather?"), config)

    out = graph.invoke(user_turn("Paris."), config)

    assert_every_call_answered_once(out["messages"])
    assert out["messages"][-1].content == "Paris it is."
    assert audit_trail(graph, config) == []  # only approvals are audited


def test_every_waiting_call_of_a_sequential_turn_is_closed_in_order(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    model = ScriptedChatModel(
        responses=[
            ai_tool_calls(("send_email", {"to": "ann"}), ("send_email", {"to": "bob"})),
            "Stopped.",
        ],
        strict_history=True,
    )
    graph = build_hitl_graph(
        model, [approval_tool(effects.tool())], on_parallel_tool_calls="sequential"
    ).compile(checkpointer=checkpointer)
    graph.invoke(user_turn("Email both."), config)
    resume(graph, config, {"type": "approve"})  # ann's runs, bob's waits

    out = graph.invoke(user_turn("Stop."), config)

    kinds = [type(m).__name__ for m in out["messages"]]
    assert kinds == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "ToolMessage",
        "HumanMessage",
        "AIMessage",
    ]
    assert effects.runs == Counter({"ann": 1})
    assert [(r.tool_call_id, r.source) for r in audit_trail(graph, config)] == [
        ("call_0_0", "human"),
        ("call_0_1", "superseded"),
    ]


async def test_new_input_supersedes_on_the_async_path(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    model = ScriptedChatModel(
        responses=[ai_tool_calls(("send_email", {"to": "ann"})), "Okay."], strict_history=True
    )
    graph = build_hitl_graph(model, [approval_tool(effects.tool())]).compile(
        checkpointer=async_checkpointer
    )
    await graph.ainvoke(user_turn("Email Ann."), config)

    out = await graph.ainvoke(user_turn("No."), config)

    assert_every_call_answered_once(out["messages"])
    assert [r.source for r in await aaudit_trail(graph, config)] == ["superseded"]


# --- on_new_input="raise" ----------------------------------------------------------------


def _where(graph: Graph, config: RunnableConfig) -> tuple[str, list[str]]:
    checkpoint = graph.get_state(config).config["configurable"]["checkpoint_id"]
    return checkpoint, [p.id for p in pending_interrupts(graph, config)]


def test_raise_refuses_new_input_and_saves_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    graph, _ = _waiting(checkpointer, config, effects, on_new_input="raise", then=["Sent."])
    before = _where(graph, config)
    history = list(checkpointer.list(config))

    with pytest.raises(RequestsWaitingError) as refused:
        graph.invoke(user_turn("Actually, don't."), config)

    assert "send_email(tool_call_id='call_0_0')" in str(refused.value)
    assert "nothing was saved" in str(refused.value)
    assert refused.value.waiting == (("send_email", "call_0_0"),)
    assert _where(graph, config) == before
    assert len(list(checkpointer.list(config))) == len(history)
    with pytest.raises(RequestsWaitingError):
        list(graph.stream(user_turn("Again."), config))
    assert _where(graph, config) == before
    # The request is still answerable, by the helpers and by a raw Command.
    graph.invoke(Command(resume={"type": "approve"}), config)
    assert effects.runs == Counter({"ann": 1})
    assert graph.get_state(config).values["messages"][-1].content == "Sent."


async def test_raise_refuses_new_input_on_the_async_path(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    model = ScriptedChatModel(
        responses=[ai_tool_calls(("send_email", {"to": "ann"})), "Sent."], strict_history=True
    )
    graph = build_hitl_graph(model, [approval_tool(effects.tool())], on_new_input="raise").compile(
        checkpointer=async_checkpointer
    )
    await graph.ainvoke(user_turn("Email Ann."), config)
    before = (await graph.aget_state(config)).config["configurable"]["checkpoint_id"]

    with pytest.raises(RequestsWaitingError):
        await graph.ainvoke(user_turn("No."), config)
    with pytest.raises(RequestsWaitingError):
        async for _ in graph.astream(user_turn("No!"), config):
            pass

    assert (await graph.aget_state(config)).config["configurable"]["checkpoint_id"] == before
    await aresume(graph, config, {"type": "approve"})
    assert effects.runs == Counter({"ann": 1})


def test_raise_lets_new_input_through_when_nothing_waits(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    model = ScriptedChatModel(responses=["Hi.", "Hi again."], strict_history=True)
    graph = build_hitl_graph(model, [Effects().tool()], on_new_input="raise").compile(
        checkpointer=checkpointer
    )
    graph.invoke(user_turn("Hello."), config)
    out = graph.invoke(user_turn("Hello?"), config)
    assert [m.content for m in out["messages"]] == ["Hello.", "Hi.", "Hello?", "Hi again."]


def test_an_unknown_new_input_policy_is_refused() -> None:
    with pytest.raises(ValueError, match=r"on_new_input='drop' is not a policy"):
        build_hitl_graph(
            ScriptedChatModel(responses=[]),
            [Effects().tool()],
            on_new_input="drop",  # type: ignore[call-overload]
        )
