"""`approval_tool(quorum=N)`: the call runs only after N distinct reviewers approved it.

Each vote is one answer (through `resume`, `Inbox.resume`, a raw `Command`, the CLI), on
every checkpointer; the request shows the votes so far; a repeat vote is refused with the
thread left as it was; the audit record lists every vote with the time it was given.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import forked
import pytest
from graphs.gated import paused, where
from graphs.mail import OUTBOX_ENV, ask
from graphs.policies import PAYMENTS, cli, pause_payment, vote
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import is_invalid_resume
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command
from pydantic import ValidationError

from langgraph_hitl import (
    Approve,
    Edit,
    EditedAction,
    HITLInput,
    Inbox,
    InvalidResumeError,
    NoPendingInterruptError,
    Reject,
    Respond,
    aaudit_trail,
    apending_interrupts,
    approval_tool,
    aresume,
    audit_trail,
    build_hitl_graph,
    open_checkpointer,
    pending_interrupts,
    resume,
)
from langgraph_hitl.core._graphref import load_graph
from langgraph_hitl.testing import FakeClock, ScriptedChatModel, ai_tool_calls, use_clock

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

Graph = CompiledStateGraph[Any, Any, Any, Any]

USER: HITLInput = {"messages": [HumanMessage(content="Pay Ada 5.")]}
ARGS = {"to": "ada", "amount": 5}
TEAM = {"alice", "bob", "carol"}
TESTS = Path(__file__).parent


class Ledger:
    """Every payment the tool body really made."""

    def __init__(self) -> None:
        self.paid: list[dict[str, Any]] = []

    def tool(self) -> BaseTool:
        @tool
        def pay(to: str, amount: int, memo: str = "") -> str:
            """Pay someone."""
            self.paid.append({"to": to, "amount": amount, "memo": memo})
            return f"Paid {amount} to {to}."

        return pay


def _paused(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, gated: BaseTool
) -> Graph:
    return paused(checkpointer, config, gated, user=USER, call=("pay", ARGS))


def _edit(reviewer: str, **args: Any) -> Edit:
    return Edit(reviewer=reviewer, edited_action=EditedAction(name="pay", args=args))


# --- Votes through the helpers ---------------------------------------------------------------


def test_the_call_runs_only_after_two_distinct_approvals(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _paused(checkpointer, config, approval_tool(ledger.tool(), reviewers=TEAM, quorum=2))
    (first,) = pending_interrupts(graph, config)
    assert (first.value["quorum"], first.value["approvals"]) == (2, [])
    assert first.value["reviewers"] == ["alice", "bob", "carol"]

    resume(graph, config, Approve(reviewer="alice"))
    assert ledger.paid == []
    (second,) = pending_interrupts(graph, config)
    assert second.id != first.id  # a new question: the answer to the first cannot be reused
    assert second.value["approvals"] == ["alice"]
    assert second.value["reviewers"] == ["bob", "carol"]
    assert second.value["args"] == ARGS
    assert [v["reviewer"] for v in second.value["votes"]] == ["alice"]

    out = resume(graph, config, Approve(reviewer="carol"))
    assert ledger.paid == [{**ARGS, "memo": ""}]
    assert out.value["messages"][-1].content == "Done."
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.reviewer, record.executed_args) == ("approve", "carol", ARGS)
    assert [(v.reviewer, v.decision, v.args) for v in record.votes] == [
        ("alice", "approve", ARGS),
        ("carol", "approve", ARGS),
    ]


def test_a_repeat_vote_is_refused_and_nothing_is_saved(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _paused(checkpointer, config, approval_tool(ledger.tool(), reviewers=TEAM, quorum=2))
    resume(graph, config, Approve(reviewer="alice"))
    before = where(graph, config)

    with pytest.raises(InvalidResumeError) as refused:
        resume(graph, config, Approve(reviewer="alice"))
    assert refused.value.errors[0].loc == ("reviewer",)
    assert "'alice' is not one of ['bob', 'carol']" in refused.value.errors[0].message
    with pytest.raises(InvalidResumeError):
        Inbox(graph).resume(str(config["configurable"]["thread_id"]), _edit("alice", **ARGS))
    assert where(graph, config) == before

    # A raw Command skips the helpers: the tool itself refuses it, and says why.
    (waiting,) = pending_interrupts(graph, config)
    with pytest.raises(ValidationError) as raw:
        graph.invoke(Command(resume={waiting.id: {"type": "approve", "reviewer": "alice"}}), config)
    assert is_invalid_resume(raw.value)
    assert "reviewer 'alice' already approved these arguments" in str(raw.value)
    assert where(graph, config) == before
    assert ledger.paid == []

    resume(graph, config, Approve(reviewer="bob"))
    assert len(ledger.paid) == 1


def test_one_rejection_decides_at_once(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _paused(checkpointer, config, approval_tool(ledger.tool(), reviewers=TEAM, quorum=3))
    resume(graph, config, Approve(reviewer="alice"))
    resume(graph, config, Reject(reviewer="bob", message="Too much."))
    assert ledger.paid == []
    assert pending_interrupts(graph, config) == []
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.reviewer, record.message) == ("reject", "bob", "Too much.")
    assert [(v.reviewer, v.decision) for v in record.votes] == [
        ("alice", "approve"),
        ("bob", "reject"),
    ]
    assert record.votes[-1].message == "Too much."


def test_a_response_decides_at_once(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _paused(checkpointer, config, approval_tool(ledger.tool(), reviewers=TEAM, quorum=2))
    resume(graph, config, Approve(reviewer="alice"))
    out = resume(graph, config, Respond(reviewer="bob", message="Paid by hand."))
    tool_message = next(m for m in out.value["messages"] if isinstance(m, ToolMessage))
    assert (tool_message.content, tool_message.status) == ("Paid by hand.", "success")
    assert ledger.paid == []


def test_an_edit_is_its_authors_approval_and_discards_the_earlier_ones(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _paused(checkpointer, config, approval_tool(ledger.tool(), reviewers=TEAM, quorum=2))
    edited = {**ARGS, "amount": 4}
    resume(graph, config, Approve(reviewer="alice"))
    resume(graph, config, _edit("bob", **edited))
    (pending,) = pending_interrupts(graph, config)
    # Alice approved other arguments: she may vote again, Bob may not.
    assert pending.value["args"] == edited
    assert pending.value["approvals"] == ["bob"]
    assert pending.value["reviewers"] == ["alice", "carol"]
    assert ledger.paid == []

    resume(graph, config, Approve(reviewer="alice"))
    assert ledger.paid == [{**edited, "memo": ""}]
    (record,) = audit_trail(graph, config)
    # The call ran with arguments the model did not give: an edit, with its notice.
    assert (record.decision, record.executed_args, record.original_args) == ("edit", edited, ARGS)
    assert [(v.reviewer, v.decision, v.args) for v in record.votes] == [
        ("alice", "approve", ARGS),
        ("bob", "edit", edited),
        ("alice", "approve", edited),
    ]
    tool_message = next(
        m for m in graph.get_state(config).values["messages"] if isinstance(m, ToolMessage)
    )
    assert "a human reviewer changed the arguments" in str(tool_message.content)


def test_an_approval_binds_to_the_exact_arguments_it_saw(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _paused(checkpointer, config, approval_tool(ledger.tool(), reviewers=TEAM, quorum=3))
    resume(graph, config, Approve(reviewer="alice"))
    resume(graph, config, _edit("bob", **{**ARGS, "amount": 4}))
    # Carol edits back to the model's arguments: Alice's approval of those counts again.
    resume(graph, config, _edit("carol", **ARGS))
    (pending,) = pending_interrupts(graph, config)
    assert pending.value["approvals"] == ["alice", "carol"]
    resume(graph, config, Approve(reviewer="bob"))
    assert ledger.paid == [{**ARGS, "memo": ""}]
    # It ran with the model's own arguments: recorded as an approval, no edit notice.
    assert audit_trail(graph, config)[0].decision == "approve"


def test_each_vote_keeps_the_time_it_was_given(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    clock = FakeClock()
    with use_clock(clock):
        graph = _paused(
            checkpointer, config, approval_tool(Ledger().tool(), reviewers=TEAM, quorum=3)
        )
        given = []
        for name in ("alice", "bob", "carol"):
            given.append(clock.advance(timedelta(minutes=10)))
            resume(graph, config, Approve(reviewer=name))
    (record,) = audit_trail(graph, config)
    # Re-runs replay the earlier votes: their times come from the request, not the clock.
    assert [v.decided_at for v in record.votes] == given
    assert record.decided_at == given[-1]


def test_the_quorum_needs_named_reviewers_enough_of_them() -> None:
    pay = Ledger().tool()
    with pytest.raises(ValueError, match=r"reviewers=\{\.\.\.\} with at least that many names"):
        approval_tool(pay, quorum=2)
    with pytest.raises(ValueError, match="needs at least 3 reviewers"):
        approval_tool(pay, reviewers={"alice", "bob"}, quorum=3)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="quorum must be a whole number"):
            approval_tool(pay, reviewers=TEAM, quorum=bad)  # type: ignore[arg-type]


async def test_async_votes(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    model = ScriptedChatModel(responses=[ai_tool_calls(("pay", ARGS)), "Done."])
    gated = approval_tool(ledger.tool(), reviewers=TEAM, quorum=2)
    graph = build_hitl_graph(model, [gated]).compile(checkpointer=async_checkpointer)
    await graph.ainvoke(USER, config)
    await aresume(graph, config, Approve(reviewer="bob"))
    (pending,) = await apending_interrupts(graph, config)
    assert pending.value["approvals"] == ["bob"]
    with pytest.raises(InvalidResumeError):
        await aresume(graph, config, Approve(reviewer="bob"))
    await aresume(graph, config, Approve(reviewer="alice"))
    assert len(ledger.paid) == 1
    (record,) = await aaudit_trail(graph, config)
    assert [v.reviewer for v in record.votes] == ["bob", "alice"]


def test_a_quorum_in_create_agent() -> None:
    from langchain.agents import create_agent

    ledger = Ledger()
    model = ScriptedChatModel(responses=[ai_tool_calls(("pay", ARGS)), "Done."])
    agent = create_agent(
        model,
        tools=[approval_tool(ledger.tool(), reviewers=TEAM, quorum=2)],
        checkpointer=InMemorySaver(),
    )
    config: RunnableConfig = {"configurable": {"thread_id": "agent"}}
    agent.invoke({"messages": [HumanMessage(content="Pay Ada 5.")]}, config)
    resume(agent, config, Approve(reviewer="alice"))
    assert ledger.paid == []
    resume(agent, config, Approve(reviewer="bob"))
    assert len(ledger.paid) == 1


# --- A random sequence of votes ----------------------------------------------------------------

NAMES = ["alice", "bob", "carol", "dave"]
votes = st.lists(
    st.tuples(
        st.sampled_from(NAMES),
        st.sampled_from(["approve", "approve", "approve", "edit", "reject"]),
        st.integers(min_value=1, max_value=2),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quorum=st.integers(min_value=1, max_value=3), sequence=votes)
def test_random_votes_never_run_the_tool_before_quorum_and_run_it_at_most_once(
    quorum: int, sequence: list[tuple[str, str, int]]
) -> None:
    ledger = Ledger()
    config: RunnableConfig = {"configurable": {"thread_id": "random"}}
    graph = _paused(
        InMemorySaver(), config, approval_tool(ledger.tool(), reviewers=NAMES[:3], quorum=quorum)
    )
    # The rules, kept by hand: approvals per arguments, and whether it is decided.
    args = dict(ARGS)
    approvals: list[tuple[str, dict[str, Any]]] = []
    decided = False
    for name, kind, amount in sequence:
        current = {r for r, a in approvals if a == args}
        answer: object = (
            Approve(reviewer=name)
            if kind == "approve"
            else Reject(reviewer=name)
            if kind == "reject"
            else _edit(name, **{**ARGS, "amount": amount})
        )
        refused = decided or name not in NAMES[:3] or name in current
        try:
            resume(graph, config, answer)
        except (InvalidResumeError, NoPendingInterruptError):
            assert refused
            continue
        assert not refused
        if kind == "reject":
            decided = True
            assert ledger.paid == []
            continue
        if kind == "edit":
            args = {**ARGS, "amount": amount}
        approvals.append((name, dict(args)))
        decided = len({r for r, a in approvals if a == args}) >= quorum
        assert ledger.paid == ([{**args, "memo": ""}] if decided else [])
    assert len(ledger.paid) <= 1
    if ledger.paid:
        (record,) = audit_trail(graph, config)
        approvers = {v.reviewer for v in record.votes if v.args == record.executed_args}
        assert len(approvers) >= quorum


# --- Across processes: the inbox on SQLite and PostgreSQL, and the CLI --------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or an empty database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "agent.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def _vote_in_a_process(db: str, thread_id: str, answer: object) -> dict[str, Any]:
    context = forked.context()
    results = context.Queue()
    process = context.Process(target=vote, args=(db, PAYMENTS, thread_id, answer, results))
    process.start()
    outcome: dict[str, Any] = results.get(timeout=180)
    process.join(timeout=60)
    return outcome


def test_votes_from_other_processes_through_the_inbox(
    durable_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV, str(outbox))
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    config: RunnableConfig = {"configurable": {"thread_id": "pay-1", "user_id": "carol"}}
    with open_checkpointer(durable_url) as saver:
        load_graph(PAYMENTS, saver).invoke(ask("pay", to="ada", amount=5), config)

    assert _vote_in_a_process(durable_url, "pay-1", {"type": "approve", "reviewer": "alice"}) == {
        "ok": True
    }
    repeat = _vote_in_a_process(durable_url, "pay-1", {"type": "approve", "reviewer": "alice"})
    assert repeat["error"] == "InvalidResumeError", repeat
    own = _vote_in_a_process(durable_url, "pay-1", {"type": "approve", "reviewer": "carol"})
    assert own["error"] == "InvalidResumeError", own
    assert not outbox.exists()

    with open_checkpointer(durable_url) as saver:
        (pending,) = Inbox(load_graph(PAYMENTS, saver)).pending()
        assert (pending.value["approvals"], pending.value["reviewers"]) == (["alice"], ["bob"])
        assert pending.value["requested_by"] == "carol"

    assert _vote_in_a_process(durable_url, "pay-1", {"type": "approve", "reviewer": "bob"}) == {
        "ok": True
    }
    assert [json.loads(line) for line in outbox.read_text().splitlines()] == [
        {"to": "ada", "amount": 5, "memo": ""}
    ]
    with open_checkpointer(durable_url) as saver:
        (record,) = audit_trail(
            load_graph(PAYMENTS, saver), {"configurable": {"thread_id": "pay-1"}}
        )
    assert [v.reviewer for v in record.votes] == ["alice", "bob"]
    assert record.requested_by == "carol"


def test_the_cli_shows_the_approvals_and_takes_one_vote_at_a_time(
    durable_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV, str(outbox))
    pause_payment(durable_url, PAYMENTS, "pay-2")

    listing = cli("inbox", PAYMENTS, "--db", durable_url)
    assert listing.returncode == 0, listing.stderr
    assert "pay (0 of 2 approvals)" in listing.stdout

    first = cli("review", PAYMENTS, "--db", durable_url, "--reviewer", "alice", stdin="a\n")
    assert first.returncode == 0, first.stderr
    assert "reviewers:   alice, bob" in first.stdout
    listing = cli("inbox", PAYMENTS, "--db", durable_url)
    assert "pay (1 of 2 approvals (alice))" in listing.stdout
    assert not outbox.exists()

    second = cli("review", PAYMENTS, "--db", durable_url, "--reviewer", "bob", stdin="a\n")
    assert second.returncode == 0, second.stderr
    assert "approvals:   1 of 2 approvals (alice)" in second.stdout
    assert len(outbox.read_text().splitlines()) == 1


# --- New input while votes are missing -------------------------------------------------------


def test_new_input_keeps_the_votes_given_so_far_in_the_audit(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    """A call closed by the user's new message still lists the approvals it had."""
    ledger = Ledger()
    gated = approval_tool(ledger.tool(), reviewers=TEAM, quorum=2)
    model = ScriptedChatModel(
        responses=[ai_tool_calls(("pay", ARGS)), "Done.", "Fine, I will not pay Ada."]
    )
    graph = build_hitl_graph(model, [gated]).compile(checkpointer=checkpointer)
    clock = FakeClock()
    with use_clock(clock):
        graph.invoke(USER, config)
        resume(graph, config, Approve(reviewer="alice"))
        assert len(pending_interrupts(graph, config)) == 1  # one of two approvals
        clock.advance(timedelta(minutes=5))
        graph.invoke({"messages": [HumanMessage(content="Never mind.")]}, config)

    (record,) = audit_trail(graph, config)
    assert record.source == "superseded"
    assert [(v.reviewer, v.decision, v.args) for v in record.votes] == [("alice", "approve", ARGS)]
    assert record.votes[0].decided_at == clock() - timedelta(minutes=5)
    assert ledger.paid == []
    assert pending_interrupts(graph, config) == []


async def test_new_input_keeps_the_votes_on_async_savers(
    async_checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    gated = approval_tool(ledger.tool(), reviewers=TEAM, quorum=3)
    model = ScriptedChatModel(responses=[ai_tool_calls(("pay", ARGS)), "Done.", "Stopped."])
    graph = build_hitl_graph(model, [gated]).compile(checkpointer=async_checkpointer)
    await graph.ainvoke(USER, config)
    await aresume(graph, config, Approve(reviewer="bob"))
    await aresume(graph, config, Approve(reviewer="carol"))
    await graph.ainvoke({"messages": [HumanMessage(content="Stop.")]}, config)

    (record,) = await aaudit_trail(graph, config)
    assert record.source == "superseded"
    assert [v.reviewer for v in record.votes] == ["bob", "carol"]
    assert ledger.paid == []


def test_a_call_superseded_before_any_vote_lists_none(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    gated = approval_tool(ledger.tool(), reviewers=TEAM, quorum=2)
    model = ScriptedChatModel(responses=[ai_tool_calls(("pay", ARGS)), "Stopped."])
    graph = build_hitl_graph(model, [gated]).compile(checkpointer=checkpointer)
    graph.invoke(USER, config)
    graph.invoke({"messages": [HumanMessage(content="Stop.")]}, config)
    (record,) = audit_trail(graph, config)
    assert record.source == "superseded"
    assert record.votes == ()
