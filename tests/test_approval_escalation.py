"""`on_timeout=Escalate(...)`: at the deadline `Inbox.expire()` hands the request to other
reviewers with a new deadline; the chain ends with a decision. With a quorum and editable
fields too, through the helpers, a raw `Command`, the CLI and the web reviewer."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from graphs.gated import paused
from graphs.mail import OUTBOX_ENV, ask
from graphs.policies import OVERDUE, PAYMENTS, cli, pause_payment
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, tool
from langgraph.errors import is_invalid_resume
from langgraph.types import Command
from pydantic import ValidationError

from langgraph_hitl import (
    TIMEOUT_REVIEWER,
    Approve,
    Edit,
    EditedAction,
    Escalate,
    HITLInput,
    Inbox,
    InvalidResumeError,
    Reject,
    RequestExpiredError,
    TimeoutTooEarlyError,
    approval_tool,
    audit_trail,
    open_checkpointer,
    pending_interrupts,
    resume,
)
from langgraph_hitl.core._graphref import load_graph
from langgraph_hitl.testing import FakeClock, use_clock

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

USER: HITLInput = {"messages": [HumanMessage(content="Pay Ada 5.")]}
ARGS = {"to": "ada", "amount": 5, "memo": ""}
HOUR = timedelta(hours=1)


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    moving = FakeClock()
    with use_clock(moving):
        yield moving


def _pay(paid: list[dict[str, Any]]) -> BaseTool:
    @tool
    def pay(to: str, amount: int, memo: str = "") -> str:
        """Pay someone."""
        paid.append({"to": to, "amount": amount, "memo": memo})
        return "Paid."

    return pay


def _start(checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, gated: BaseTool) -> Any:
    return paused(checkpointer, config, gated, user=USER, call=("pay", ARGS))


def _past_the_deadline(clock: FakeClock, graph: Any, config: RunnableConfig) -> None:
    """Move the clock to the pending request's deadline (the checkpoint's time is real)."""
    (pending,) = pending_interrupts(graph, config)
    assert pending.expires_at is not None
    clock.advance(max(pending.expires_at - clock(), timedelta(0)))


def _escalating(paid: list[dict[str, Any]], **options: Any) -> BaseTool:
    return approval_tool(
        _pay(paid),
        reviewers={"alice", "bob"},
        timeout=HOUR,
        on_timeout=Escalate(
            reviewers={"cfo"},
            timeout=2 * HOUR,
            on_timeout=Reject(message="Nobody approved it in time."),
        ),
        **options,
    )


def test_the_deadline_hands_the_request_to_the_next_reviewers(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, clock: FakeClock
) -> None:
    paid: list[dict[str, Any]] = []
    graph = _start(checkpointer, config, _escalating(paid))
    inbox = Inbox(graph)
    (first,) = inbox.pending()
    assert first.expires_at is not None
    assert first.value["on_timeout"] == {
        "type": "escalate",
        "reviewer": TIMEOUT_REVIEWER,
        "at": first.expires_at.isoformat(),
    }
    assert inbox.expire() == []

    _past_the_deadline(clock, graph, config)
    (expired,) = inbox.expire()
    assert expired.id == first.id
    (second,) = inbox.pending()
    assert second.value["reviewers"] == ["cfo"]
    # The new deadline counts from the old one: the same on every re-run of the tool.
    assert second.expires_at == first.expires_at + 2 * HOUR
    assert second.value["on_timeout"]["type"] == "reject"
    assert [e["reviewers"] for e in second.value["escalations"]] == [["cfo"]]
    assert paid == []

    # Alice was a reviewer before the escalation; now only the CFO decides.
    with pytest.raises(InvalidResumeError):
        resume(graph, config, Approve(reviewer="alice"))
    resume(graph, config, Approve(reviewer="cfo"))
    assert paid == [ARGS]
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.reviewer, record.source) == ("approve", "cfo", "human")
    (escalation,) = record.escalations
    assert escalation.reviewers == ("cfo",)
    assert escalation.expires_at == second.expires_at


def test_the_chain_ends_with_a_decision(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, clock: FakeClock
) -> None:
    paid: list[dict[str, Any]] = []
    graph = _start(checkpointer, config, _escalating(paid))
    inbox = Inbox(graph)
    _past_the_deadline(clock, graph, config)
    assert len(inbox.expire()) == 1
    _past_the_deadline(clock, graph, config)
    assert len(inbox.expire()) == 1
    assert inbox.pending() == []
    assert paid == []
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.source, record.message) == (
        "reject",
        "timeout",
        "Nobody approved it in time.",
    )
    assert len(record.escalations) == 1
    assert [(v.reviewer, v.source) for v in record.votes] == [(TIMEOUT_REVIEWER, "timeout")]


def test_only_the_system_escalates_and_only_from_the_deadline_on(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, clock: FakeClock
) -> None:
    graph = _start(checkpointer, config, _escalating([]))
    (pending,) = pending_interrupts(graph, config)
    escalate = pending.value["on_timeout"]
    with pytest.raises(TimeoutTooEarlyError):
        resume(graph, config, escalate)
    with pytest.raises(ValidationError) as raw:
        graph.invoke(Command(resume={pending.id: escalate}), config)
    assert is_invalid_resume(raw.value)
    forged = {**escalate, "reviewer": "alice"}
    with pytest.raises(InvalidResumeError):
        resume(graph, config, forged)
    assert [p.id for p in pending_interrupts(graph, config)] == [pending.id]

    _past_the_deadline(clock, graph, config)
    with pytest.raises(RequestExpiredError):
        Inbox(graph).resume(str(config["configurable"]["thread_id"]), Approve(reviewer="bob"))
    assert [p.id for p in pending_interrupts(graph, config)] == [pending.id]


def test_quorum_escalation_and_editable_fields_together(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig, clock: FakeClock
) -> None:
    paid: list[dict[str, Any]] = []
    gated = _escalating(paid, quorum=2, editable={"memo"})
    graph = _start(checkpointer, config, gated)
    resume(graph, config, Approve(reviewer="alice"))
    _past_the_deadline(clock, graph, config)
    assert len(Inbox(graph).expire()) == 1
    (pending,) = pending_interrupts(graph, config)
    # Alice's approval still counts; the CFO gives the second one.
    assert (pending.value["approvals"], pending.value["reviewers"]) == (["alice"], ["cfo"])

    edited = Edit(
        reviewer="cfo", edited_action=EditedAction(name="pay", args={**ARGS, "amount": 9})
    )
    with pytest.raises(InvalidResumeError):
        resume(graph, config, edited)
    # An allowed edit discards Alice's approval: the CFO's alone is not a quorum.
    memo = {**ARGS, "memo": "Q3 invoice"}
    resume(graph, config, Edit(reviewer="cfo", edited_action=EditedAction(name="pay", args=memo)))
    assert paid == []
    (pending,) = pending_interrupts(graph, config)
    assert (pending.value["approvals"], pending.value["reviewers"]) == (["cfo"], [])

    _past_the_deadline(clock, graph, config)
    assert len(Inbox(graph).expire()) == 1
    assert paid == []
    (record,) = audit_trail(graph, config)
    assert (record.decision, record.source) == ("reject", "timeout")
    assert [(v.reviewer, v.decision) for v in record.votes] == [
        ("alice", "approve"),
        ("cfo", "edit"),
        (TIMEOUT_REVIEWER, "reject"),
    ]


def test_an_escalation_is_checked_when_the_tool_is_made() -> None:
    with pytest.raises(ValueError, match="must name one or more reviewers"):
        Escalate(reviewers=set(), timeout=HOUR)
    with pytest.raises(ValueError, match="positive"):
        Escalate(reviewers={"cfo"}, timeout=timedelta(0))
    with pytest.raises(ValueError, match="needs a timeout"):
        approval_tool(_pay([]), on_timeout=Escalate(reviewers={"cfo"}, timeout=HOUR))
    with pytest.raises(ValueError, match="must be one of the allowed decisions"):
        approval_tool(
            _pay([]),
            allowed_decisions=["approve", "reject"],
            timeout=HOUR,
            on_timeout=Escalate(
                reviewers={"cfo"}, timeout=HOUR, on_timeout={"type": "respond", "message": "x"}
            ),
        )


# --- Across processes: the CLI's sweep and review, the web page --------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file, or an empty database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "agent.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_the_cli_sweep_escalates_and_the_new_reviewer_decides(
    durable_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV, str(outbox))
    # Its first deadline is a microsecond after the pause: overdue for any later process.
    config = pause_payment(durable_url, OVERDUE, "late")

    sweep = cli("expire", OVERDUE, "--db", durable_url)
    assert sweep.returncode == 0, sweep.stderr
    assert "1 overdue request answered with on_timeout." in sweep.stdout
    again = cli("expire", OVERDUE, "--db", durable_url)
    assert "0 overdue" in again.stdout or "No overdue" in again.stdout, again.stdout

    with open_checkpointer(durable_url) as saver:
        (pending,) = Inbox(load_graph(OVERDUE, saver)).pending()
    assert pending.value["reviewers"] == ["cfo"]

    # The CFO approves in the terminal: one approval of two, so nothing is paid yet.
    review = cli("review", OVERDUE, "--db", durable_url, "--reviewer", "cfo", stdin="a\n")
    assert review.returncode == 0, review.stderr
    assert "reviewers:   cfo" in review.stdout
    assert not outbox.exists()
    with open_checkpointer(durable_url) as saver:
        overdue = load_graph(OVERDUE, saver)
        (pending,) = Inbox(overdue).pending()
        assert audit_trail(overdue, config) == []  # nothing decided yet
    assert pending.value["approvals"] == ["cfo"]


def test_the_web_reviewer_shows_the_approvals_and_takes_a_vote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient
    from test_web_pages import BASE, answer

    from langgraph_hitl.web import create_app

    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV, str(outbox))
    db = str(tmp_path / "agent.db")
    config: RunnableConfig = {"configurable": {"thread_id": "pay-web", "user_id": "carol"}}
    with open_checkpointer(db) as saver:
        graph = load_graph(PAYMENTS, saver)
        graph.invoke(ask("pay", to="ada", amount=5), config)
        resume(graph, config, Approve(reviewer="alice"))
        with TestClient(create_app(graph), base_url=BASE, follow_redirects=False) as c:
            page = c.get("/")
            assert page.status_code == 200
            assert "1 of 2 approvals (alice)" in page.text
            (pending,) = pending_interrupts(graph, config)
            repeat = answer(c, pending, "approve", {"reviewer": json.dumps("alice")})
            assert repeat.status_code == 422, repeat.text
            assert not outbox.exists()
            second = answer(c, pending, "approve", {"reviewer": json.dumps("bob")})
            assert second.status_code in (200, 303), second.text
        assert len(outbox.read_text().splitlines()) == 1
        (record,) = audit_trail(graph, config)
    assert [v.reviewer for v in record.votes] == ["alice", "bob"]
