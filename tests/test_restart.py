"""Restarts: a thread paused by one process is listed and answered by another.

Each step is a fresh `python -m graphs.worker ...` process that rebuilds the graph from
`tests/graphs/mail.py`, as a restarted worker of an application would; the database is
a SQLite file or a real PostgreSQL server.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import forked
import pytest
from graphs.mail import OUTBOX_ENV
from graphs.worker import opened

from langgraph_hitl import audit_trail

TESTS = Path(__file__).parent


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A durable store: a SQLite file, or an empty database on the PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "agent.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


def _worker(*args: str, env: dict[str, str]) -> tuple[int, Any]:
    run = forked.run(
        [sys.executable, "-m", "graphs.worker", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=TESTS,
        env={**os.environ, **env, "PYTHONPATH": str(TESTS)},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    *_, last = run.stdout.splitlines()
    return run.returncode, json.loads(last)


def test_a_paused_thread_is_answered_from_another_process(durable_url: str, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.jsonl"
    env = {OUTBOX_ENV: str(outbox)}
    db = ["--db", durable_url]

    _, mail = _worker("start", "--thread", "mail", *db, env=env)
    _, ask = _worker(
        "start", "--thread", "help", "--tool", "human_assistance",
        "--args", '{"query": "Which city?"}', *db, env=env,
    )  # fmt: skip
    _, listed = _worker("pending", *db, env=env)

    assert [(p["thread_id"], p["id"]) for p in listed] == [
        ("mail", mail["interrupts"][0]),
        ("help", ask["interrupts"][0]),
    ]
    assert listed[0]["value"]["args"] == {"to": "ada@example.com", "subject": "Hi"}
    assert not outbox.exists()  # nothing ran while paused

    _, sent = _worker("resume", "--thread", "mail", "--answer", '{"type": "approve"}', *db, env=env)
    _, told = _worker("resume", "--thread", "help", "--answer", '{"data": "Paris"}', *db, env=env)

    assert sent == {"ok": True, "last": "Done: Sent to ada@example.com."}
    assert told == {"ok": True, "last": "Done: Paris"}
    (row,) = [json.loads(line) for line in outbox.read_text().splitlines()]
    assert row["to"] == "ada@example.com"
    assert row["pid"] != os.getpid()
    _, after = _worker("pending", *db, env=env)
    assert after == []
    # A third process (this one) sees the decision in the thread's audit trail.
    with opened(durable_url) as graph:
        (record,) = audit_trail(graph, {"configurable": {"thread_id": "mail"}})
    assert record.decision == "approve"
    assert record.executed_args == {"to": "ada@example.com", "subject": "Hi"}


def test_an_answer_sent_twice_from_two_processes_runs_once(
    durable_url: str, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    env = {OUTBOX_ENV: str(outbox)}
    db = ["--db", durable_url]
    _worker("start", "--thread", "mail", *db, env=env)

    _, first = _worker(
        "resume", "--thread", "mail", "--answer", '{"type": "approve"}', *db, env=env
    )
    _, again = _worker(
        "resume", "--thread", "mail", "--answer", '{"type": "approve"}', *db, env=env
    )

    assert first["ok"] is True
    assert again["error"] == "NoPendingInterruptError"
    assert len(outbox.read_text().splitlines()) == 1
