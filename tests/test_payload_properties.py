"""Property tests: any JSON-like answer is either accepted, or refused with nothing saved.

Each example pauses a fresh thread at a `human_assistance` call, then answers it. An
answer is accepted exactly when the tool's response model accepts it; a refused answer
leaves the thread at the same checkpoint with the same pending interrupt.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AnyMessage, HumanMessage, ToolMessage
from langgraph.errors import is_invalid_resume
from langgraph.graph.message import add_messages
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, ValidationError
from strategies import human_replies, json_values, near_misses, profile_answers
from typing_extensions import NotRequired, TypedDict

from langgraph_hitl import (
    HITLError,
    HumanReply,
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

# One fixture-provided checkpointer serves every example: each example has its own thread.
# Enough examples that NUL and lone surrogates turn up on every backend.
PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


class Profile(BaseModel):
    """A custom answer: what the human verified."""

    model_config = ConfigDict(extra="forbid")

    name: str
    birthday: date
    nickname: str | None = None


class ProfileState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    name: NotRequired[str]
    birthday: NotRequired[str]


def _on_profile(reply: Profile, tool_call_id: str) -> Command[Any]:
    return Command(
        update={
            "name": reply.name,
            "birthday": reply.birthday.isoformat(),
            "messages": [ToolMessage("Verified.", tool_call_id=tool_call_id)],
        }
    )


def _paused(
    checkpointer: BaseCheckpointSaver[Any], tool: BaseTool
) -> tuple[CompiledStateGraph[ProfileState, None, ProfileState, ProfileState], RunnableConfig]:
    model = ScriptedChatModel(
        responses=[ai_tool_calls(("human_assistance", {"query": "Verify, please."})), "Done."]
    )
    graph = build_hitl_graph(model, [tool], state_schema=ProfileState).compile(
        checkpointer=checkpointer
    )
    config: RunnableConfig = {"configurable": {"thread_id": uuid.uuid4().hex}}
    graph.invoke({"messages": [HumanMessage(content="Start.")]}, config)
    return graph, config


def _fits(model: type[BaseModel], answer: object) -> bool:
    try:
        model.model_validate(answer)
    except ValidationError:
        return False
    return True


def _storable(value: object) -> bool:
    """Whether every text in `value` can be stored by PostgreSQL (no NUL, valid UTF-8)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


def _acceptable(model: type[BaseModel], answer: object) -> bool:
    """What `resume()` must accept: what the model accepts, in text that can be stored."""
    return _fits(model, answer) and _storable(answer)


def _snapshot(graph: CompiledStateGraph[Any, Any, Any, Any], config: RunnableConfig) -> Any:
    """What must not change when an answer is refused."""
    state = graph.get_state(config)
    return (
        state.config["configurable"]["checkpoint_id"],
        [(p.id, p.value) for p in pending_interrupts(graph, config)],
        len(list(graph.get_state_history(config))),
        state.values,
    )


def _answers(valid: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return json_values | valid | near_misses(valid)


@PROPERTY
@given(answer=_answers(human_replies))
def test_resume_accepts_exactly_the_human_replies(
    checkpointer: BaseCheckpointSaver[Any], answer: Any
) -> None:
    graph, config = _paused(checkpointer, human_assistance_tool())
    before = _snapshot(graph, config)

    if not _acceptable(HumanReply, answer):
        with pytest.raises(HITLError):
            resume(graph, config, answer)
        assert _snapshot(graph, config) == before
        return

    out = resume(graph, config, answer).value
    assert out["messages"][-2].content == answer["data"]
    assert graph.get_state(config).next == ()


@PROPERTY
@given(answer=_answers(profile_answers))
def test_resume_accepts_exactly_the_custom_model_and_updates_state(
    checkpointer: BaseCheckpointSaver[Any], answer: Any
) -> None:
    tool = human_assistance_tool(response_model=Profile, on_reply=_on_profile)
    graph, config = _paused(checkpointer, tool)
    before = _snapshot(graph, config)

    if not _acceptable(Profile, answer):
        with pytest.raises(HITLError):
            resume(graph, config, answer)
        assert _snapshot(graph, config) == before
        return

    out = resume(graph, config, answer).value
    reply = Profile.model_validate(answer)
    assert (out["name"], out["birthday"]) == (reply.name, reply.birthday.isoformat())
    assert out["messages"][-2].content == "Verified."


@PROPERTY
@given(answer=_answers(human_replies).filter(lambda a: a is not None and a != {}))
def test_a_raw_command_is_checked_by_langgraph_alike(
    checkpointer: BaseCheckpointSaver[Any], answer: Any
) -> None:
    """LangGraph's own check (raw `Command(resume=...)`) agrees with the model.

    `None` and `{}` are left out: LangGraph reads them as "no answer", not as an answer.
    """
    graph, config = _paused(checkpointer, human_assistance_tool())
    before = _snapshot(graph, config)

    if not _fits(HumanReply, answer):
        with pytest.raises(ValidationError) as info:
            graph.invoke(Command(resume=answer), config)
        assert is_invalid_resume(info.value)
        assert _snapshot(graph, config) == before
        return

    out = graph.invoke(Command(resume=answer), config)
    assert out["messages"][-2].content == answer["data"]


@pytest.mark.parametrize("answer", [None, {}])
def test_no_answer_at_all_is_refused_by_resume(
    checkpointer: BaseCheckpointSaver[Any], answer: Any
) -> None:
    graph, config = _paused(checkpointer, human_assistance_tool())
    before = _snapshot(graph, config)

    with pytest.raises(HITLError):
        resume(graph, config, answer)

    assert _snapshot(graph, config) == before
