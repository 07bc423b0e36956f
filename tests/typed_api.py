"""Typing test of the core API: checked by mypy (strict, warn_unused_ignores), never run.

`assert_type` pins what must infer. Each `# type: ignore[code]` marks a call that must NOT
type-check: when it starts to, mypy reports the ignore as unused and this file fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage, ToolMessage
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, GraphOutput
from pydantic import BaseModel
from typing_extensions import NotRequired, TypedDict, assert_type

from langgraph_hitl import (
    AnswerShape,
    ApprovalActionRequest,
    ApprovalReviewConfig,
    AuditRecord,
    AuditSource,
    DecisionType,
    HITLInput,
    HITLState,
    HumanAssistanceRequest,
    HumanReply,
    Inbox,
    InboxActionRequest,
    InboxConfig,
    NewInputPolicy,
    OnReply,
    Page,
    ParallelToolCallsError,
    ParallelToolCallsPolicy,
    PendingInterrupt,
    RequestsWaitingError,
    ToolApprovalRequest,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume,
    resume_command,
)
from langgraph_hitl.testing import FakeClock, ModelCall, ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig


class Profile(BaseModel):
    name: str
    birthday: date


class Other(BaseModel):
    score: int


class ProfileState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    name: NotRequired[str]
    birthday: NotRequired[str]


def on_profile(reply: Profile, tool_call_id: str) -> Command[Any]:
    return Command(
        update={
            "name": reply.name,
            "messages": [ToolMessage("ok", tool_call_id=tool_call_id)],
        }
    )


def on_text(reply: HumanReply, tool_call_id: str) -> str:
    return reply.data


def on_other(reply: Other, tool_call_id: str) -> str:
    return str(reply.score)


def on_wrong_arity(reply: Profile) -> str:
    return reply.name


def weather(city: str) -> str:
    """Weather of a city."""
    return city


model = ScriptedChatModel(responses=["hi", ai_tool_calls(("weather", {"city": "Oslo"}))])
config: RunnableConfig = {"configurable": {"thread_id": "typed"}}

# --- testing kit --------------------------------------------------------------------------
assert_type(model.calls, list[ModelCall])
assert_type(model.remaining, int)
fake_clock = FakeClock(datetime(2026, 12, 1, tzinfo=timezone.utc))
assert_type(fake_clock.advance(timedelta(hours=1)), datetime)
assert_type(fake_clock.advance_to(datetime(2026, 12, 2, tzinfo=timezone.utc)), datetime)
fake_clock.advance_to(date(2026, 12, 3))  # type: ignore[arg-type]
assert_type(ai_tool_calls(("weather", {"city": "Oslo"})), AIMessage)
ScriptedChatModel(["hi"])  # type: ignore[call-arg]

# --- human_assistance_tool ----------------------------------------------------------------
assert_type(human_assistance_tool(), BaseTool)
assert_type(human_assistance_tool(on_reply=on_text), BaseTool)
assert_type(human_assistance_tool(response_model=Profile, on_reply=on_profile), BaseTool)
assert_type(human_assistance_tool(name="ask", description="Ask a human."), BaseTool)

# A callback typed for one model fits the protocol of that model only.
profile_callback: OnReply[Profile] = on_profile
other_callback: OnReply[Profile] = on_other  # type: ignore[assignment]
short_callback: OnReply[Profile] = on_wrong_arity  # type: ignore[assignment]
human_assistance_tool(response_model=Profile, on_reply=on_other)  # type: ignore[misc]
human_assistance_tool(on_reply=on_profile)  # type: ignore[arg-type]
human_assistance_tool("ask")  # type: ignore[call-overload]

request: HumanAssistanceRequest = {
    "type": "human_assistance",
    "query": "?",
    "tool_call_id": "c",
    "name": "human_assistance",
}
wrong_request: HumanAssistanceRequest = {"type": "approval", "query": "?", "tool_call_id": "c"}  # type: ignore[typeddict-item]

# --- build_hitl_graph ---------------------------------------------------------------------
builder = build_hitl_graph(model, [human_assistance_tool(), weather])
assert_type(builder, StateGraph[HITLState, None, HITLInput, HITLState])
graph = builder.compile(checkpointer=InMemorySaver())
assert_type(graph, CompiledStateGraph[HITLState, None, HITLInput, HITLState])

custom = build_hitl_graph(model, [], state_schema=ProfileState, system_prompt="Be brief.")
assert_type(custom, StateGraph[ProfileState, None, ProfileState, ProfileState])

policy: ParallelToolCallsPolicy = "sequential"
build_hitl_graph(model, [], on_parallel_tool_calls=policy)
build_hitl_graph(model, [], on_parallel_tool_calls="parallel")  # type: ignore[call-overload]
build_hitl_graph(model, [], on_new_input="supersede")
build_hitl_graph(model, [], on_new_input="drop")  # type: ignore[call-overload]
build_hitl_graph(model, [], ProfileState)  # type: ignore[call-overload]
build_hitl_graph("gpt-4o", [])  # type: ignore[call-overload]

# --- resuming -----------------------------------------------------------------------------
assert_type(pending_interrupts(graph, config), list[PendingInterrupt])
assert_type(resume_command(graph, config, {"data": "yes"}), Command[Any])


def _error(exc: ParallelToolCallsError) -> None:
    assert_type(exc.tool_calls, tuple[tuple[str, str | None], ...])


# --- input of the default state -----------------------------------------------------------
def _inputs(state: HITLState) -> None:
    graph.invoke({"messages": [{"role": "user", "content": "As in the tutorial."}]}, config)
    graph.invoke({"messages": [("user", "A tuple.")]}, config)
    graph.invoke(state, config)
    tutorial_input: HITLInput = {"messages": [{"role": "user", "content": "Hi."}]}
    graph.invoke(tutorial_input, config)
    graph.invoke({"msgs": []}, config)  # type: ignore[call-overload]
    assert_type(resume(graph, config, {"data": "yes"}), GraphOutput[HITLState])


# --- approvals in other clients' shapes, new input, the audit -----------------------------
def _approvals(
    approval: ToolApprovalRequest, record: AuditRecord, waiting: RequestsWaitingError
) -> None:
    (action,) = approval["action_requests"]
    assert_type(action, ApprovalActionRequest)
    assert_type(action["arguments"], dict[str, Any])
    (review,) = approval["review_configs"]
    assert_type(review, ApprovalReviewConfig)
    assert_type(review["allowed_decisions"], list[DecisionType])
    assert_type(record.answer_shape, AnswerShape | None)
    assert_type(record.source, AuditSource)
    assert_type(waiting.waiting, tuple[tuple[str, str], ...])
    shape: AnswerShape = "human_response"
    bad_shape: AnswerShape = "agent_inbox"  # type: ignore[assignment]
    del shape, bad_shape
    superseded: AuditSource = "superseded"
    new_input: NewInputPolicy = "raise"
    del superseded, new_input


inbox_request: HumanAssistanceRequest = {
    "type": "human_assistance",
    "query": "?",
    "tool_call_id": "c",
    "name": "human_assistance",
    "action_request": {"action": "human_assistance", "args": {"query": "?"}},
    "config": InboxConfig(
        allow_accept=False, allow_edit=False, allow_respond=True, allow_ignore=False
    ),
    "description": "?",
}
bad_action: InboxActionRequest = {"args": {}}  # type: ignore[typeddict-item]
strict_model = ScriptedChatModel(responses=[], strict_history=True)


# --- the inbox, a page at a time ----------------------------------------------------------
def _inbox_pages(inbox: Inbox[HITLState]) -> None:
    page = inbox.page(limit=50, tool="send_email")
    assert_type(page, Page)
    assert_type(page.items, list[PendingInterrupt])
    assert_type(page.next_cursor, str | None)
    assert_type(inbox.pending(limit=50, after=page.next_cursor), list[PendingInterrupt])
    assert_type(inbox.count(type="tool_approval"), int)
    assert_type(inbox.iter_pending(page_size=100), Iterator[PendingInterrupt])
    inbox.page(after=3)  # type: ignore[arg-type]
    inbox.page(50)  # type: ignore[call-arg]


async def _ainbox_pages(inbox: Inbox[HITLState]) -> None:
    assert_type(await inbox.apage(before="c1.x"), Page)
    assert_type(await inbox.acount(), int)
    assert_type(inbox.aiter_pending(), AsyncIterator[PendingInterrupt])
