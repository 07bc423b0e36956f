"""`build_hitl_graph` and the single-tool-call rule: binding, and the three policies."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from effects import Effects, assert_every_call_answered_once, user_turn
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langgraph.types import Command

from langgraph_hitl import (
    ParallelToolCallsError,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.language_models import LanguageModelInput
    from langchain_core.outputs import ChatResult
    from langchain_core.runnables import Runnable, RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver


def test_tools_are_bound_with_parallel_tool_calls_off() -> None:
    model = ScriptedChatModel(strict_history=True, responses=["Hi."])
    graph = build_hitl_graph(model, [human_assistance_tool(), Effects().tool()]).compile()

    graph.invoke(user_turn())

    (call,) = model.calls
    assert call.tools == ("human_assistance", "send_email")
    assert call.parallel_tool_calls is False


class _NoParallelOption(ScriptedChatModel):
    """A provider whose `bind_tools` has no `parallel_tool_calls` option."""

    def bind_tools(
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        assert "parallel_tool_calls" not in kwargs
        return super().bind_tools(tools, **kwargs)


def test_a_model_without_the_parallel_option_is_bound_without_it() -> None:
    model = _NoParallelOption(responses=["Hi."])

    build_hitl_graph(model, [human_assistance_tool()]).compile().invoke(user_turn())

    assert model.calls[0].parallel_tool_calls is None
    assert model.calls[0].tools == ("human_assistance",)


def _two_emails() -> AIMessage:
    return ai_tool_calls(("send_email", {"to": "ann"}), ("send_email", {"to": "bob"}))


def test_raise_names_the_calls_and_saves_nothing_of_the_turn(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    model = ScriptedChatModel(
        strict_history=True, responses=[_two_emails(), "Sorry, one at a time then."]
    )
    graph = build_hitl_graph(model, [effects.tool()]).compile(checkpointer=checkpointer)

    with pytest.raises(ParallelToolCallsError) as info:
        graph.invoke(user_turn("Email Ann and Bob."), config)

    message = str(info.value)
    assert "2 tool calls" in message
    assert "send_email(id='call_0_0')" in message
    assert "send_email(id='call_0_1')" in message
    assert info.value.tool_calls == (("send_email", "call_0_0"), ("send_email", "call_0_1"))
    state = graph.get_state(config)
    assert [type(m) for m in state.values["messages"]] == [HumanMessage]
    assert state.values["messages"][0].content == "Email Ann and Bob."
    assert state.next == ("chatbot",)
    assert effects.runs == Counter()

    out = graph.invoke(None, config)

    assert [m.content for m in out["messages"]] == [
        "Email Ann and Bob.",
        "Sorry, one at a time then.",
    ]


def test_raise_then_a_new_message_runs_the_thread_again(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    model = ScriptedChatModel(strict_history=True, responses=[_two_emails(), "Which one first?"])
    graph = build_hitl_graph(model, [Effects().tool()]).compile(checkpointer=checkpointer)
    with pytest.raises(ParallelToolCallsError):
        graph.invoke(user_turn("Email Ann and Bob."), config)

    out = graph.invoke(user_turn("One at a time, please."), config)

    assert [m.content for m in out["messages"]] == [
        "Email Ann and Bob.",
        "One at a time, please.",
        "Which one first?",
    ]
    assert [m.content for m in model.calls[-1].messages] == [
        "Email Ann and Bob.",
        "One at a time, please.",
    ]


def test_keep_first_stores_one_call_and_every_call_gets_one_answer(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    turn = _two_emails().model_copy(
        update={
            "content": [
                {"type": "text", "text": "Sending both."},
                {"type": "tool_use", "id": "call_0_0", "name": "send_email", "input": {}},
                {"type": "tool_use", "id": "call_0_1", "name": "send_email", "input": {}},
            ],
            "additional_kwargs": {
                "tool_calls": [{"id": "call_0_0", "type": "function"}, {"id": "call_0_1"}]
            },
        }
    )
    model = ScriptedChatModel(strict_history=True, responses=[turn, "Sent to Ann."])
    graph = build_hitl_graph(model, [effects.tool()], on_parallel_tool_calls="keep_first").compile(
        checkpointer=checkpointer
    )

    out = graph.invoke(user_turn("Email Ann and Bob."), config)

    stored = out["messages"][1]
    assert isinstance(stored, AIMessage)
    assert [c["id"] for c in stored.tool_calls] == ["call_0_0"]
    assert stored.content == [
        {"type": "text", "text": "Sending both."},
        {"type": "tool_use", "id": "call_0_0", "name": "send_email", "input": {}},
    ]
    assert stored.additional_kwargs["tool_calls"] == [{"id": "call_0_0", "type": "function"}]
    assert_every_call_answered_once(out["messages"])
    assert effects.runs == Counter({"ann": 1})
    assert out["messages"][-1].content == "Sent to Ann."


def _sequential_script() -> ScriptedChatModel:
    return ScriptedChatModel(
        strict_history=True,
        responses=[
            ai_tool_calls(
                ("send_email", {"to": "ann"}),
                ("human_assistance", {"query": "What should I tell Bob?"}),
                ("send_email", {"to": "bob"}),
                ("human_assistance", {"query": "And Carol?"}),
                ("send_email", {"to": "carol"}),
            ),
            "All done.",
        ],
    )


def test_sequential_runs_each_call_exactly_once_across_interrupts(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    model = _sequential_script()
    graph = build_hitl_graph(
        model, [effects.tool(), human_assistance_tool()], on_parallel_tool_calls="sequential"
    ).compile(checkpointer=checkpointer)

    graph.invoke(user_turn(), config)
    assert effects.runs == Counter({"ann": 1})
    assert graph.get_state(config).next == ("tools",)
    (first,) = pending_interrupts(graph, config)
    assert (first.value["query"], first.tool_call_id) == ("What should I tell Bob?", "call_0_1")

    with pytest.raises(ValueError, match="does not fit"):
        resume(graph, config, {"text": "wrong shape"})
    assert effects.runs == Counter({"ann": 1})

    resume(graph, config, {"data": "Tell Bob hi."})
    assert effects.runs == Counter({"ann": 1, "bob": 1})
    assert graph.get_state(config).next == ("tools",)
    (second,) = pending_interrupts(graph, config)
    assert (second.value["query"], second.tool_call_id) == ("And Carol?", "call_0_3")
    assert second.id != first.id

    out = resume(graph, config, {"data": "Tell Carol bye."}).value

    assert effects.runs == Counter({"ann": 1, "bob": 1, "carol": 1})
    answers = {m.tool_call_id: m.content for m in out["messages"] if isinstance(m, ToolMessage)}
    assert answers == {
        "call_0_0": "sent to ann",
        "call_0_1": "Tell Bob hi.",
        "call_0_2": "sent to bob",
        "call_0_3": "Tell Carol bye.",
        "call_0_4": "sent to carol",
    }
    assert_every_call_answered_once(out["messages"])
    assert out["messages"][-1].content == "All done."
    assert len(model.calls) == 2, "the model is asked again only once every call has answered"


async def test_sequential_async(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    graph = build_hitl_graph(
        _sequential_script(),
        [effects.tool(), human_assistance_tool()],
        on_parallel_tool_calls="sequential",
    ).compile(checkpointer=async_checkpointer)

    await graph.ainvoke(user_turn(), config)
    await graph.ainvoke(Command(resume={"data": "Tell Bob hi."}), config)
    assert (await graph.aget_state(config)).next == ("tools",)
    out = await graph.ainvoke(Command(resume={"data": "Tell Carol bye."}), config)

    assert effects.runs == Counter({"ann": 1, "bob": 1, "carol": 1})
    assert_every_call_answered_once(out["messages"])
    assert out["messages"][-1].content == "All done."


class _DropsIds(ScriptedChatModel):
    """A provider that sends tool calls without ids."""

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        result = super()._generate(messages, *args, **kwargs)
        message = result.generations[0].message
        assert isinstance(message, AIMessage)
        for call in message.tool_calls:
            call["id"] = None
        return result


def test_tool_calls_without_ids_get_ids(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    model = _DropsIds(
        responses=[
            ai_tool_calls(("send_email", {"to": "ann"}), ("send_email", {"to": "bob"})),
            "Sent.",
        ]
    )
    graph = build_hitl_graph(model, [effects.tool()], on_parallel_tool_calls="sequential").compile(
        checkpointer=checkpointer
    )

    out = graph.invoke(user_turn(), config)

    assert_every_call_answered_once(out["messages"])
    assert all(c["id"] for c in out["messages"][1].tool_calls)
    assert effects.runs == Counter({"ann": 1, "bob": 1})


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="'parallel' is not a policy"):
        build_hitl_graph(
            ScriptedChatModel(strict_history=True, responses=[]),
            [],
            on_parallel_tool_calls="parallel",  # type: ignore[call-overload]
        )
