"""Concurrent reviewers: real processes answering the same request at the same moment.

Two spawned processes wait at a barrier, then both answer the same pending approval with
different edits, on a SQLite file and on PostgreSQL. Exactly one edit is applied and its
e-mail sent once (a line in the outbox file); the other process gets
`ResumeConflictError` (or `UnknownInterruptError`, when it read the thread after the winner
finished) and nothing of its edit is saved. A reviewer killed (SIGKILL) while answering
blocks the request only until its claim's lease runs out.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from graphs.mail import DELAY_ENV, OUTBOX_ENV, ask
from graphs.worker import hold, opened, race
from langchain_core.messages import ToolMessage

from langgraph_hitl import Approve, Inbox, ResumeConflictError, audit_trail

if TYPE_CHECKING:
    from pathlib import Path

    from langchain_core.runnables import RunnableConfig

THREADS = 4
LOSING_ERRORS = {"ResumeConflictError", "UnknownInterruptError"}


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A durable store: a SQLite file, or an empty database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "agent.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def _edit(to: str, subject: str) -> dict[str, Any]:
    return {
        "type": "edit",
        "edited_action": {"name": "send_email", "args": {"to": to, "subject": subject}},
    }


def _start(db: str, threads: list[str]) -> None:
    with opened(db) as graph:
        for thread in threads:
            graph.invoke(
                ask("send_email", to="ada@example.com", subject="Hi"),
                {"configurable": {"thread_id": thread}},
            )


def test_two_processes_answer_the_same_request_exactly_once(
    durable_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV, str(outbox))
    # The tool takes a moment, so the loser tries while the winner is inside it.
    monkeypatch.setenv(DELAY_ENV, "0.3")
    threads = [f"race-{n}" for n in range(THREADS)]
    _start(durable_url, threads)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results: Any = context.Queue()
    racers = [
        context.Process(
            target=race,
            args=(
                durable_url,
                [(t, _edit(f"{name}@example.com", t)) for t in threads],
                barrier,
                results,
            ),
        )
        for name in ("a", "b")
    ]
    for racer in racers:
        racer.start()
    outcomes = [results.get(timeout=180) for _ in range(2 * THREADS)]
    for racer in racers:
        racer.join(timeout=60)
        assert racer.exitcode == 0

    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    with opened(durable_url) as graph:
        inbox = Inbox(graph)
        assert inbox.pending() == []
        for thread in threads:
            mine = [o for _, t, o in outcomes if t == thread]
            winners = [o for o in mine if o.get("ok")]
            losers = [o for o in mine if not o.get("ok")]
            assert len(winners) == 1, mine
            (loser,) = losers
            assert loser["error"] in LOSING_ERRORS, mine
            # The winner's edit ran once; the loser's left no trace.
            (mail,) = [m for m in sent if m["subject"] == thread]
            winner_pid = next(pid for pid, t, o in outcomes if t == thread and o.get("ok"))
            assert mail["pid"] == winner_pid
            config: RunnableConfig = {"configurable": {"thread_id": thread}}
            messages = graph.get_state(config).values["messages"]
            tool_messages = [m for m in messages if isinstance(m, ToolMessage)]
            assert len(tool_messages) == 1
            assert f"Sent to {mail['to']}." in str(tool_messages[0].content)
            (record,) = audit_trail(graph, config)
            assert record.executed_args == {"to": mail["to"], "subject": thread}
    assert len(sent) == THREADS


def test_a_killed_reviewer_blocks_the_request_no_longer_than_its_lease(
    durable_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv(OUTBOX_ENV, str(outbox))
    started = tmp_path / "started"
    lease = 3.0
    _start(durable_url, ["held"])
    context = multiprocessing.get_context("spawn")
    reviewer = context.Process(
        target=hold, args=(durable_url, "held", {"type": "approve"}, str(started), lease)
    )
    reviewer.start()
    deadline = time.monotonic() + 120
    while not started.exists():
        assert reviewer.is_alive(), "the reviewer process died before it claimed"
        assert time.monotonic() < deadline, "the reviewer never reached the tool"
        time.sleep(0.05)

    reviewer.kill()  # SIGKILL: no cleanup, the claim stays in the database
    reviewer.join(timeout=30)
    killed_at = time.monotonic()

    with opened(durable_url) as graph:
        inbox = Inbox(graph, lease=timedelta(seconds=lease))
        with pytest.raises(ResumeConflictError, match="Another reviewer"):
            inbox.resume("held", Approve())
        while True:
            try:
                inbox.resume("held", Approve())
                break
            except ResumeConflictError:
                assert time.monotonic() - killed_at < lease + 10, "the claim never expired"
                time.sleep(0.1)
        waited = time.monotonic() - killed_at
        assert inbox.pending() == []

    assert 0 < waited <= lease + 10
    assert int(started.read_text()) != os.getpid()  # the killed process reached the tool
    (mail,) = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert mail["pid"] == os.getpid()  # ... but only this one sent the e-mail
