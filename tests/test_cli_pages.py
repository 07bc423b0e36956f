"""`langgraph-hitl inbox --limit N --after CURSOR`: one page, the total, the next cursor.

Run as real processes on a SQLite file, as in `test_cli.py`.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import forked
import pytest
from graphs.mail import ask

from langgraph_hitl import open_checkpointer
from langgraph_hitl.core._graphref import load_graph

MAIL = f"{Path(__file__).parent / 'graphs' / 'mail.py'}:graph"
THREADS = ["t1", "t2", "t3"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return forked.run(
        [sys.executable, "-m", "langgraph_hitl", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        check=False,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "agent.db"
    with open_checkpointer(str(path)) as saver:
        graph: Any = load_graph(MAIL, saver)
        for thread in THREADS:
            graph.invoke(
                ask("send_email", to=f"{thread}@example.com", subject="Hi"),
                {"configurable": {"thread_id": thread}},
            )
    return path


def _threads(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.split()[0] for line in run.stdout.splitlines()[1:] if line.startswith("t")]


def _next(run: subprocess.CompletedProcess[str]) -> list[str]:
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("Next page:")]
    return line.removeprefix("Next page: ").split()


def test_pages_of_the_inbox_with_the_next_cursor(db: Path) -> None:
    first = _cli("inbox", MAIL, "--db", str(db), "--limit", "2")
    assert first.returncode == 0, first.stderr
    assert _threads(first) == THREADS[:2]
    assert "2 of 3 pending requests, oldest first." in first.stdout

    second = _cli("inbox", MAIL, "--db", str(db), *_next(first))

    assert second.returncode == 0, second.stderr
    assert _threads(second) == THREADS[2:]
    assert "1 of 3 pending requests" in second.stdout
    assert "Next page:" not in second.stdout


def test_json_pages_give_the_cursor_on_stderr(db: Path) -> None:
    first = _cli("inbox", MAIL, "--db", str(db), "--limit", "2", "--json")
    cursor = first.stderr.strip().removeprefix("next page: --after ")

    rest = _cli("inbox", MAIL, "--db", str(db), "--limit", "5", "--json", "--after", cursor)

    assert len(first.stdout.splitlines()) == 2
    assert '"thread_id": "t3"' in rest.stdout
    assert rest.stderr == ""


def test_a_bad_cursor_or_after_alone_fails_clearly(db: Path) -> None:
    bad = _cli("inbox", MAIL, "--db", str(db), "--limit", "2", "--after", "nope")
    alone = _cli("inbox", MAIL, "--db", str(db), "--after", "nope")

    assert bad.returncode != 0
    assert "Cursor 'nope' is not an inbox cursor" in bad.stderr
    assert alone.returncode != 0
    assert "--after needs --limit" in alone.stderr


class _Reviewer:
    """`langgraph-hitl review` as a real process, read up to each prompt it prints."""

    def __init__(self, db: Path) -> None:
        self.process = forked.Popen(
            [sys.executable, "-m", "langgraph_hitl", "review", MAIL, "--db", str(db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(os.environ),
        )
        self.out = ""

    def until(self, text: str) -> str:
        """Everything printed up to `text` (waiting for it), from where the last read ended."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        start = len(self.out)
        deadline = time.monotonic() + 120
        while text not in self.out[start:]:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            chunk = os.read(fd, 65536) if ready else b""
            assert chunk, f"the reviewer stopped (or hung) before {text!r}: {self.out[start:]!r}"
            self.out += chunk.decode()
        return self.out[start:]

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        self.process.stdin.flush()


def test_review_counts_on_across_its_passes(db: Path) -> None:
    reviewer = _Reviewer(db)
    try:
        first = reviewer.until("[q]uit? ")
        # Meanwhile a new request comes: after the page the reviewer walks.
        with open_checkpointer(str(db)) as saver:
            graph: Any = load_graph(MAIL, saver)
            graph.invoke(
                ask("send_email", to="t4@example.com", subject="Hi"),
                {"configurable": {"thread_id": "t4"}},
            )
        for _ in THREADS:
            reviewer.type("s")
        reviewer.type("q")
        assert reviewer.process.stdout is not None
        rest = reviewer.out + reviewer.process.stdout.read().decode()
        assert reviewer.process.wait(timeout=120) == 0
    finally:
        if reviewer.process.poll() is None:
            reviewer.process.kill()
            reviewer.process.wait()
        for pipe in (reviewer.process.stdin, reviewer.process.stdout):
            if pipe is not None:
                pipe.close()

    assert "Request 1 of 3" in first
    headers = [line.split(" ─")[0] for line in rest.splitlines() if "── Request" in line]
    # The second pass shows only the new request: the fourth of four, not "1 of 4".
    assert headers == [f"── Request {n} of {m}" for n, m in ((1, 3), (2, 3), (3, 3), (4, 4))]
    assert "thread:      t4" in rest
