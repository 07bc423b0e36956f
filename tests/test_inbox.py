"""`Inbox`: pending requests across threads, answered with claims, expired at deadlines.

Every test runs on InMemorySaver, SqliteSaver and a real PostgreSQL (`checkpointer`), the
async ones on InMemorySaver, AsyncSqliteSaver and AsyncPostgresSaver. What the inbox lists
is checked against `pending_interrupts`, thread by thread: the fast SQL path must say
exactly what LangGraph's own state says.
"""

from __future__ import annotations

import functools
import operator
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any

import pytest
from graphs.mail import ask, make_graph
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.config import get_config
from langgraph.graph import START, StateGraph
from langgraph.types import Send, interrupt
from node_config import takes_config
from typing_extensions import NotRequired, TypedDict

from langgraph_hitl import (
    Approve,
    CheckpointerRequiredError,
    InvalidResumeError,
    RequestExpiredError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
    approval_tool,
    aresume,
    pending_interrupts,
    resume,
)
from langgraph_hitl.inbox._inbox import Inbox, checkpoint_time
from langgraph_hitl.testing import FakeClock, ScriptedChatModel, ai_tool_calls, use_clock

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.pregel import Pregel

    from langgraph_hitl import PendingInterrupt
    from langgraph_hitl.store._claims import Claims

Graph = Any  # a compiled graph of any state (`Pregel[...]`)


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _new_thread() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"


def _key(p: PendingInterrupt) -> tuple[Any, ...]:
    return (p.thread_id, p.id, p.node, p.path, p.checkpoint_id, p.version, p.type, p.tool_call_id)


def _exact(graph: Graph, threads: list[str]) -> list[tuple[Any, ...]]:
    """What `pending_interrupts` says, thread by thread: the reference."""
    return sorted(_key(p) for t in threads for p in pending_interrupts(graph, _config(t)))


def _listed(inbox: Inbox[Any]) -> list[tuple[Any, ...]]:
    return sorted(_key(p) for p in inbox.pending())


# -- graphs ------------------------------------------------------------------------------


class Log(TypedDict):
    log: Annotated[list[Any], operator.add]


@takes_config
def _ask_twice(state: Log) -> dict[str, Any]:
    first = interrupt({"type": "question", "n": 1})
    second = interrupt({"type": "question", "n": 2})
    return {"log": [first, second]}


@takes_config
def _worker(state: Log) -> dict[str, Any]:
    return {"log": [interrupt({"type": "work", "item": state["log"][0]})]}


def _fan_out(state: Log) -> list[Any]:
    return ["ask", *(Send("worker", {"log": [i]}) for i in range(2))]


def _parallel(checkpointer: BaseCheckpointSaver[Any]) -> Graph:
    """`ask` (two questions in a row) beside two `Send` tasks of `worker`, one step."""
    builder = StateGraph(Log)
    builder.add_node("ask", _ask_twice)
    builder.add_node("worker", _worker)
    builder.add_conditional_edges(START, _fan_out)
    return builder.compile(checkpointer=checkpointer)


def _nested(checkpointer: BaseCheckpointSaver[Any]) -> Graph:
    """`_parallel`, plus a subgraph `sub` whose node `inner` asks (input `{"log": ["deep"]}`)."""

    @takes_config
    def deep(state: Log) -> dict[str, Any]:
        return {"log": [interrupt({"type": "deep"})]}

    inner = StateGraph(Log)
    inner.add_node("inner", deep)
    inner.add_edge(START, "inner")
    outer = StateGraph(Log)
    outer.add_node("ask", _ask_twice)
    outer.add_node("worker", _worker)
    outer.add_node("sub", inner.compile())
    outer.add_conditional_edges(
        START, lambda state: "sub" if state["log"] == ["deep"] else _fan_out(state)
    )
    return outer.compile(checkpointer=checkpointer)


class Deadline(TypedDict):
    timeout: float | None
    answer: str
    broken: NotRequired[bool]
    """Publish an `on_timeout` answer the request's own schema refuses."""


@takes_config
def _ask_with_deadline(state: Deadline) -> dict[str, Any]:
    """A request with a deadline, as the tools will publish it (the lead wires them)."""
    value: dict[str, Any] = {"type": "question", "query": "Proceed?"}
    if state["timeout"] is not None:
        started = checkpoint_time(get_config()["configurable"]["checkpoint_map"][""])
        assert started is not None
        value["expires_at"] = (started + timedelta(seconds=state["timeout"])).isoformat()
        value["on_timeout"] = {"wrong": 1} if state.get("broken") else {"data": "no answer in time"}
    reply = interrupt(value, response_schema=_REPLY_SCHEMA)
    return {"answer": reply["data"]}


_REPLY_SCHEMA = {
    "type": "object",
    "properties": {"data": {"type": "string"}},
    "required": ["data"],
    "additionalProperties": False,
}


def _deadlines(checkpointer: BaseCheckpointSaver[Any]) -> Graph:
    builder = StateGraph(Deadline)
    builder.add_node("ask", _ask_with_deadline)
    builder.add_edge(START, "ask")
    return builder.compile(checkpointer=checkpointer)


class Fragile(TypedDict):
    done: str


def _fragile_node(state: Fragile) -> dict[str, Any]:
    answer = interrupt({"type": "question"})
    if answer == "boom":
        raise RuntimeError("the node cannot use this answer")
    return {"done": answer}


def _fragile(checkpointer: BaseCheckpointSaver[Any]) -> Graph:
    builder = StateGraph(Fragile)
    builder.add_node("ask", _fragile_node)
    builder.add_edge(START, "ask")
    return builder.compile(checkpointer=checkpointer)


def _mail(checkpointer: BaseCheckpointSaver[Any]) -> Graph:
    return make_graph().compile(checkpointer=checkpointer)


def _start_mail(graph: Graph, kinds: list[str]) -> list[str]:
    """Start one thread per kind (`mail` or `help`), in order; each pauses once."""
    threads = []
    for kind in kinds:
        thread = _new_thread()
        if kind == "mail":
            graph.invoke(
                ask("send_email", to=f"{thread}@example.com", subject="Hi"), _config(thread)
            )
        else:
            graph.invoke(ask("human_assistance", query=f"Help {thread}?"), _config(thread))
        threads.append(thread)
    return threads


# -- listing -----------------------------------------------------------------------------


def test_lists_requests_across_threads_oldest_first(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _mail(checkpointer)
    threads = _start_mail(graph, ["mail", "help", "mail"])
    inbox = Inbox(graph)

    items = inbox.pending()

    assert [i.thread_id for i in items] == threads
    assert [i.type for i in items] == ["tool_approval", "human_assistance", "tool_approval"]
    assert _listed(inbox) == _exact(graph, threads)
    created = [i.created_at for i in items]
    assert all(c is not None for c in created)
    assert created == sorted(created)  # type: ignore[type-var]
    for item in items:
        (same,) = pending_interrupts(graph, _config(str(item.thread_id)))
        assert item.value == same.value
        assert item.response_schema == same.response_schema


def test_limit_and_filters(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = _mail(checkpointer)
    threads = _start_mail(graph, ["mail", "help", "mail", "help"])
    inbox = Inbox(graph)

    assert [i.thread_id for i in inbox.pending(limit=2)] == threads[:2]
    assert [i.thread_id for i in inbox.pending(tool="send_email")] == [threads[0], threads[2]]
    assert [i.thread_id for i in inbox.pending(type="human_assistance")] == [
        threads[1],
        threads[3],
    ]
    assert [i.thread_id for i in inbox.pending(thread_id=threads[2])] == [threads[2]]
    assert [i.thread_id for i in inbox.pending(tool="send_email", limit=1)] == [threads[0]]
    assert inbox.pending(tool="delete_everything") == []
    assert inbox.pending(thread_id="no-such-thread") == []


def test_created_at_is_the_checkpoint_time(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = _mail(checkpointer)
    before = datetime.now(timezone.utc)
    (thread,) = _start_mail(graph, ["mail"])
    after = datetime.now(timezone.utc)

    (item,) = Inbox(graph).pending()

    assert item.checkpoint_id is not None
    assert item.created_at == checkpoint_time(item.checkpoint_id)
    assert item.created_at is not None
    assert before <= item.created_at <= after
    snapshot = graph.get_state(_config(thread))
    assert item.checkpoint_id == snapshot.config["configurable"]["checkpoint_id"]
    saved = datetime.fromisoformat(snapshot.created_at)
    assert abs(item.created_at - saved) < timedelta(seconds=1)


def test_answered_requests_leave_the_inbox(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = _mail(checkpointer)
    threads = _start_mail(graph, ["mail", "help", "mail"])
    inbox = Inbox(graph)

    inbox.resume(threads[0], Approve())
    inbox.resume(threads[1], {"data": "Use LangGraph."})

    assert [i.thread_id for i in inbox.pending()] == [threads[2]]
    assert _listed(inbox) == _exact(graph, threads)
    inbox.resume(threads[2], {"type": "reject", "message": "Not now."})
    assert inbox.pending() == []


def test_parallel_interrupts_and_partial_answers(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = _parallel(checkpointer)
    thread = _new_thread()
    graph.invoke({"log": []}, _config(thread))
    inbox = Inbox(graph)

    items = inbox.pending()
    assert sorted(i.node for i in items) == ["ask", "worker", "worker"]
    assert _listed(inbox) == _exact(graph, [thread])

    # One Send task answered: the others still wait, at the same checkpoint.
    worker = next(i for i in items if i.node == "worker")
    inbox.resume(thread, {worker.id: "done"})
    left = inbox.pending()
    assert sorted(i.node for i in left) == ["ask", "worker"]
    assert {i.checkpoint_id for i in left} == {worker.checkpoint_id}
    assert _listed(inbox) == _exact(graph, [thread])

    # The first of two questions in one node answered: its second question is listed.
    first = next(i for i in left if i.node == "ask")
    inbox.resume(thread, {first.id: "yes"})
    asked = [i for i in inbox.pending() if i.node == "ask"]
    assert [i.value for i in asked] == [{"type": "question", "n": 2}]
    assert asked[0].id != first.id
    assert _listed(inbox) == _exact(graph, [thread])

    for item in inbox.pending():
        inbox.resume(thread, {item.id: "last"})
    assert inbox.pending() == []
    assert sorted(map(str, graph.get_state(_config(thread)).values["log"])) == [
        "done",
        "last",
        "last",
        "yes",
    ]


def test_create_agent_send_tasks(checkpointer: BaseCheckpointSaver[Any]) -> None:
    sent: list[str] = []

    @tool
    def send_email(to: str, subject: str) -> str:
        """Send an e-mail."""
        sent.append(to)
        return f"Sent to {to}."

    model = ScriptedChatModel(
        responses=[
            ai_tool_calls(
                ("send_email", {"to": "ada@example.com", "subject": "Hi"}),
                ("send_email", {"to": "bob@example.com", "subject": "Hi"}),
            ),
            "Both done.",
        ]
    )
    agent = create_agent(model, tools=[approval_tool(send_email)], checkpointer=checkpointer)
    thread = _new_thread()
    agent.invoke({"messages": [HumanMessage(content="Mail Ada and Bob.")]}, _config(thread))
    inbox = Inbox(agent)

    items = inbox.pending(tool="send_email")
    assert [i.node for i in items] == ["tools", "tools"]
    assert sorted(i.value["args"]["to"] for i in items) == ["ada@example.com", "bob@example.com"]
    assert _listed(inbox) == _exact(agent, [thread])

    inbox.resume(thread, {items[0].id: Approve()})
    (left,) = inbox.pending()
    assert left.id == items[1].id
    assert _listed(inbox) == _exact(agent, [thread])
    inbox.resume(thread, {left.id: {"type": "reject"}})
    assert inbox.pending() == []
    assert sent == [items[0].value["args"]["to"]]


def test_subgraph_interrupts_are_listed_with_their_path(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    nested = _nested(checkpointer)
    deep = _new_thread()
    nested.invoke({"log": ["deep"]}, _config(deep))
    inbox = Inbox(nested)

    (item,) = inbox.pending()

    assert item.path == ("sub", "inner")
    assert _listed(inbox) == _exact(nested, [deep])
    inbox.resume(deep, "answer")
    assert inbox.pending() == []
    assert nested.get_state(_config(deep)).values["log"][-1] == "answer"


def test_listing_reads_no_thread_state_on_sql_backends(
    checkpointer: BaseCheckpointSaver[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One query lists plain and Send-task requests; only a subgraph's thread is read."""
    import langgraph_hitl.inbox._handlers as handlers_module

    graph = _nested(checkpointer)
    plain = [_new_thread() for _ in range(3)]
    for thread in plain:
        graph.invoke({"log": []}, _config(thread))
    deep = _new_thread()
    graph.invoke({"log": ["deep"]}, _config(deep))
    inbox = Inbox(graph)
    read: list[str] = []
    real = pending_interrupts

    def counting(graph: Pregel[Any, Any, Any, Any], config: RunnableConfig) -> Any:
        read.append(config["configurable"]["thread_id"])
        return real(graph, config)

    monkeypatch.setattr(handlers_module, "pending_interrupts", counting)

    items = inbox.pending()

    assert len(items) == 3 * 3 + 1
    if inbox._listing is not None:
        assert read == [deep]
    else:  # the in-memory saver has no tables to query: every thread is read
        assert sorted(read) == sorted([*plain, deep])


def test_progress_is_reported(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = _mail(checkpointer)
    _start_mail(graph, ["mail", "help"])
    calls: list[tuple[int, int]] = []

    Inbox(graph).pending(on_progress=lambda done, total: calls.append((done, total)))

    assert calls
    assert calls[-1][0] == calls[-1][1]


def test_an_inbox_needs_a_checkpointer_and_a_lease() -> None:
    with pytest.raises(CheckpointerRequiredError):
        Inbox(make_graph().compile())
    with pytest.raises(ValueError, match="lease"):
        Inbox(_mail(_memory()), lease=timedelta(0))


def _memory() -> BaseCheckpointSaver[Any]:
    from langgraph.checkpoint.memory import InMemorySaver

    return InMemorySaver()


# -- answering ---------------------------------------------------------------------------


def test_resume_validates_before_sending(checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = _mail(checkpointer)
    (thread,) = _start_mail(graph, ["mail"])
    inbox = Inbox(graph)
    (item,) = inbox.pending()

    with pytest.raises(InvalidResumeError):
        inbox.resume(thread, {"type": "maybe"})

    (still,) = inbox.pending()
    assert still.version == item.version


def test_resume_refuses_a_stale_or_repeated_answer(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _mail(checkpointer)
    (thread,) = _start_mail(graph, ["mail"])
    inbox = Inbox(graph)
    (item,) = inbox.pending()

    inbox.resume(thread, {item.id: Approve()}, expect_checkpoint=item.checkpoint_id)

    with pytest.raises(UnknownInterruptError):
        inbox.resume(thread, {item.id: Approve()})
    with pytest.raises(ResumeConflictError):
        inbox.resume(thread, Approve(), expect_checkpoint=item.checkpoint_id)


def _claims(inbox: Inbox[Any]) -> Claims:
    """The claim store every answer on the inbox's saver goes through."""
    inbox.pending(limit=1)  # sets the store up
    return inbox._backend.claims


def test_a_claim_held_by_another_reviewer_is_a_conflict(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _mail(checkpointer)
    (thread,) = _start_mail(graph, ["mail"])
    inbox = Inbox(graph)
    (item,) = inbox.pending()
    claims = _claims(inbox)
    assert claims.claim(thread, "someone-else", 60) is not None

    with pytest.raises(ResumeConflictError, match="Another reviewer"):
        inbox.resume(thread, Approve())
    # Plain `resume()` on the same saver goes through the same claims.
    with pytest.raises(ResumeConflictError, match="Another reviewer"):
        resume(graph, _config(thread), {item.id: Approve()})

    (still,) = inbox.pending()
    assert still.version == item.version
    claims.release(thread, "someone-else")
    inbox.resume(thread, Approve())
    assert inbox.pending() == []


def test_a_dead_reviewers_claim_expires_with_its_lease(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _mail(checkpointer)
    (thread,) = _start_mail(graph, ["mail"])
    inbox = Inbox(graph)
    claims = _claims(inbox)
    clock = FakeClock()
    with use_clock(clock):
        assert claims.claim(thread, "dead-reviewer", 30) is not None
        clock.advance(timedelta(seconds=29))
        with pytest.raises(ResumeConflictError):
            inbox.resume(thread, Approve())

        clock.advance(timedelta(seconds=1))  # the lease is over: nobody renewed it
        inbox.resume(thread, Approve())

    assert inbox.pending() == []


def test_claims_are_released_after_success_and_failure(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _fragile(checkpointer)
    thread = _new_thread()
    graph.invoke({"done": ""}, _config(thread))
    inbox = Inbox(graph)
    (item,) = inbox.pending()
    claims = _claims(inbox)

    with pytest.raises(ResumeFailedError):
        inbox.resume(thread, "boom")

    # Taken back: the same request waits again, and nobody holds it.
    (again,) = inbox.pending()
    assert again.id == item.id
    assert claims.holder(thread) is None
    inbox.resume(thread, "fine")
    assert graph.get_state(_config(thread)).values["done"] == "fine"
    assert claims.holder(thread) is None


def _poll(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Wait for `condition` (another thread's work), checking every few milliseconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        threading.Event().wait(0.01)


def _renewed(claims: Claims, thread: str, since: float) -> bool:
    held = claims.holder(thread)
    return held is not None and held.until > since


def test_a_long_answer_keeps_its_claim(checkpointer: BaseCheckpointSaver[Any]) -> None:
    """The claim is renewed while the graph runs, so a slow tool outlives its lease."""
    lease = 30.0
    seen: list[float | None] = []
    inbox: Inbox[Any]
    clock = FakeClock()

    class State(TypedDict):
        done: str

    def slow(state: State) -> dict[str, Any]:
        answer = interrupt({"type": "question"})
        for _ in range(6):  # three leases in all, a half lease at a time
            held = claims.holder(thread)
            assert held is not None
            clock.advance(timedelta(seconds=lease / 2))
            # The heartbeat renews once a third of the lease has passed on the clock.
            _poll(functools.partial(_renewed, claims, thread, held.until), "a renewal")
        seen.append(claims.claim(thread, "intruder", 60))
        return {"done": answer}

    builder = StateGraph(State)
    builder.add_node("ask", slow)
    builder.add_edge(START, "ask")
    graph = builder.compile(checkpointer=checkpointer)
    thread = _new_thread()
    graph.invoke({"done": ""}, _config(thread))
    inbox = Inbox(graph, lease=timedelta(seconds=lease))
    claims = _claims(inbox)

    with use_clock(clock):
        inbox.resume(thread, "yes")

    assert seen == [None]
    assert claims.holder(thread) is None


# -- deadlines ---------------------------------------------------------------------------


def _start_deadlines(graph: Graph, timeouts: list[float | None]) -> list[str]:
    threads = []
    for timeout in timeouts:
        thread = _new_thread()
        graph.invoke({"timeout": timeout, "answer": ""}, _config(thread))
        threads.append(thread)
    return threads


def test_expires_at_is_the_step_time_plus_the_timeout(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _deadlines(checkpointer)
    _start_deadlines(graph, [3600, None])

    timed, untimed = Inbox(graph).pending()

    assert timed.expires_at is not None
    assert timed.created_at is not None
    assert timed.expires_at - timed.created_at == timedelta(seconds=3600)
    assert untimed.expires_at is None


def test_an_expires_at_in_utc_with_a_z_is_read(checkpointer: BaseCheckpointSaver[Any]) -> None:
    """As JavaScript and pydantic write UTC; Python 3.10's `fromisoformat` alone refuses it."""

    def node(state: Log) -> dict[str, Any]:
        return {"log": [interrupt({"type": "question", "expires_at": "2030-01-02T03:04:05.678Z"})]}

    builder = StateGraph(Log).add_node("ask", node).add_edge(START, "ask")
    graph = builder.compile(checkpointer=checkpointer)
    thread = _new_thread()
    graph.invoke({"log": []}, _config(thread))

    expected = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    assert [i.expires_at for i in Inbox(graph).pending()] == [expected]
    assert [p.expires_at for p in pending_interrupts(graph, _config(thread))] == [expected]


def test_expire_applies_on_timeout_to_overdue_requests_only(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _deadlines(checkpointer)
    overdue, later, never = _start_deadlines(graph, [0, 3600, None])
    inbox = Inbox(graph)
    progress: list[tuple[int, int]] = []

    expired = inbox.expire(on_progress=lambda done, total: progress.append((done, total)))

    assert [i.thread_id for i in expired] == [overdue]
    assert progress == [(1, 1)]
    assert graph.get_state(_config(overdue)).values["answer"] == "no answer in time"
    assert [i.thread_id for i in inbox.pending()] == [later, never]

    # With a later `now`, the one-hour request is overdue too; one without a deadline never.
    expired = inbox.expire(now=datetime.now(timezone.utc) + timedelta(hours=2))
    assert [i.thread_id for i in expired] == [later]
    assert [i.thread_id for i in inbox.pending()] == [never]
    assert inbox.expire(now=datetime.now(timezone.utc) + timedelta(days=365)) == []


def test_a_human_answer_after_the_deadline_is_refused(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _deadlines(checkpointer)
    (overdue,) = _start_deadlines(graph, [0])
    inbox = Inbox(graph)

    with pytest.raises(RequestExpiredError, match="expired"):
        inbox.resume(overdue, {"data": "too late"})
    # Even the on_timeout answer itself is the system's to send, not a human's.
    with pytest.raises(RequestExpiredError):
        inbox.resume(overdue, {"data": "no answer in time"})

    (item,) = inbox.pending()
    assert item.thread_id == overdue
    assert graph.get_state(_config(overdue)).values["answer"] == ""


def test_one_bad_timeout_answer_does_not_stop_the_sweep(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _deadlines(checkpointer)
    broken = _new_thread()
    graph.invoke({"timeout": 0, "answer": "", "broken": True}, _config(broken))
    (fine,) = _start_deadlines(graph, [0])
    inbox = Inbox(graph)
    (refused,) = [p for p in inbox.pending() if p.thread_id == broken]

    with pytest.raises(Exception, match="1 of 2 overdue requests") as caught:
        inbox.expire()

    # The sweep finished, then raised every failure together, each naming its request.
    assert type(caught.value).__name__ == "ExceptionGroup"
    assert caught.group_contains(InvalidResumeError)
    assert repr(refused.id) in str(caught.value)
    assert graph.get_state(_config(fine)).values["answer"] == "no answer in time"
    assert [i.thread_id for i in inbox.pending()] == [broken]


def test_expire_raises_every_failure_of_the_sweep(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _deadlines(checkpointer)
    broken = [_new_thread() for _ in range(2)]
    for thread in broken:
        graph.invoke({"timeout": 0, "answer": "", "broken": True}, _config(thread))
    (fine,) = _start_deadlines(graph, [0])
    inbox = Inbox(graph)

    with pytest.raises(Exception, match="2 of 3 overdue requests") as caught:
        inbox.expire()

    errors = getattr(caught.value, "exceptions", ())
    assert [type(e) for e in errors] == [InvalidResumeError, InvalidResumeError]
    assert graph.get_state(_config(fine)).values["answer"] == "no answer in time"
    assert sorted(str(i.thread_id) for i in inbox.pending()) == sorted(broken)


def test_expire_skips_a_request_another_reviewer_holds(
    checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _deadlines(checkpointer)
    (overdue,) = _start_deadlines(graph, [0])
    inbox = Inbox(graph)
    (item,) = inbox.pending()
    assert _claims(inbox).claim(overdue, "reviewer", 60) is not None

    assert inbox.expire() == []

    assert [i.id for i in inbox.pending()] == [item.id]


# -- async twins -------------------------------------------------------------------------


async def test_async_listing_matches_the_exact_reading(
    async_checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _nested(async_checkpointer)
    threads = [_new_thread() for _ in range(3)]
    for thread, log in zip(threads, ([], ["deep"], []), strict=True):
        await graph.ainvoke({"log": log}, _config(thread))
    inbox = Inbox(graph)

    items = await inbox.apending()

    assert len(items) == 3 + 1 + 3
    exact = sorted([_key(p) for t in threads for p in await _apending(graph, t)])
    assert sorted(_key(p) for p in items) == exact
    assert [i.thread_id for i in await inbox.apending(type="deep")] == [threads[1]]
    assert [i.thread_id for i in await inbox.apending(limit=1)] == [threads[0]]
    assert len(await inbox.apending(thread_id=threads[2])) == 3


async def _apending(graph: Graph, thread: str) -> list[PendingInterrupt]:
    from langgraph_hitl import apending_interrupts

    return await apending_interrupts(graph, _config(thread))


async def test_async_resume_with_claims(async_checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = _mail(async_checkpointer)
    thread = _new_thread()
    await graph.ainvoke(ask("send_email", to="ada@example.com", subject="Hi"), _config(thread))
    inbox = Inbox(graph)
    (item,) = await inbox.apending()
    claims = inbox._abackend.claims
    assert await claims.claim(thread, "someone-else", 60) is not None

    with pytest.raises(ResumeConflictError):
        await inbox.aresume(thread, Approve())
    with pytest.raises(ResumeConflictError):
        await aresume(graph, _config(thread), Approve())

    await claims.release(thread, "someone-else")
    clock = FakeClock()
    with use_clock(clock):
        assert await claims.claim(thread, "dead-reviewer", 30) is not None
        clock.advance(timedelta(seconds=30))
        output = await inbox.aresume(thread, Approve())
    assert output.interrupts == ()
    messages = output.value["messages"]
    assert isinstance(messages[-2], ToolMessage)
    assert messages[-2].content == "Sent to ada@example.com."
    assert await inbox.apending() == []
    with pytest.raises(UnknownInterruptError):
        await inbox.aresume(thread, {item.id: Approve()})


async def test_async_expire(async_checkpointer: BaseCheckpointSaver[Any]) -> None:
    graph = _deadlines(async_checkpointer)
    threads = []
    for timeout in (0, None):
        thread = _new_thread()
        await graph.ainvoke({"timeout": timeout, "answer": ""}, _config(thread))
        threads.append(thread)
    inbox = Inbox(graph)
    with pytest.raises(RequestExpiredError):
        await inbox.aresume(threads[0], {"data": "late"})

    expired = await inbox.aexpire()

    assert [i.thread_id for i in expired] == [threads[0]]
    state = await graph.aget_state(_config(threads[0]))
    assert state.values["answer"] == "no answer in time"
    assert [i.thread_id for i in await inbox.apending()] == [threads[1]]


async def test_async_expire_raises_every_failure_after_the_sweep(
    async_checkpointer: BaseCheckpointSaver[Any],
) -> None:
    graph = _deadlines(async_checkpointer)
    broken, fine = _new_thread(), _new_thread()
    await graph.ainvoke({"timeout": 0, "answer": "", "broken": True}, _config(broken))
    await graph.ainvoke({"timeout": 0, "answer": ""}, _config(fine))
    inbox = Inbox(graph)

    with pytest.raises(Exception, match="1 of 2 overdue requests") as caught:
        await inbox.aexpire()

    assert caught.group_contains(InvalidResumeError)
    state = await graph.aget_state(_config(fine))
    assert state.values["answer"] == "no answer in time"
    assert [i.thread_id for i in await inbox.apending()] == [broken]


@pytest.mark.parametrize(
    ("value", "schema"),
    [
        ({"type": "tool_approval", "args": {"to": "ada"}}, {"type": "object"}),
        ("a bare question", None),
        ({"when": datetime(2025, 1, 2, tzinfo=timezone.utc)}, None),  # an object inside
        ({1: "int keys"}, None),
        # A schema that names the field itself, at its end, in a key and in a value.
        ({"q": 1}, {"properties": {"response_schema": {"title": "response_schema"}}}),
        ({"q": 1}, {"title": "response_schema"}),
    ],
)
def test_interrupt_writes_decode_as_the_serializer_decodes_them(
    value: object, schema: dict[str, Any] | None
) -> None:
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
    from langgraph.types import Interrupt

    from langgraph_hitl.store._backends import Decoder

    serde = JsonPlusSerializer()
    saver = _memory()
    written = [Interrupt(value, id="a" * 32, response_schema=schema), Interrupt("b", id="b" * 32)]
    kind, blob = serde.dumps_typed(written)

    decoded = Decoder().loads(saver, kind, blob)

    expected = serde.loads_typed((kind, blob))
    assert [(i.value, i.id, i.response_schema) for i in decoded] == [
        (i.value, i.id, i.response_schema) for i in expected
    ]
