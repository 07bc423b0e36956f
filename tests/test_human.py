"""The `human_assistance` tool: its interrupt, its published schema, and its answers."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.errors import is_invalid_resume
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, Interrupt
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

from langgraph_hitl import (
    HITLInput,
    HITLState,
    HumanAssistanceRequest,
    HumanReply,
    InvalidResumeError,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools import BaseTool
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

QUERY = "I need some expert guidance for building an AI agent."
ANSWER = "We, the experts are here to help! We'd recommend you check out LangGraph."


class ProfileState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    name: NotRequired[str]
    birthday: NotRequired[str]


class Profile(BaseModel):
    """The verified facts, as a human gives them."""

    model_config = ConfigDict(extra="forbid")

    name: str
    birthday: date


def _model(query: str = QUERY) -> ScriptedChatModel:
    return ScriptedChatModel(
        responses=[ai_tool_calls(("human_assistance", {"query": query})), "Thanks, done."]
    )


def _start(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    tool: BaseTool | None = None,
) -> CompiledStateGraph[HITLState, None, HITLInput, HITLState]:
    graph = build_hitl_graph(_model(), [tool or human_assistance_tool()]).compile(
        checkpointer=checkpointer
    )
    graph.invoke({"messages": [HumanMessage(content="Help me build an agent.")]}, config)
    return graph


def _interrupt(graph: CompiledStateGraph[Any, Any, Any, Any], config: RunnableConfig) -> Interrupt:
    (task,) = graph.get_state(config).tasks
    (interrupt,) = task.interrupts
    return interrupt


def test_the_tool_takes_only_a_query() -> None:
    tool = human_assistance_tool()

    assert tool.name == "human_assistance"
    assert tool.description == "Request assistance from a human."
    assert set(tool.args) == {"query"}
    assert tool.args["query"]["type"] == "string"


def test_name_and_description_are_options() -> None:
    tool = human_assistance_tool(name="ask_expert", description="Ask a domain expert.")

    assert (tool.name, tool.description) == ("ask_expert", "Ask a domain expert.")


def test_interrupt_value_says_what_it_is(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _start(checkpointer, config)

    value = _interrupt(graph, config).value

    expected: HumanAssistanceRequest = {
        "type": "human_assistance",
        "query": QUERY,
        "tool_call_id": "call_0_0",
        "name": "human_assistance",
        # Agent Inbox's HumanInterrupt: a response is the only answer it offers.
        "action_request": {"action": "human_assistance", "args": {"query": QUERY}},
        "config": {
            "allow_accept": False,
            "allow_edit": False,
            "allow_respond": True,
            "allow_ignore": False,
        },
        "description": QUERY,
    }
    assert value == expected
    assert json.loads(json.dumps(value)) == value
    assert graph.get_state(config).next == ("tools",)
    (pending,) = pending_interrupts(graph, config)
    assert (pending.type, pending.tool_call_id, pending.node) == (
        "human_assistance",
        "call_0_0",
        "tools",
    )


def test_published_schema_is_the_schema_of_human_reply(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _start(checkpointer, config)

    schema = _interrupt(graph, config).response_schema

    assert schema == TypeAdapter(HumanReply).json_schema()
    assert schema == HumanReply.model_json_schema()
    assert schema is not None
    assert schema["required"] == ["data"]


def test_tutorial_payload_resumes_with_a_raw_command(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _start(checkpointer, config)

    out = graph.invoke(Command(resume={"data": ANSWER}), config)

    tool_message, final = out["messages"][-2:]
    assert isinstance(tool_message, ToolMessage)
    assert (tool_message.content, tool_message.tool_call_id) == (ANSWER, "call_0_0")
    assert tool_message.name == "human_assistance"
    assert isinstance(final, AIMessage)
    assert final.content == "Thanks, done."
    assert graph.get_state(config).next == ()


@pytest.mark.parametrize(
    "wrong",
    [
        {"answer": ANSWER},
        {"data": 42},
        {"data": ANSWER, "extra": True},
        ANSWER,
        [ANSWER],
        [{"type": "accept", "args": None}],
        [{"type": "response", "args": ANSWER}, {"type": "response", "args": ANSWER}],
        [{"type": "response", "args": {"data": ANSWER}}],
        [],
    ],
    ids=[
        "wrong-key",
        "wrong-type",
        "extra-key",
        "bare-string",
        "list",
        "inbox-accept",
        "inbox-two-responses",
        "inbox-args-not-text",
        "inbox-empty",
    ],
)
def test_a_wrong_raw_command_is_refused_and_the_thread_stays_answerable(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, wrong: object
) -> None:
    graph = _start(checkpointer, config)
    before = graph.get_state(config)
    history = len(list(graph.get_state_history(config)))

    with pytest.raises(ValidationError) as info:
        graph.invoke(Command(resume=wrong), config)

    assert is_invalid_resume(info.value)
    after = graph.get_state(config)
    assert (
        after.config["configurable"]["checkpoint_id"]
        == (before.config["configurable"]["checkpoint_id"])
    )
    assert [i.id for t in after.tasks for i in t.interrupts] == [
        i.id for t in before.tasks for i in t.interrupts
    ]
    assert len(list(graph.get_state_history(config))) == history
    out = graph.invoke(Command(resume={"data": ANSWER}), config)
    assert out["messages"][-2].content == ANSWER
    assert out["messages"][-1].content == "Thanks, done."


@pytest.mark.parametrize("via", ["helper", "command"])
def test_agent_inbox_answers_with_a_response(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, via: str
) -> None:
    graph = _start(checkpointer, config)
    answer = [{"type": "response", "args": ANSWER}]

    if via == "helper":
        resume(graph, config, answer)
    else:
        graph.invoke(Command(resume=answer), config)

    out = graph.get_state(config).values
    assert out["messages"][-2].content == ANSWER
    assert out["messages"][-1].content == "Thanks, done."


def test_a_bad_agent_inbox_answer_is_refused_by_the_helper_and_saves_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _start(checkpointer, config)
    before = graph.get_state(config).config["configurable"]["checkpoint_id"]

    with pytest.raises(InvalidResumeError, match="it takes a response only"):
        resume(graph, config, [{"type": "ignore", "args": None}])

    assert graph.get_state(config).config["configurable"]["checkpoint_id"] == before
    assert len(pending_interrupts(graph, config)) == 1


def test_a_custom_response_model_carries_no_agent_inbox_shape(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _start(checkpointer, config, human_assistance_tool(response_model=Profile))
    value = _interrupt(graph, config).value
    assert "action_request" not in value
    with pytest.raises(ValidationError):
        graph.invoke(Command(resume=[{"type": "response", "args": "1.0"}]), config)


def _profile_graph(
    checkpointer: BaseCheckpointSaver[Any], seen: list[tuple[Profile, str]]
) -> CompiledStateGraph[ProfileState, None, ProfileState, ProfileState]:
    def on_reply(reply: Profile, tool_call_id: str) -> Command[Any]:
        seen.append((reply, tool_call_id))
        return Command(
            update={
                "name": reply.name,
                "birthday": reply.birthday.isoformat(),
                "messages": [ToolMessage(f"Verified: {reply.name}", tool_call_id=tool_call_id)],
            }
        )

    tool = human_assistance_tool(response_model=Profile, on_reply=on_reply)
    builder = build_hitl_graph(
        _model("When was LangGraph released?"), [tool], state_schema=ProfileState
    )
    return builder.compile(checkpointer=checkpointer)


def test_custom_response_model_and_on_reply_update_state_keys(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    seen: list[tuple[Profile, str]] = []
    graph = _profile_graph(checkpointer, seen)
    graph.invoke({"messages": [HumanMessage(content="Look it up.")]}, config)
    assert _interrupt(graph, config).response_schema == Profile.model_json_schema()

    out = graph.invoke(Command(resume={"name": "LangGraph", "birthday": "2024-01-17"}), config)

    assert seen == [(Profile(name="LangGraph", birthday=date(2024, 1, 17)), "call_0_0")]
    assert (out["name"], out["birthday"]) == ("LangGraph", "2024-01-17")
    tool_message = out["messages"][-2]
    assert isinstance(tool_message, ToolMessage)
    assert (tool_message.content, tool_message.name) == ("Verified: LangGraph", "human_assistance")


def test_a_wrong_answer_never_reaches_on_reply(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    seen: list[tuple[Profile, str]] = []
    graph = _profile_graph(checkpointer, seen)
    graph.invoke({"messages": [HumanMessage(content="Look it up.")]}, config)

    with pytest.raises(ValidationError):
        graph.invoke(Command(resume={"name": "LangGraph", "birthday": "someday"}), config)

    assert seen == []
    out = resume(graph, config, {"name": "LangGraph", "birthday": "2024-01-17"}).value
    assert out["birthday"] == "2024-01-17"


def test_on_reply_may_return_the_tool_result_as_text(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def on_reply(reply: HumanReply, tool_call_id: str) -> str:
        return f"The expert ({tool_call_id}) says: {reply.data}"

    graph = _start(checkpointer, config, human_assistance_tool(on_reply=on_reply))

    out = graph.invoke(Command(resume={"data": "use LangGraph"}), config)

    assert out["messages"][-2].content == "The expert (call_0_0) says: use LangGraph"


def test_a_custom_model_without_on_reply_returns_the_answer_as_json(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _start(checkpointer, config, human_assistance_tool(response_model=Profile))

    out = graph.invoke(Command(resume={"name": "Ada", "birthday": "1815-12-10"}), config)

    assert json.loads(out["messages"][-2].content) == {"name": "Ada", "birthday": "1815-12-10"}


def test_the_tool_works_in_the_hand_written_tutorial_graph(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """The tool is not tied to `build_hitl_graph`: the tutorial's own graph runs it too."""
    seen: list[tuple[Profile, str]] = []

    def on_reply(reply: Profile, tool_call_id: str) -> Command[Any]:
        seen.append((reply, tool_call_id))
        return Command(
            update={
                "name": reply.name,
                "birthday": reply.birthday.isoformat(),
                "messages": [ToolMessage("Correct", tool_call_id=tool_call_id)],
            }
        )

    tool = human_assistance_tool(response_model=Profile, on_reply=on_reply)
    llm = _model().bind_tools([tool])

    def chatbot(state: ProfileState) -> dict[str, list[AnyMessage]]:
        message = llm.invoke(state["messages"])
        assert len(message.tool_calls) <= 1
        return {"messages": [message]}

    builder = StateGraph(ProfileState)
    builder.add_node("chatbot", chatbot)
    builder.add_node("tools", ToolNode(tools=[tool]))
    builder.add_conditional_edges("chatbot", tools_condition)
    builder.add_edge("tools", "chatbot")
    builder.add_edge(START, "chatbot")
    graph = builder.compile(checkpointer=checkpointer)

    graph.invoke({"messages": [HumanMessage(content="Help.")]}, config)
    assert graph.get_state(config).next == ("tools",)
    out = graph.invoke(Command(resume={"name": "LangGraph", "birthday": "2024-01-17"}), config)

    assert out["name"] == "LangGraph"
    assert [m.content for m in out["messages"][-2:]] == ["Correct", "Thanks, done."]


async def test_async_pause_and_resume(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    seen: list[tuple[Profile, str]] = []
    graph = _profile_graph(async_checkpointer, seen)

    paused = await graph.ainvoke({"messages": [HumanMessage(content="Look it up.")]}, config)
    state = await graph.aget_state(config)
    assert state.next == ("tools",)
    (interrupt,) = paused["__interrupt__"]
    assert interrupt.value["tool_call_id"] == "call_0_0"

    out = await graph.ainvoke(
        Command(resume={"name": "LangGraph", "birthday": "2024-01-17"}), config
    )

    assert out["name"] == "LangGraph"
    assert seen == [(Profile(name="LangGraph", birthday=date(2024, 1, 17)), "call_0_0")]
    assert out["messages"][-1].content == "Thanks, done."


class _NotAModel(TypedDict):
    data: str


@pytest.mark.parametrize("bad", [_NotAModel, dict, "HumanReply", HumanReply(data="x")])
def test_response_model_must_be_a_pydantic_model_class(bad: Any) -> None:
    with pytest.raises(TypeError, match="response_model must be a pydantic BaseModel subclass"):
        human_assistance_tool(response_model=bad)


def test_human_reply_is_exactly_the_tutorial_payload() -> None:
    assert HumanReply.model_validate({"data": "yes"}).data == "yes"
    with pytest.raises(ValidationError):
        HumanReply.model_validate({"data": "yes", "also": "no"})
    with pytest.raises(ValidationError):
        HumanReply.model_validate({"data": None})
