"""`build_hitl_graph`: the tutorial graph, its state, its tools node, and how it composes.

The single-tool-call policies are in test_builder_policies.py."""

from __future__ import annotations

import operator
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from effects import Effects, assert_every_call_answered_once, user_turn
from langchain_core.messages import (
    AnyMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import InjectedToolCallId, tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import InjectedState
from langgraph.types import Command, interrupt
from typing_extensions import NotRequired, TypedDict

from langgraph_hitl import (
    HITLState,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver


def test_nodes_are_named_as_in_the_tutorial() -> None:
    builder = build_hitl_graph(
        ScriptedChatModel(strict_history=True, responses=[]), [human_assistance_tool()]
    )

    assert isinstance(builder, StateGraph)
    assert set(builder.nodes) == {"chatbot", "tools"}
    assert (START, "chatbot") in builder.edges
    drawn = builder.compile().get_graph()
    assert set(drawn.nodes) == {START, "chatbot", "tools", END}
    assert "chatbot" in drawn.draw_mermaid()


def test_the_uncompiled_builder_compiles_without_a_checkpointer_too() -> None:
    model = ScriptedChatModel(strict_history=True, responses=["Hello!"])
    builder = build_hitl_graph(model, [human_assistance_tool()])

    out = builder.compile().invoke(user_turn("Hi"))

    assert [m.content for m in out["messages"]] == ["Hi", "Hello!"]


def test_a_paused_thread_waits_in_tools(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    model = ScriptedChatModel(
        strict_history=True,
        responses=[ai_tool_calls(("human_assistance", {"query": "Help?"})), "Done."],
    )
    graph = build_hitl_graph(model, [human_assistance_tool()]).compile(checkpointer=checkpointer)

    graph.invoke(user_turn(), config)

    assert graph.get_state(config).next == ("tools",)
    out = resume(graph, config, {"data": "Use LangGraph."}).value
    assert [m.content for m in out["messages"][-2:]] == ["Use LangGraph.", "Done."]
    assert graph.get_state(config).next == ()


async def test_async_tutorial_cycle(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    model = ScriptedChatModel(
        strict_history=True,
        responses=[ai_tool_calls(("human_assistance", {"query": "Help?"})), "Done."],
    )
    graph = build_hitl_graph(model, [human_assistance_tool()]).compile(
        checkpointer=async_checkpointer
    )

    paused = await graph.ainvoke(user_turn(), config)

    assert paused["__interrupt__"][0].value["query"] == "Help?"
    assert (await graph.aget_state(config)).next == ("tools",)
    out = await graph.ainvoke(Command(resume={"data": "Answer."}), config)
    assert [m.content for m in out["messages"][-2:]] == ["Answer.", "Done."]


def test_system_prompt_reaches_the_model_but_is_not_stored(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    model = ScriptedChatModel(
        strict_history=True, responses=[ai_tool_calls(("send_email", {"to": "ann"})), "Sent."]
    )
    graph = build_hitl_graph(
        model, [Effects().tool()], system_prompt="You are a careful assistant."
    ).compile(checkpointer=checkpointer)

    out = graph.invoke(user_turn(), config)

    for call in model.calls:
        assert isinstance(call.messages[0], SystemMessage)
        assert call.messages[0].content == "You are a careful assistant."
        assert not any(isinstance(m, SystemMessage) for m in call.messages[1:])
    assert not any(isinstance(m, SystemMessage) for m in out["messages"])
    assert not any(isinstance(m, SystemMessage) for m in graph.get_state(config).values["messages"])


class AuditedState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    user_name: NotRequired[str]
    audit: NotRequired[Annotated[list[str], operator.add]]


def test_custom_state_schema_with_injected_state_and_added_nodes(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """A custom state flows through; a tool that reads it runs; user nodes and edges work."""

    @tool
    def greet(state: Annotated[dict[str, Any], InjectedState]) -> str:
        """Greet the user by name."""
        return f"Hello {state['user_name']}, after {len(state['messages'])} messages."

    def audit(state: AuditedState) -> dict[str, list[str]]:
        return {"audit": [f"saw {len(state['messages'])} messages"]}

    model = ScriptedChatModel(
        strict_history=True,
        responses=[
            ai_tool_calls(("greet", {})),
            ai_tool_calls(("human_assistance", {"query": "Anything else?"})),
            "Bye.",
        ],
    )
    builder = build_hitl_graph(model, [greet, human_assistance_tool()], state_schema=AuditedState)
    builder.add_node("audit", audit)
    builder.add_edge(START, "audit")
    graph = builder.compile(checkpointer=checkpointer)

    graph.invoke({"messages": [HumanMessage(content="Hi")], "user_name": "Ada"}, config)
    assert graph.get_state(config).next == ("tools",)
    out = resume(graph, config, {"data": "No."}).value

    assert out["user_name"] == "Ada"
    assert out["audit"] == ["saw 1 messages"]
    assert out["messages"][2].content == "Hello Ada, after 2 messages."
    assert [m.content for m in out["messages"][-2:]] == ["No.", "Bye."]


def test_a_pydantic_state_schema_works() -> None:
    from pydantic import BaseModel

    class PydanticState(BaseModel):
        messages: Annotated[list[AnyMessage], add_messages]
        topic: str = "none"

    model = ScriptedChatModel(
        strict_history=True, responses=[ai_tool_calls(("send_email", {"to": "ann"})), "Sent."]
    )
    graph = build_hitl_graph(model, [Effects().tool()], state_schema=PydanticState).compile()

    out = graph.invoke(PydanticState(messages=[HumanMessage(content="Go")], topic="mail"))

    assert out["topic"] == "mail"
    assert [m.content for m in out["messages"]][-2:] == ["sent to ann", "Sent."]


def test_the_builder_nests_as_a_subgraph(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    class Outer(MessagesState):
        summary: NotRequired[str]

    model = ScriptedChatModel(
        strict_history=True,
        responses=[ai_tool_calls(("human_assistance", {"query": "Help?"})), "Done."],
    )
    agent = build_hitl_graph(model, [human_assistance_tool()]).compile()

    def summarize(state: Outer) -> dict[str, str]:
        return {"summary": f"{len(state['messages'])} messages"}

    parent = StateGraph(Outer)
    parent.add_node("agent", agent)
    parent.add_node("summarize", summarize)
    parent.add_edge(START, "agent")
    parent.add_edge("agent", "summarize")
    graph = parent.compile(checkpointer=checkpointer)

    graph.invoke(Outer(messages=[HumanMessage(content="Go.")]), config)
    (pending,) = pending_interrupts(graph, config)
    assert pending.path == ("agent", "tools")
    out = resume(graph, config, {"data": "Answer."}).value

    assert out["summary"] == "4 messages"


def test_plain_function_tools(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def weather(city: str) -> str:
        """Tell the weather of a city."""
        return f"Sunny in {city}."

    model = ScriptedChatModel(
        strict_history=True, responses=[ai_tool_calls(("weather", {"city": "Paris"})), "Nice."]
    )
    graph = build_hitl_graph(model, [weather]).compile(checkpointer=checkpointer)

    out = graph.invoke(user_turn(), config)

    assert model.calls[0].tools == ("weather",)
    assert out["messages"][2].content == "Sunny in Paris."
    assert out["messages"][2].name == "weather"


def test_an_unknown_tool_name_gets_an_error_message_and_the_model_goes_on(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    model = ScriptedChatModel(
        strict_history=True, responses=[ai_tool_calls(("send_mail", {"to": "ann"})), "Oops."]
    )
    graph = build_hitl_graph(model, [effects.tool()]).compile(checkpointer=checkpointer)

    out = graph.invoke(user_turn(), config)

    error = out["messages"][2]
    assert isinstance(error, ToolMessage)
    assert error.status == "error"
    assert "'send_mail' is not a valid tool" in str(error.content)
    assert "send_email" in str(error.content)
    assert model.calls[1].messages[-1] == error
    assert effects.runs == Counter()
    assert_every_call_answered_once(out["messages"])


def test_bad_arguments_get_an_error_message_and_the_tool_does_not_run(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    effects = Effects()
    model = ScriptedChatModel(
        strict_history=True,
        responses=[
            ai_tool_calls(("send_email", {"recipient": "ann"})),
            ai_tool_calls(("send_email", {"to": "ann"})),
            "Sent.",
        ],
    )
    graph = build_hitl_graph(model, [effects.tool()]).compile(checkpointer=checkpointer)

    out = graph.invoke(user_turn(), config)

    error = out["messages"][2]
    assert isinstance(error, ToolMessage)
    assert error.status == "error"
    assert "'send_email'" in str(error.content)
    assert "to" in str(error.content)
    assert effects.runs == Counter({"ann": 1})
    assert out["messages"][-1].content == "Sent."


def test_bad_arguments_to_the_human_tool_do_not_pause() -> None:
    model = ScriptedChatModel(
        strict_history=True,
        responses=[ai_tool_calls(("human_assistance", {"question": "?"})), "Let me rephrase."],
    )
    graph = build_hitl_graph(model, [human_assistance_tool()]).compile(checkpointer=InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": "t"}}

    out = graph.invoke(user_turn(), config)

    assert out["messages"][2].status == "error"
    assert "__interrupt__" not in out
    assert out["messages"][-1].content == "Let me rephrase."


def test_an_injected_state_tool_may_pause_for_a_human(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """Tools that need `ToolNode` (injected state) still pause and resume per call."""
    effects = Effects()

    @tool
    def confirm(
        action: str,
        state: Annotated[dict[str, Any], InjectedState],
        tool_call_id: Annotated[str, InjectedToolCallId],
    ) -> str:
        """Ask the human to confirm an action."""
        answer = interrupt({"type": "confirm", "action": action, "tool_call_id": tool_call_id})
        return f"{answer} ({len(state['messages'])} messages)"

    model = ScriptedChatModel(
        strict_history=True,
        responses=[
            ai_tool_calls(("send_email", {"to": "ann"}), ("confirm", {"action": "delete"})),
            "Ok.",
        ],
    )
    graph = build_hitl_graph(
        model, [effects.tool(), confirm], on_parallel_tool_calls="sequential"
    ).compile(checkpointer=checkpointer)

    graph.invoke(user_turn(), config)
    (pending,) = pending_interrupts(graph, config)
    assert (pending.type, pending.tool_call_id) == ("confirm", "call_0_1")
    out = resume(graph, config, "yes").value

    assert out["messages"][3].content == "yes (3 messages)"
    assert effects.runs == Counter({"ann": 1})


def test_a_command_must_answer_its_tool_call() -> None:
    @tool
    def forgetful(tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Update state but forget the tool message."""
        return Command(update={"messages": []})

    model = ScriptedChatModel(
        strict_history=True, responses=[ai_tool_calls(("forgetful", {})), "never"]
    )
    graph = build_hitl_graph(model, [forgetful]).compile(checkpointer=InMemorySaver())

    with pytest.raises(ValueError, match=r"'forgetful' returned a Command without a ToolMessage"):
        graph.invoke(user_turn(), {"configurable": {"thread_id": "t"}})


def test_a_command_tool_message_gets_the_tool_name(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    class Named(TypedDict):
        messages: Annotated[list[AnyMessage], add_messages]
        note: NotRequired[str]

    @tool
    def take_note(text: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Take a note."""
        return Command(
            update={"note": text, "messages": [ToolMessage("noted", tool_call_id=tool_call_id)]}
        )

    model = ScriptedChatModel(
        strict_history=True, responses=[ai_tool_calls(("take_note", {"text": "milk"})), "Ok."]
    )
    graph = build_hitl_graph(model, [take_note], state_schema=Named).compile(
        checkpointer=checkpointer
    )

    out = graph.invoke(Named(messages=[HumanMessage(content="Go.")]), config)

    assert out["note"] == "milk"
    assert (out["messages"][2].content, out["messages"][2].name) == ("noted", "take_note")


class _NoMessages(TypedDict):
    question: str


class _UnreducedMessages(TypedDict):
    messages: list[AnyMessage]


@pytest.mark.parametrize(
    ("schema", "problem"),
    [(_NoMessages, "has no 'messages' key"), (_UnreducedMessages, "has no reducer on 'messages'")],
)
def test_a_state_schema_without_merged_messages_is_refused(schema: Any, problem: str) -> None:
    with pytest.raises(TypeError, match=problem):
        build_hitl_graph(
            ScriptedChatModel(strict_history=True, responses=[]), [], state_schema=schema
        )


def test_tool_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="Tool names must be unique"):
        build_hitl_graph(
            ScriptedChatModel(strict_history=True, responses=[]),
            [human_assistance_tool(), human_assistance_tool()],
        )


def test_default_state_is_hitl_state() -> None:
    builder = build_hitl_graph(ScriptedChatModel(strict_history=True, responses=[]), [])

    assert builder.state_schema is HITLState
