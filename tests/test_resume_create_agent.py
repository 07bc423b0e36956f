"""The resume helpers on a graph they did not build: LangChain's `create_agent` with
`HumanInTheLoopMiddleware(interrupt_mode="per_call")`.

Each gated tool call raises its own interrupt with a `ToolApprovalRequest` value and a
published JSON schema of the decisions that tool allows (a tagged union with a
discriminator). The helpers list them, check each decision against that schema on the
client (one precise error, thread untouched, no tool run), and deliver good decisions by
interrupt id or tool call id.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING, Any, cast

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import HumanInTheLoopMiddleware, InterruptOnConfig
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from node_config import current_config

from langgraph_hitl import (
    AmbiguousResumeError,
    Approve,
    InvalidResumeError,
    Reject,
    aresume,
    pending_interrupts,
    resume,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from langchain.agents.middleware import InterruptOnConfig
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools import BaseTool
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.prebuilt.tool_node import ToolCallRequest
    from langgraph.types import Command

    from langgraph_hitl import PendingInterrupt


class Office:
    """Two tools with side effects, counted."""

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()

    def tools(self) -> list[BaseTool]:
        @tool
        def send_email(to: str, subject: str, copies: int = 1) -> str:
            """Send an email."""
            self.runs[f"email {to} {subject} x{copies}"] += 1
            return f"sent to {to}"

        @tool
        def delete_file(path: str) -> str:
            """Delete a file."""
            self.runs[f"delete {path}"] += 1
            return f"deleted {path}"

        return [send_email, delete_file]


class _Py310Middleware(HumanInTheLoopMiddleware):
    """LangChain's middleware, its async path given the graph's config on Python 3.10.

    It pauses with `interrupt()` in `awrap_tool_call`, where LangGraph has set the config
    for it only from Python 3.11 on (see `node_config`).
    """

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        with current_config(request.runtime.config):
            return await super().awrap_tool_call(request, handler)


# LangChain 1.5 declares `InterruptOnConfig`'s optional keys with `typing.NotRequired`, which
# a checker targeting Python 3.10 (our oldest) cannot see, so it reports them as missing.
_approve_or_reject = cast("InterruptOnConfig", {"allowed_decisions": ["approve", "reject"]})
_Middleware = HumanInTheLoopMiddleware if sys.version_info >= (3, 11) else _Py310Middleware


def _agent(saver: BaseCheckpointSaver[Any], office: Office) -> Any:
    model = ScriptedChatModel(
        responses=[
            ai_tool_calls(
                ("send_email", {"to": "alice@example.com", "subject": "Report"}),
                ("delete_file", {"path": "/tmp/report"}),
            ),
            "Done.",
        ]
    )
    middleware = _Middleware(
        interrupt_on={
            "send_email": True,
            "delete_file": _approve_or_reject,
        },
        interrupt_mode="per_call",
    )
    return create_agent(model, tools=office.tools(), middleware=[middleware], checkpointer=saver)


def _paused(
    saver: BaseCheckpointSaver[Any], config: RunnableConfig
) -> tuple[Any, Office, dict[str, PendingInterrupt]]:
    office = Office()
    agent = _agent(saver, office)
    agent.invoke({"messages": [HumanMessage("Email Alice the report, then delete it.")]}, config)
    by_tool = {p.value["name"]: p for p in pending_interrupts(agent, config)}
    return agent, office, by_tool


def _state(agent: Any, config: RunnableConfig) -> tuple[Any, ...]:
    snapshot = agent.get_state(config)
    pending = sorted(p.id for p in pending_interrupts(agent, config))
    return (
        snapshot.config["configurable"]["checkpoint_id"],
        pending,
        len(snapshot.values["messages"]),
    )


def test_each_gated_call_is_listed_with_its_decision_schema(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    _, office, by_tool = _paused(checkpointer, config)

    assert sorted(by_tool) == ["delete_file", "send_email"]
    email, delete = by_tool["send_email"], by_tool["delete_file"]
    assert email.type == delete.type == "tool_approval"
    assert (email.tool_call_id, delete.tool_call_id) == ("call_0_0", "call_0_1")
    assert email.node == delete.node == "tools"
    assert email.value["args"] == {"to": "alice@example.com", "subject": "Report"}
    assert email.response_schema is not None
    assert delete.response_schema is not None
    assert email.response_schema["discriminator"]["propertyName"] == "type"
    assert sorted(email.response_schema["discriminator"]["mapping"]) == [
        "approve",
        "edit",
        "reject",
        "respond",
    ]
    assert sorted(delete.response_schema["discriminator"]["mapping"]) == ["approve", "reject"]
    assert office.runs == Counter()


BAD_DECISIONS = [
    pytest.param(
        "delete_file",
        {"type": "edit", "edited_action": {"name": "delete_file", "args": {"path": "/x"}}},
        ("type",),
        "\"edit\" is not one of ['approve', 'reject']",
        id="decision-not-allowed-for-the-tool",
    ),
    pytest.param(
        "send_email",
        {
            "type": "edit",
            "edited_action": {"name": "send_email", "args": {"to": 1, "subject": "s"}},
        },
        ("edited_action", "args", "to"),
        "1 is not of type 'string'",
        id="edited-arg-of-the-wrong-type",
    ),
    pytest.param(
        "send_email",
        {
            "type": "edit",
            "edited_action": {"name": "delete_file", "args": {"to": "a", "subject": "s"}},
        },
        ("edited_action", "name"),
        "'send_email' was expected",
        id="edit-that-switches-tools",
    ),
    pytest.param(
        "send_email",
        {"type": "respond"},
        (),
        "'message' is a required property",
        id="respond-without-message",
    ),
    pytest.param(
        "send_email",
        {"type": "approved"},
        ("type",),
        "\"approved\" is not one of ['approve', 'edit', 'reject', 'respond']",
        id="unknown-tag",
    ),
    pytest.param(
        "delete_file",
        "approve",
        (),
        "\"approve\" is not an object; expected an object whose 'type' is one of "
        "['approve', 'reject']",
        id="not-an-object",
    ),
]


@pytest.mark.parametrize(("tool_name", "decision", "loc", "message"), BAD_DECISIONS)
def test_a_bad_decision_gets_one_precise_error_and_nothing_runs(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    tool_name: str,
    decision: Any,
    loc: tuple[str, ...],
    message: str,
) -> None:
    agent, office, by_tool = _paused(checkpointer, config)
    target = by_tool[tool_name]
    before = _state(agent, config)

    with pytest.raises(InvalidResumeError) as caught:
        resume(agent, config, {target.id: decision})

    assert [(e.loc, e.message) for e in caught.value.errors] == [(loc, message)]
    assert caught.value.interrupt_id == target.id
    assert target.id in str(caught.value)
    assert _state(agent, config) == before
    assert office.runs == Counter()


def test_one_bad_decision_among_good_ones_runs_no_tool(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """LangChain warns that a bad answer sent with good ones may still run their tools."""
    agent, office, by_tool = _paused(checkpointer, config)
    before = _state(agent, config)

    with pytest.raises(InvalidResumeError, match='"respond" is not one of'):
        resume(
            agent,
            config,
            {by_tool["send_email"].id: {"type": "approve"}, "call_0_1": {"type": "respond"}},
        )

    assert office.runs == Counter()
    assert _state(agent, config) == before


def test_good_decisions_are_delivered_by_interrupt_id_and_tool_call_id(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    agent, office, by_tool = _paused(checkpointer, config)
    edit = {
        "type": "edit",
        "edited_action": {
            "name": "send_email",
            "args": {"to": "alice@example.com", "subject": "Report v2", "copies": 2},
        },
    }

    out = resume(
        agent,
        config,
        {by_tool["send_email"].id: edit, "call_0_1": {"type": "reject", "message": "Keep it."}},
    )

    assert office.runs == Counter({"email alice@example.com Report v2 x2": 1})
    assert out.interrupts == ()
    tool_messages = {m.tool_call_id: m for m in out.value["messages"] if isinstance(m, ToolMessage)}
    assert "sent to alice@example.com" in str(tool_messages["call_0_0"].content)
    assert "Keep it." in str(tool_messages["call_0_1"].content)
    assert out.value["messages"][-1].content == "Done."


def test_deciding_one_call_leaves_the_other_pending(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    agent, office, by_tool = _paused(checkpointer, config)
    with pytest.raises(AmbiguousResumeError, match="call_0_0"):
        resume(agent, config, Approve())

    out = resume(agent, config, {"call_0_1": Approve()})

    assert office.runs == Counter({"delete /tmp/report": 1})
    assert [p.tool_call_id for p in pending_interrupts(agent, config)] == ["call_0_0"]
    assert [i.id for i in out.interrupts] == [by_tool["send_email"].id]
    final = resume(agent, config, Reject(message="Not today."))
    assert office.runs == Counter({"delete /tmp/report": 1})
    assert final.value["messages"][-1].content == "Done."


async def test_aresume_delivers_decisions(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    office = Office()
    agent = _agent(async_checkpointer, office)
    await agent.ainvoke({"messages": [HumanMessage("Email and delete.")]}, config)

    with pytest.raises(InvalidResumeError):
        await aresume(agent, config, {"call_0_1": {"type": "respond", "message": "no"}})
    out = await aresume(agent, config, {"call_0_0": Approve(), "call_0_1": Approve()})

    assert office.runs == Counter({"email alice@example.com Report x1": 1, "delete /tmp/report": 1})
    assert out.value["messages"][-1].content == "Done."
