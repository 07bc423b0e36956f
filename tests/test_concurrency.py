"""Concurrent answers: real processes answering the same request at the same moment.

Two spawned processes wait at a barrier, then both answer the same pending approval, on a
SQLite file and on PostgreSQL, through plain `resume()` (a bare answer, an answer keyed by
interrupt id, keyed by id with `expect_version`) and through `Inbox.resume`. The e-mail
tool of the graph waits at a gate the test opens only once it has the loser's outcome, so
every race is the dangerous one: the loser tries while the winner is inside the tool.
Exactly one answer applies and its e-mail is sent once (a line in the outbox file); the
other process gets `ResumeConflictError` (or `UnknownInterruptError`) and nothing of its
answer is saved. A reviewer killed (SIGKILL) while answering blocks the thread until its
claim's lease runs out: the checking process moves its own clock past the lease instead of
waiting for it.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import forked
import pytest
from graphs.mail import OUTBOX_ENV, ask
from graphs.worker import DUEL_KINDS, duel, hold, opened
from langchain_core.messages import ToolMessage

from langgraph_hitl import Approve, Inbox, ResumeConflictError, audit_trail, pending_interrupts
from langgraph_hitl.testing import FakeClock, use_clock

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from langchain_core.runnables import RunnableConfig

TRIALS = 10
"""Races per way of answering, per store."""
LOSING_ERRORS = {"ResumeConflictError", "UnknownInterruptError"}
WAIT = 600.0
"""Seconds to wait for another process (spawning one imports LangChain)."""


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A durable store: a SQLite file, or an empty database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "agent.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def _poll(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    """Wait for another process's work to show, looking every few milliseconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        pause.wait(0.02)


def _config(thread: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread}}


def _start(db: str, threads: list[str]) -> None:
    with opened(db) as graph:
        for thread in threads:
            graph.invoke(ask("send_email", to="ada@example.com", subject=thread), _config(thread))


def test_two_processes_answer_the_same_request_exactly_once(
    durable_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV, str(outbox))
    gate = tmp_path / "gate"
    gate.mkdir()
    trials = [(f"{kind}-{n}", kind) for kind in DUEL_KINDS for n in range(TRIALS)]
    _start(durable_url, [thread for thread, _ in trials])
    context = forked.context()
    barrier = context.Barrier(2)
    results: Any = context.Queue()
    names = ("a", "b")
    racers = [
        context.Process(target=duel, args=(durable_url, name, trials, str(gate), barrier, results))
        for name in names
    ]
    for racer in racers:
        racer.start()
    outcomes: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    def receive(thread: str, count: int) -> None:
        # Outcomes of two processes may arrive out of order: file them by thread.
        while len(outcomes.get(thread, [])) < count:
            pid, where, outcome = results.get(timeout=WAIT)
            outcomes.setdefault(where, []).append((pid, outcome))

    try:
        for thread, _ in trials:
            try:
                # The winner waits at the gate, so the first outcome is the loser's.
                receive(thread, 1)
            except queue.Empty:
                pytest.fail(f"{thread}: neither answer was refused while the other ran")
            (first,) = outcomes[thread]
            assert not first[1].get("ok"), f"{thread}: the winner finished at a closed gate"
            (gate / f"{thread}.open").write_text("")
        for thread, _ in trials:
            receive(thread, 2)
        for racer in racers:
            racer.join(timeout=WAIT)
            assert racer.exitcode == 0
    finally:
        for racer in racers:
            if racer.is_alive():
                racer.kill()

    name_of = {racer.pid: name for racer, name in zip(racers, names, strict=True)}
    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert len(sent) == len(trials)  # one e-mail per request, never two
    with opened(durable_url) as graph:
        assert Inbox(graph).pending() == []
        for thread, kind in trials:
            (winner,) = [pid for pid, o in outcomes[thread] if o.get("ok")]
            (loser,) = [o for _, o in outcomes[thread] if not o.get("ok")]
            assert loser["error"] in LOSING_ERRORS, (kind, loser)
            (mail,) = [m for m in sent if m["subject"] == thread]
            assert mail["pid"] == winner
            config = _config(thread)
            assert pending_interrupts(graph, config) == []
            messages = graph.get_state(config).values["messages"]
            tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
            assert len(tool_messages) == 1
            assert f"Sent to {mail['to']}." in str(tool_messages[0].content)
            # The winner's answer is the one recorded; the loser's left no trace.
            (record,) = audit_trail(graph, config)
            assert record.reviewer == name_of[winner]
            assert record.executed_args == {"to": mail["to"], "subject": thread}
            if kind == "inbox":
                assert mail["to"] == f"{name_of[winner]}@example.com"


def test_a_killed_reviewer_blocks_the_thread_no_longer_than_its_lease(
    durable_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV, str(outbox))
    started = tmp_path / "started"
    lease = 60.0
    _start(durable_url, ["held"])
    context = forked.context()
    reviewer = context.Process(
        target=hold, args=(durable_url, "held", {"type": "approve"}, str(started), lease)
    )
    reviewer.start()
    try:
        _poll(lambda: started.exists() or not reviewer.is_alive(), "the reviewer's tool")
        assert reviewer.is_alive(), "the reviewer process died before it claimed"
    finally:
        reviewer.kill()  # SIGKILL: no cleanup, the claim stays in the database
        reviewer.join(timeout=WAIT)

    clock = FakeClock()
    with opened(durable_url) as graph, use_clock(clock):
        inbox = Inbox(graph, lease=timedelta(seconds=lease))
        with pytest.raises(ResumeConflictError, match="Another reviewer"):
            inbox.resume("held", Approve())
        # Its last renewal was before the kill, so one lease from now it has lapsed.
        clock.advance(timedelta(seconds=lease))
        inbox.resume("held", Approve())
        assert inbox.pending() == []

    assert int(started.read_text()) != os.getpid()  # the killed process reached the tool
    (mail,) = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert mail["pid"] == os.getpid()  # ... but only this one sent the e-mail
