"""Separation of duties: the request records who asked, and `allow_self_approval=False`
refuses that person's vote (through the helpers and a raw `Command`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from graphs.gated import paused
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, tool
from langgraph.errors import is_invalid_resume
from langgraph.types import Command
from pydantic import ValidationError

from langgraph_hitl import (
    ApprovalPolicyError,
    Approve,
    HITLInput,
    InvalidResumeError,
    approval_tool,
    audit_trail,
    pending_interrupts,
    resume,
)

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

USER: HITLInput = {"messages": [HumanMessage(content="Pay Ada 5.")]}
ARGS = {"to": "ada", "amount": 5}
TEAM = {"alice", "bob", "carol"}


def _pay(paid: list[dict[str, Any]]) -> BaseTool:
    @tool
    def pay(to: str, amount: int) -> str:
        """Pay someone."""
        paid.append({"to": to, "amount": amount})
        return "Paid."

    return pay


def _as(config: RunnableConfig, user: str) -> RunnableConfig:
    return {"configurable": {**config["configurable"], "user_id": user}}


def _start(checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, gated: BaseTool) -> Any:
    return paused(checkpointer, config, gated, user=USER, call=("pay", ARGS))


def test_the_requester_may_not_approve_their_own_call(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    paid: list[dict[str, Any]] = []
    gated = approval_tool(_pay(paid), reviewers=TEAM, allow_self_approval=False)
    graph = _start(checkpointer, _as(config, "alice"), gated)
    (pending,) = pending_interrupts(graph, config)
    assert pending.value["requested_by"] == "alice"
    assert pending.value["allow_self_approval"] is False
    assert pending.value["reviewers"] == ["bob", "carol"]
    before = graph.get_state(config).config["configurable"]["checkpoint_id"]

    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, _as(config, "alice"), Approve(reviewer="alice"))
    assert refused.value.errors[0].loc == ("reviewer",)
    with pytest.raises(ValidationError) as raw:
        graph.invoke(Command(resume={pending.id: {"type": "approve", "reviewer": "alice"}}), config)
    assert is_invalid_resume(raw.value)
    assert "reviewer 'alice' asked for this call, and may not decide it" in str(raw.value)
    assert graph.get_state(config).config["configurable"]["checkpoint_id"] == before
    assert [p.id for p in pending_interrupts(graph, config)] == [pending.id]
    assert paid == []

    # The reviewer's own run config does not make them the requester.
    resume(graph, _as(config, "bob"), Approve(reviewer="bob"))
    assert paid == [ARGS]
    (record,) = audit_trail(graph, config)
    assert (record.requested_by, record.reviewer) == ("alice", "bob")


def test_who_asked_is_the_first_runs_even_when_a_reviewers_run_asks_again(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    gated = approval_tool(_pay([]), reviewers=TEAM, quorum=2, allow_self_approval=False)
    graph = _start(checkpointer, _as(config, "alice"), gated)
    resume(graph, _as(config, "bob"), Approve(reviewer="bob"))
    (pending,) = pending_interrupts(graph, config)
    # The tool ran again in Bob's run: the request still says Alice asked.
    assert pending.value["requested_by"] == "alice"
    assert pending.value["reviewers"] == ["carol"]


def test_requested_by_may_be_a_callable_of_the_runs_config(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    gated = approval_tool(
        _pay([]),
        reviewers=TEAM,
        allow_self_approval=False,
        requested_by=lambda cfg: cfg["configurable"].get("employee"),
    )
    asking: RunnableConfig = {"configurable": {**config["configurable"], "employee": "carol"}}
    graph = _start(checkpointer, asking, gated)
    (pending,) = pending_interrupts(graph, config)
    assert (pending.value["requested_by"], pending.value["reviewers"]) == (
        "carol",
        ["alice", "bob"],
    )


def test_the_servers_authenticated_user_is_the_requester(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    gated = approval_tool(_pay([]), reviewers=TEAM, allow_self_approval=False)
    asking: RunnableConfig = {
        "configurable": {
            **config["configurable"],
            "user_id": "somebody-else",
            "langgraph_auth_user": {"identity": "bob", "is_authenticated": True},
        }
    }
    graph = _start(checkpointer, asking, gated)
    (pending,) = pending_interrupts(graph, config)
    assert pending.value["requested_by"] == "bob"
    assert pending.value["reviewers"] == ["alice", "carol"]


def test_without_named_reviewers_anyone_but_the_requester_may_decide(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    paid: list[dict[str, Any]] = []
    graph = _start(
        checkpointer, _as(config, "alice"), approval_tool(_pay(paid), allow_self_approval=False)
    )
    with pytest.raises(InvalidResumeError):
        resume(graph, config, Approve(reviewer="alice"))
    with pytest.raises(InvalidResumeError):
        resume(graph, config, Approve())  # anonymous: could be anyone, Alice too
    resume(graph, config, Approve(reviewer="dave"))
    assert paid == [ARGS]


def test_a_call_whose_requester_is_unknown_is_not_asked(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    paid: list[dict[str, Any]] = []
    gated = approval_tool(_pay(paid), reviewers=TEAM, allow_self_approval=False)
    with pytest.raises(ApprovalPolicyError, match="cannot tell who asked"):
        _start(checkpointer, config, gated)
    assert paid == []


def test_a_quorum_the_others_cannot_reach_is_refused_before_asking(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    gated = approval_tool(_pay([]), reviewers={"alice", "bob"}, quorum=2, allow_self_approval=False)
    with pytest.raises(ApprovalPolicyError, match="could never run"):
        _start(checkpointer, _as(config, "alice"), gated)


def test_self_approval_is_allowed_by_default(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    paid: list[dict[str, Any]] = []
    graph = _start(checkpointer, _as(config, "alice"), approval_tool(_pay(paid), reviewers=TEAM))
    resume(graph, config, Approve(reviewer="alice"))
    assert paid == [ARGS]


def test_bad_options_are_refused_when_the_tool_is_made() -> None:
    with pytest.raises(TypeError, match="requested_by must be a callable"):
        approval_tool(_pay([]), requested_by="alice")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="allow_self_approval must be True or False"):
        approval_tool(_pay([]), allow_self_approval="no")  # type: ignore[arg-type]
