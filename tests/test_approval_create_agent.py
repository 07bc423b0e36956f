"""Both tool factories inside `langchain.agents.create_agent`, where each call is its own task.

Two gated calls in one model turn surface as two pending requests, each answered by its id,
together or one at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from langchain.agents import create_agent

# At runtime: the tool decorator reads the annotation to inject the runtime.
from langchain.tools import ToolRuntime  # noqa: TC002
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.errors import is_invalid_resume
from langgraph.types import Command
from pydantic import ValidationError

from langgraph_hitl import (
    Approve,
    Edit,
    EditedAction,
    InvalidResumeError,
    Reject,
    aaudit_trail,
    apending_interrupts,
    approval_tool,
    aresume,
    audit_trail,
    human_assistance_tool,
    pending_interrupts,
    resume,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.pregel import Pregel

USER = {"messages": [HumanMessage(content="Mail Ada and Bob.")]}
TWO_MAILS = ai_tool_calls(
    ("send_email", {"to": "ada@example.com", "subject": "Hi"}),
    ("send_email", {"to": "bob@example.com", "subject": "Hi"}),
)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def tool(self) -> BaseTool:
        @tool
        def send_email(to: str, subject: str) -> str:
            """Send an e-mail."""
            self.sent.append(to)
            return f"Sent to {to}."

        return send_email


def _agent(
    checkpointer: BaseCheckpointSaver[Any], tools: list[BaseTool], turn: AIMessage = TWO_MAILS
) -> Pregel[Any, Any, Any, Any]:
    model = ScriptedChatModel(responses=[turn, "Both done."])
    return create_agent(model, tools=tools, checkpointer=checkpointer)


def _tool_messages(graph: Pregel[Any, Any, Any, Any], config: RunnableConfig) -> dict[str, Any]:
    messages = graph.get_state(config).values["messages"]
    return {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}


def test_two_gated_calls_are_two_requests_answered_together_by_interrupt_id(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    agent = _agent(checkpointer, [approval_tool(outbox.tool())])
    agent.invoke(USER, config)
    pending = pending_interrupts(agent, config)
    assert sorted(p.tool_call_id or "" for p in pending) == ["call_0_0", "call_0_1"]
    assert {p.type for p in pending} == {"tool_approval"}
    assert outbox.sent == []

    by_call = {p.tool_call_id: p.id for p in pending}
    edited = {"to": "bob@example.org", "subject": "Hi"}
    out = resume(
        agent,
        config,
        {
            by_call["call_0_0"]: Approve(),
            by_call["call_0_1"]: Edit(edited_action=EditedAction(name="send_email", args=edited)),
        },
    )
    assert sorted(outbox.sent) == ["ada@example.com", "bob@example.org"]
    assert out.value["messages"][-1].content == "Both done."
    assert sorted((r.tool_call_id, r.decision) for r in audit_trail(agent, config)) == [
        ("call_0_0", "approve"),
        ("call_0_1", "edit"),
    ]


def test_two_gated_calls_answered_one_at_a_time_by_tool_call_id(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    agent = _agent(checkpointer, [approval_tool(outbox.tool())])
    agent.invoke(USER, config)

    out = resume(agent, config, {"call_0_1": Reject(message="Not Bob.")})
    assert outbox.sent == []
    (left,) = pending_interrupts(agent, config)
    assert left.tool_call_id == "call_0_0"
    assert [i.id for i in out.interrupts] == [left.id]

    resume(agent, config, {"call_0_0": Approve()})
    assert outbox.sent == ["ada@example.com"]
    messages = _tool_messages(agent, config)
    assert messages["call_0_0"].status == "success"
    assert messages["call_0_1"].status == "error"
    assert "Not Bob." in messages["call_0_1"].content


def test_a_bad_answer_among_good_ones_sends_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    agent = _agent(checkpointer, [approval_tool(outbox.tool(), reviewers={"ann"})])
    agent.invoke(USER, config)
    before = (
        agent.get_state(config).config["configurable"]["checkpoint_id"],
        sorted(p.id for p in pending_interrupts(agent, config)),
    )
    with pytest.raises(InvalidResumeError):
        resume(
            agent,
            config,
            {"call_0_0": Approve(reviewer="ann"), "call_0_1": Approve(reviewer="eve")},
        )
    after = (
        agent.get_state(config).config["configurable"]["checkpoint_id"],
        sorted(p.id for p in pending_interrupts(agent, config)),
    )
    assert after == before
    assert outbox.sent == []


def test_a_raw_command_with_a_bad_decision_is_refused_inside_the_agent(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    turn = ai_tool_calls(("send_email", {"to": "ada@example.com", "subject": "Hi"}))
    agent = _agent(checkpointer, [approval_tool(outbox.tool())], turn)
    agent.invoke(USER, config)
    (pending,) = pending_interrupts(agent, config)
    bad = {"type": "edit", "edited_action": {"name": "send_email", "args": {"to": 1}}}
    with pytest.raises(ValidationError) as refused:
        agent.invoke(Command(resume={pending.id: bad}), config)
    assert is_invalid_resume(refused.value)
    assert [p.id for p in pending_interrupts(agent, config)] == [pending.id]
    agent.invoke(Command(resume={pending.id: {"type": "approve"}}), config)
    assert outbox.sent == ["ada@example.com"]


def test_the_human_assistance_tool_works_in_the_agent_too(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    turn = ai_tool_calls(
        ("human_assistance", {"query": "Which database?"}),
        ("human_assistance", {"query": "Which region?"}),
    )
    agent = _agent(checkpointer, [human_assistance_tool()], turn)
    agent.invoke(USER, config)
    pending = pending_interrupts(agent, config)
    assert sorted(p.value["query"] for p in pending) == ["Which database?", "Which region?"]
    resume(agent, config, {"call_0_0": {"data": "Postgres"}})
    resume(agent, config, {"call_0_1": {"data": "eu-west"}})
    messages = _tool_messages(agent, config)
    assert (messages["call_0_0"].content, messages["call_0_1"].content) == ("Postgres", "eu-west")


def test_a_runtime_tool_is_reviewed_on_the_models_arguments_only(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    def send_email(to: str, subject: str, runtime: ToolRuntime) -> str:
        """Send an e-mail."""
        return f"Sent to {to} for call {runtime.tool_call_id}."

    model = ScriptedChatModel(
        responses=[
            ai_tool_calls(("send_email", {"to": "ada@example.com"})),  # no subject
            ai_tool_calls(("send_email", {"to": "ada@example.com", "subject": "Hi"})),
            "Done.",
        ]
    )
    agent: Pregel[Any, Any, Any, Any] = create_agent(
        model, tools=[approval_tool(send_email)], checkpointer=checkpointer
    )
    agent.invoke(USER, config)
    # The bad call went back to the model as an error, without a reviewer; the next waits.
    (pending,) = pending_interrupts(agent, config)
    assert pending.value["args"] == {"to": "ada@example.com", "subject": "Hi"}
    assert _tool_messages(agent, config)["call_0_0"].status == "error"
    resume(agent, config, Approve())
    assert _tool_messages(agent, config)["call_1_0"].content == (
        "Sent to ada@example.com for call call_1_0."
    )


async def test_the_async_agent(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    agent = _agent(async_checkpointer, [approval_tool(outbox.tool())])
    await agent.ainvoke(USER, config)
    pending = await apending_interrupts(agent, config)
    assert len(pending) == 2
    await aresume(agent, config, {p.id: Approve(reviewer="ann") for p in pending})
    assert sorted(outbox.sent) == ["ada@example.com", "bob@example.com"]
    assert {r.reviewer for r in await aaudit_trail(agent, config)} == {"ann"}
