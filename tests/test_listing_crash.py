"""After a kill -9 at any point, the inbox lists exactly what each thread's state says.

A real process writes a random history (threads pause, are answered, are deleted, the
inbox drains its queue a few writes per transaction) and is killed with SIGKILL after a
random number of steps, several times over the same database. After each kill the
listing (pages, `count`, filters) is compared with `pending_interrupts`, thread by thread.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import forked
import pytest
from graphs.mail import make_graph

from langgraph_hitl import open_checkpointer, pending_interrupts
from langgraph_hitl.inbox._inbox import Inbox

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

CHILD = Path(__file__).with_name("listing_child.py")
ROUNDS = 5


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "crash.db")
    found: str = request.getfixturevalue("postgres_url")
    return found


def _run_and_kill(url: str, seed: int, steps: int) -> None:
    child = forked.Popen(
        [sys.executable, str(CHILD), url, str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(CHILD.parent.parent / "src")},
    )
    assert child.stdout is not None
    for _ in range(steps):
        line = child.stdout.readline()
        assert line.startswith("step"), f"the writer died early: {line!r}"
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    child.stdout.close()


def _threads(saver: BaseCheckpointSaver[Any]) -> list[str]:
    return sorted({str(c.config["configurable"]["thread_id"]) for c in saver.list(None)})


def _check(url: str, seed: int) -> int:
    with open_checkpointer(url) as saver:
        graph: Any = make_graph().compile(checkpointer=saver)
        inbox = Inbox(graph)
        exact = sorted(
            (p.thread_id, p.id, p.checkpoint_id, p.version, p.node, p.type)
            for t in _threads(saver)
            for p in pending_interrupts(graph, {"configurable": {"thread_id": t}})
        )
        listed = [
            (p.thread_id, p.id, p.checkpoint_id, p.version, p.node, p.type)
            for p in inbox.iter_pending(page_size=2)
        ]
        assert sorted(listed) == exact, f"seed {seed}"
        assert inbox.count() == len(exact), f"seed {seed}"
        mails = [e for e in exact if e[5] == "tool_approval"]
        assert inbox.count(tool="send_email") == len(mails), f"seed {seed}"
        assert sorted(_key(p) for p in inbox.pending(tool="send_email")) == mails
        return len(exact)


def _key(p: Any) -> tuple[Any, ...]:
    return (p.thread_id, p.id, p.checkpoint_id, p.version, p.node, p.type)


def test_the_listing_survives_kill_9_at_any_point(url: str) -> None:
    rng = random.Random()
    seen = 0
    for _ in range(ROUNDS):
        seed = rng.randrange(10**6)
        _run_and_kill(url, seed, rng.randint(1, 25))
        seen += _check(url, seed)
    assert seen > 0  # the history left requests to compare, not only empty inboxes
