"""Deadlines: `timeout=` / `on_timeout=` of both tool factories, and `Inbox.expire`.

A request with a deadline shows `expires_at` and its `on_timeout` answer; from the deadline
on, only that answer is taken (the sweep sends it, as the system), and a human answer is
refused with nothing saved; before it, nobody may answer as the system. Each test that
pauses a graph runs on InMemorySaver, SQLite and a real PostgreSQL. Deadlines that must
pass are `SHORT`; every test runs on a `FakeClock` that it moves past them, so no test
sleeps and none depends on how fast the machine is.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.errors import is_invalid_resume
from langgraph.types import Command
from pydantic import BaseModel, ValidationError

from langgraph_hitl import (
    TIMEOUT_REVIEWER,
    Approve,
    Edit,
    EditedAction,
    HITLInput,
    HumanReply,
    Inbox,
    InvalidResumeError,
    PendingInterrupt,
    Reject,
    RequestExpiredError,
    Respond,
    TimeoutTooEarlyError,
    aaudit_trail,
    apending_interrupts,
    approval_tool,
    aresume,
    audit_trail,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume,
)
from langgraph_hitl.answers._resume import resume_command, send
from langgraph_hitl.core._pending import read_wait
from langgraph_hitl.store._backends import checkpoint_time
from langgraph_hitl.testing import FakeClock, ScriptedChatModel, ai_tool_calls, use_clock

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.pregel import Pregel

Graph = Any  # a compiled graph (`Pregel[...]`) of any state

USER: HITLInput = {"messages": [HumanMessage(content="Tell Ada the build is green.")]}
ARGS = {"to": "ada@example.com", "subject": "Build"}
HOUR = timedelta(hours=1)
SHORT = timedelta(milliseconds=200)
DEFAULT_REJECT = {
    "type": "reject",
    "message": "No reviewer answered before the deadline.",
    "reviewer": TIMEOUT_REVIEWER,
}
DEFAULT_REPLY = {"data": "No human answered before the deadline."}


class Outbox:
    """Counts every e-mail the tool body really sent: a side effect that must happen once."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def tool(self) -> BaseTool:
        @tool
        def send_email(to: str, subject: str) -> str:
            """Send an e-mail."""
            self.sent.append({"to": to, "subject": subject})
            return f"Sent {subject!r} to {to}."

        return send_email


class Verdict(BaseModel):
    """A custom answer model for `human_assistance_tool`."""

    approved: bool
    note: str


def _graph(checkpointer: BaseCheckpointSaver[Any], guarded: BaseTool, *, call: str) -> Graph:
    args = ARGS if call == "send_email" else {"query": "Ship it?"}
    model = ScriptedChatModel(responses=[ai_tool_calls((call, args)), "Done."])
    return build_hitl_graph(model, [guarded]).compile(checkpointer=checkpointer)


def _paused(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, guarded: BaseTool
) -> Graph:
    graph = _graph(checkpointer, guarded, call=guarded.name)
    graph.invoke(USER, config)
    return graph


async def _apaused(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, guarded: BaseTool
) -> Graph:
    graph = _graph(checkpointer, guarded, call=guarded.name)
    await graph.ainvoke(USER, config)
    return graph


def _thread(config: RunnableConfig) -> str:
    return str(config["configurable"]["thread_id"])


def _where(graph: Graph, config: RunnableConfig) -> tuple[str, list[tuple[str, Any]]]:
    """The thread's checkpoint and what waits on it: what a refused answer must not change."""
    checkpoint = graph.get_state(config).config["configurable"]["checkpoint_id"]
    return checkpoint, [(p.id, p.value) for p in pending_interrupts(graph, config)]


CLOCK = FakeClock()


@pytest.fixture(autouse=True)
def clock() -> Iterator[FakeClock]:
    """Each test on a clock of its own that stands still until the test moves it."""
    global CLOCK
    CLOCK = FakeClock()
    with use_clock(CLOCK):
        yield CLOCK


def _left(item: PendingInterrupt) -> float:
    assert item.expires_at is not None
    return (item.expires_at - CLOCK()).total_seconds()


def _past(item: PendingInterrupt) -> None:
    """Move the clock just past `item`'s deadline."""
    CLOCK.advance(timedelta(seconds=max(0.0, _left(item))) + timedelta(milliseconds=1))
    assert _left(item) < 0


async def _apast(item: PendingInterrupt) -> None:
    _past(item)


def _started(item: PendingInterrupt) -> datetime:
    """The time of the checkpoint `item` was raised at (its step's start)."""
    assert item.checkpoint_id is not None
    started = checkpoint_time(item.checkpoint_id)
    assert started is not None
    return started


def _tool_message(graph: Graph, config: RunnableConfig) -> ToolMessage:
    found = [m for m in graph.get_state(config).values["messages"] if isinstance(m, ToolMessage)]
    assert len(found) == 1, found
    return found[0]


# --- What the request shows --------------------------------------------------------------


def test_an_approval_request_shows_its_deadline_and_timeout_decision(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, approval_tool(Outbox().tool(), timeout=HOUR))

    (item,) = pending_interrupts(graph, config)
    value = item.value
    assert value["on_timeout"] == DEFAULT_REJECT
    expires_at = datetime.fromisoformat(value["expires_at"])
    assert expires_at.utcoffset() == timedelta(0)
    assert value["expires_at"].endswith("+00:00")
    assert item.expires_at == expires_at
    # The step's checkpoint time plus the timeout, to the microsecond.
    assert expires_at == _started(item) + HOUR
    assert json.loads(json.dumps(value)) == value

    (listed,) = Inbox(graph).pending()
    assert listed.expires_at == expires_at
    assert listed.created_at is not None
    assert listed.expires_at - listed.created_at == HOUR


def test_a_human_assistance_request_shows_its_deadline_and_reply(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, human_assistance_tool(timeout=HOUR))

    (item,) = pending_interrupts(graph, config)
    assert item.value["on_timeout"] == DEFAULT_REPLY
    assert item.expires_at == _started(item) + HOUR
    assert item.value["expires_at"] == item.expires_at.isoformat()
    (listed,) = Inbox(graph).pending(type="human_assistance")
    assert listed.expires_at == item.expires_at


def test_without_a_timeout_the_request_has_no_deadline(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, approval_tool(Outbox().tool()))

    (item,) = pending_interrupts(graph, config)
    assert "expires_at" not in item.value
    assert "on_timeout" not in item.value
    assert item.expires_at is None
    assert Inbox(graph).expire(now=CLOCK() + timedelta(days=365)) == []
    assert pending_interrupts(graph, config) == [item]


def test_the_deadline_is_the_same_every_time_the_tool_runs_again(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    shown: list[dict[str, Any]] = []

    def describe(args: dict[str, Any]) -> str:
        shown.append(args)
        return f"Mail {args['to']}?"

    guarded = approval_tool(Outbox().tool(), timeout=HOUR, description=describe)
    graph = _paused(checkpointer, config, guarded)
    (item,) = pending_interrupts(graph, config)
    before = _where(graph, config)
    CLOCK.advance(timedelta(milliseconds=10))

    # A refused answer re-runs the tool up to its `interrupt()`, which works the deadline
    # out again to check the answer against it: from the same step, so the same deadline.
    forged = {"type": "approve", "reviewer": TIMEOUT_REVIEWER}
    with pytest.raises(ValidationError) as refused:
        graph.invoke(Command(resume={item.id: forged}), config)

    assert is_invalid_resume(refused.value)
    assert len(shown) == 2
    assert f"only accepted from {item.value['expires_at']} on" in str(refused.value)
    assert _where(graph, config) == before


def test_a_request_asked_again_after_another_was_answered_keeps_its_deadline(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    # In `create_agent` each call is its own task: answering one runs the step again, and
    # the other call's tool asks again (a new interrupt write) with the deadline it had.
    outbox = Outbox()
    model = ScriptedChatModel(
        responses=[
            ai_tool_calls(("send_email", ARGS), ("send_email", {**ARGS, "to": "bob@example.com"})),
            "Both done.",
        ]
    )
    agent: Pregel[Any, Any, Any, Any] = create_agent(
        model, tools=[approval_tool(outbox.tool(), timeout=HOUR)], checkpointer=checkpointer
    )
    agent.invoke(USER, config)
    first, second = pending_interrupts(agent, config)
    CLOCK.advance(timedelta(milliseconds=10))

    out = resume(agent, config, {first.id: Approve()})

    assert [i.id for i in out.interrupts] == [second.id]
    (left,) = pending_interrupts(agent, config)
    assert (left.id, left.expires_at, left.value) == (second.id, second.expires_at, second.value)
    assert [m["to"] for m in outbox.sent] == [first.value["args"]["to"]]


# --- Inbox.expire ------------------------------------------------------------------------


def test_expire_before_the_deadline_does_nothing(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool(), timeout=HOUR))
    before = _where(graph, config)

    assert Inbox(graph).expire() == []

    assert _where(graph, config) == before
    assert outbox.sent == []
    assert audit_trail(graph, config) == []


def test_a_sweep_with_a_later_now_takes_no_timeout_decision_early(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    # The approval tool checks its deadline against the clock, not the sweep's `now`: the
    # sweep skips the request instead of failing on it, and no audit record claims a
    # timeout that did not happen.
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool(), timeout=HOUR))
    before = _where(graph, config)

    assert Inbox(graph).expire(now=CLOCK() + 2 * HOUR) == []

    assert _where(graph, config) == before
    assert audit_trail(graph, config) == []


def test_expire_rejects_an_overdue_approval_by_default(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool(), timeout=SHORT))
    (item,) = pending_interrupts(graph, config)
    inbox = Inbox(graph)
    _past(item)

    expired = inbox.expire()

    assert [(i.thread_id, i.id) for i in expired] == [(_thread(config), item.id)]
    assert outbox.sent == []
    message = _tool_message(graph, config)
    assert message.status == "error"
    assert "No reviewer answered before the deadline." in str(message.content)
    assert graph.get_state(config).values["messages"][-1].content == "Done."
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.reviewer, record.source) == (
        "reject",
        TIMEOUT_REVIEWER,
        "timeout",
    )
    assert record.executed_args is None
    assert pending_interrupts(graph, config) == []
    assert inbox.expire() == []


def test_an_approve_on_timeout_runs_the_tool_once(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    guarded = approval_tool(outbox.tool(), timeout=SHORT, on_timeout=Approve())
    graph = _paused(checkpointer, config, guarded)
    (item,) = pending_interrupts(graph, config)
    assert item.value["on_timeout"] == {"type": "approve", "reviewer": TIMEOUT_REVIEWER}
    inbox = Inbox(graph)
    _past(item)

    assert [i.id for i in inbox.expire()] == [item.id]
    assert inbox.expire() == []

    assert outbox.sent == [ARGS]
    assert _tool_message(graph, config).status == "success"
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.source, record.executed_args) == ("approve", "timeout", ARGS)


@pytest.mark.parametrize(
    ("on_timeout", "sent", "content"),
    [
        (
            Edit(edited_action=EditedAction(name="send_email", args={**ARGS, "subject": "Late"})),
            [{**ARGS, "subject": "Late"}],
            "Sent 'Late' to ada@example.com.",
        ),
        (Respond(message="Held back: nobody approved it."), [], "Held back: nobody approved it."),
    ],
    ids=["edit", "respond"],
)
def test_any_allowed_decision_can_be_the_timeout_decision(
    checkpointer: BaseCheckpointSaver[Any],
    config: RunnableConfig,
    on_timeout: Edit | Respond,
    sent: list[dict[str, str]],
    content: str,
) -> None:
    outbox = Outbox()
    graph = _paused(
        checkpointer, config, approval_tool(outbox.tool(), timeout=SHORT, on_timeout=on_timeout)
    )
    (item,) = pending_interrupts(graph, config)
    _past(item)

    assert len(Inbox(graph).expire()) == 1

    assert outbox.sent == sent
    assert content in str(_tool_message(graph, config).content)
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.source) == (on_timeout.type, "timeout")


def test_expire_gives_human_assistance_its_default_reply(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, human_assistance_tool(timeout=SHORT))
    (item,) = pending_interrupts(graph, config)
    _past(item)

    assert [i.id for i in Inbox(graph).expire()] == [item.id]

    assert _tool_message(graph, config).content == DEFAULT_REPLY["data"]
    assert pending_interrupts(graph, config) == []


def test_a_custom_models_on_timeout_becomes_the_tool_result(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    replies: list[Verdict] = []

    def on_reply(reply: Verdict, tool_call_id: str) -> str:
        replies.append(reply)
        return f"approved={reply.approved}: {reply.note}"

    late = Verdict(approved=False, note="nobody looked in time")
    guarded = human_assistance_tool(
        response_model=Verdict, on_reply=on_reply, timeout=SHORT, on_timeout=late
    )
    graph = _paused(checkpointer, config, guarded)
    (item,) = pending_interrupts(graph, config)
    assert item.value["on_timeout"] == {"approved": False, "note": "nobody looked in time"}
    _past(item)

    assert len(Inbox(graph).expire()) == 1

    assert replies == [late]
    assert _tool_message(graph, config).content == "approved=False: nobody looked in time"


def test_the_system_decides_at_expiry_where_reviewers_restrict_who_may(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    guarded = approval_tool(outbox.tool(), reviewers={"alice"}, timeout=SHORT)
    graph = _paused(checkpointer, config, guarded)
    (item,) = pending_interrupts(graph, config)
    # The reviewers shown are the humans; the system's name is not one of them.
    assert item.value["reviewers"] == ["alice"]
    inbox = Inbox(graph)
    _past(item)

    with pytest.raises(RequestExpiredError):
        inbox.resume(_thread(config), Approve(reviewer="alice"))
    assert len(inbox.expire()) == 1

    assert outbox.sent == []
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.reviewer, record.source) == (
        "reject",
        TIMEOUT_REVIEWER,
        "timeout",
    )


# --- Answers after the deadline ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["approval", "human"])
def test_a_late_human_answer_is_refused_and_nothing_changes(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, kind: str
) -> None:
    outbox = Outbox()
    if kind == "approval":
        guarded = approval_tool(outbox.tool(), timeout=SHORT)
        answer: object = Approve(reviewer="alice")
    else:
        guarded = human_assistance_tool(timeout=SHORT)
        answer = {"data": "Ship it."}
    graph = _paused(checkpointer, config, guarded)
    (item,) = pending_interrupts(graph, config)
    before = _where(graph, config)
    inbox = Inbox(graph)
    _past(item)

    with pytest.raises(RequestExpiredError, match=r"expired at .*on_timeout.*Nothing was sent"):
        resume(graph, config, answer)
    with pytest.raises(RequestExpiredError, match="Nothing was sent"):
        resume(graph, config, {item.id: answer})
    with pytest.raises(RequestExpiredError, match=r"Inbox\.expire"):
        inbox.resume(_thread(config), answer)

    assert _where(graph, config) == before
    assert outbox.sent == []
    # The request is intact: the sweep still answers it.
    assert len(inbox.expire()) == 1


@pytest.mark.parametrize("kind", ["approval", "human"])
def test_a_raw_late_command_is_refused_by_the_graph(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, kind: str
) -> None:
    outbox = Outbox()
    if kind == "approval":
        guarded = approval_tool(outbox.tool(), timeout=SHORT)
        answer: object = {"type": "approve", "reviewer": "alice"}
    else:
        guarded = human_assistance_tool(timeout=SHORT)
        answer = {"data": "Ship it."}
    graph = _paused(checkpointer, config, guarded)
    (item,) = pending_interrupts(graph, config)
    before = _where(graph, config)
    _past(item)

    with pytest.raises(ValidationError, match="expired at") as refused:
        graph.invoke(Command(resume={item.id: answer}), config)

    assert is_invalid_resume(refused.value)
    assert _where(graph, config) == before
    assert outbox.sent == []


def test_a_deadline_that_passes_while_an_answer_is_sent_is_still_an_expired_request(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    # The answer passed the client's check in time, then reached the graph too late: the
    # graph refuses it, and `resume()` reports that as the deadline, not as a bad answer.
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool(), timeout=SHORT))
    wait = read_wait(graph, config)
    command = resume_command(graph, config, Approve())
    before = _where(graph, config)
    _past(wait.pending[0])

    with pytest.raises(RequestExpiredError, match="refused the answer: the request expired"):
        send(graph, config, wait, command)

    assert _where(graph, config) == before
    assert outbox.sent == []


def test_the_exact_timeout_decision_may_still_be_sent_with_resume(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    # What the sweep sends is accepted from anyone after the deadline: it is the outcome
    # the request published, and it is recorded as the timeout it is.
    outbox = Outbox()
    graph = _paused(checkpointer, config, approval_tool(outbox.tool(), timeout=SHORT))
    (item,) = pending_interrupts(graph, config)
    _past(item)

    resume(graph, config, item.value["on_timeout"])

    (record,) = audit_trail(graph, config)
    assert (record.decision, record.source) == ("reject", "timeout")


# --- Answers before the deadline -----------------------------------------------------------


def test_a_forged_early_timeout_decision_is_refused(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    guarded = approval_tool(outbox.tool(), timeout=HOUR, on_timeout=Approve())
    graph = _paused(checkpointer, config, guarded)
    (item,) = pending_interrupts(graph, config)
    before = _where(graph, config)
    forged = item.value["on_timeout"]

    with pytest.raises(ValidationError, match="only accepted from") as refused:
        graph.invoke(Command(resume={item.id: forged}), config)
    assert is_invalid_resume(refused.value)
    with pytest.raises(TimeoutTooEarlyError, match="Nothing was sent") as early:
        resume(graph, config, forged)
    assert isinstance(early.value, InvalidResumeError)
    assert early.value.interrupt_id == item.id
    with pytest.raises(TimeoutTooEarlyError):
        Inbox(graph).resume(_thread(config), Approve(reviewer=TIMEOUT_REVIEWER))

    assert _where(graph, config) == before
    assert outbox.sent == []
    assert audit_trail(graph, config) == []


@pytest.mark.parametrize("how", ["resume", "inbox"])
def test_a_human_answer_before_the_deadline_works(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, how: str
) -> None:
    outbox = Outbox()
    guarded = approval_tool(outbox.tool(), reviewers={"alice"}, timeout=HOUR)
    graph = _paused(checkpointer, config, guarded)

    if how == "resume":
        out = resume(graph, config, Approve(reviewer="alice"))
    else:
        out = Inbox(graph).resume(_thread(config), Approve(reviewer="alice"))

    assert out.value["messages"][-1].content == "Done."
    assert outbox.sent == [ARGS]
    (record,) = audit_trail(graph, config)
    assert (record.reviewer, record.source) == ("alice", "human")


def test_a_human_reply_before_the_deadline_works(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = _paused(checkpointer, config, human_assistance_tool(timeout=HOUR))

    resume(graph, config, {"data": "Ship it."})

    assert _tool_message(graph, config).content == "Ship it."


def test_the_timeout_reviewer_name_on_a_tool_without_a_deadline_is_no_timeout(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    # Without a deadline the name is just a declared one: the record says a human decided.
    graph = _paused(checkpointer, config, approval_tool(Outbox().tool()))

    resume(graph, config, Reject(reviewer=TIMEOUT_REVIEWER))

    (record,) = audit_trail(graph, config)
    assert (record.reviewer, record.source) == (TIMEOUT_REVIEWER, "human")


# --- Async twins ---------------------------------------------------------------------------


async def test_async_expire_and_late_answers(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    outbox = Outbox()
    guarded = approval_tool(outbox.tool(), timeout=SHORT, on_timeout=Approve())
    graph = await _apaused(async_checkpointer, config, guarded)
    (item,) = await apending_interrupts(graph, config)
    inbox = Inbox(graph)
    assert await inbox.aexpire() == []
    await _apast(item)

    with pytest.raises(RequestExpiredError):
        await aresume(graph, config, Approve(reviewer="alice"))
    with pytest.raises(RequestExpiredError):
        await inbox.aresume(_thread(config), Approve(reviewer="alice"))
    with pytest.raises(ValidationError, match="expired at"):
        await graph.ainvoke(Command(resume={item.id: {"type": "approve"}}), config)
    assert outbox.sent == []
    assert [i.id for i in await apending_interrupts(graph, config)] == [item.id]

    assert [i.id for i in await inbox.aexpire()] == [item.id]
    assert await inbox.aexpire() == []

    assert outbox.sent == [ARGS]
    (record,) = await aaudit_trail(graph, config)
    assert (record.decision, record.reviewer, record.source) == (
        "approve",
        TIMEOUT_REVIEWER,
        "timeout",
    )


async def test_async_early_answers(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    graph = await _apaused(async_checkpointer, config, human_assistance_tool(timeout=HOUR))
    inbox = Inbox(graph)

    assert await inbox.aexpire() == []
    await aresume(graph, config, {"data": "In time."})

    state = await graph.aget_state(config)
    assert state.values["messages"][-1].content == "Done."
    tool_messages = [m for m in state.values["messages"] if isinstance(m, ToolMessage)]
    assert [m.content for m in tool_messages] == ["In time."]


# --- Bad options, refused when the tool is made ----------------------------------------------


@pytest.mark.parametrize("timeout", [timedelta(0), timedelta(seconds=-1), 60])
def test_a_timeout_must_be_a_positive_timedelta(timeout: Any) -> None:
    with pytest.raises(ValueError, match=r"timeout must be a positive datetime\.timedelta"):
        approval_tool(Outbox().tool(), timeout=timeout)
    with pytest.raises(ValueError, match=r"timeout must be a positive datetime\.timedelta"):
        human_assistance_tool(timeout=timeout)


def test_on_timeout_needs_a_timeout() -> None:
    with pytest.raises(ValueError, match="on_timeout needs a timeout"):
        approval_tool(Outbox().tool(), on_timeout=Approve())
    with pytest.raises(ValueError, match="on_timeout needs a timeout"):
        human_assistance_tool(on_timeout=HumanReply(data="Nobody answered."))


def test_the_timeout_decision_must_be_an_allowed_decision() -> None:
    with pytest.raises(ValueError, match=r"allowed decisions \['approve', 'reject'\]"):
        approval_tool(
            Outbox().tool(),
            allowed_decisions=["approve", "reject"],
            timeout=HOUR,
            on_timeout=Respond(message="Nobody answered."),
        )
    # The default timeout decision is a rejection: without it, say which to give.
    with pytest.raises(ValueError, match="has no 'reject': pass on_timeout="):
        approval_tool(Outbox().tool(), allowed_decisions=["approve"], timeout=HOUR)


@pytest.mark.parametrize(
    ("on_timeout", "problem"),
    [
        (Edit(edited_action=EditedAction(name="delete_all", args=ARGS)), "send_email"),
        (Edit(edited_action=EditedAction(name="send_email", args={"to": "ada"})), "subject"),
        ({"type": "reject", "why": "late"}, "why"),
    ],
    ids=["edit-switches-tools", "edit-with-bad-args", "unknown-field"],
)
def test_the_timeout_decision_must_fit_the_tool(on_timeout: Any, problem: str) -> None:
    # Found now rather than at expiry, where every sweep would fail on it.
    with pytest.raises(ValueError, match=rf"not a decision tool 'send_email' accepts: .*{problem}"):
        approval_tool(Outbox().tool(), timeout=HOUR, on_timeout=on_timeout)


def test_a_custom_response_model_with_a_timeout_needs_on_timeout() -> None:
    with pytest.raises(ValueError, match="response_model=Verdict needs on_timeout="):
        human_assistance_tool(response_model=Verdict, timeout=HOUR)


def test_on_timeout_must_fit_the_response_model() -> None:
    with pytest.raises(ValueError, match=r"not a valid Verdict answer: approved: Field required"):
        human_assistance_tool(  # type: ignore[call-overload]
            response_model=Verdict, timeout=HOUR, on_timeout={"note": "late"}
        )
