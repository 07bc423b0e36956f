"""Two (or four) reviewers at once against a real `langgraph dev`: exactly one answer applies.

Each reviewer is a separate, spawned process with its own `Inbox.from_server`; a barrier
releases them together on every request. Whatever the timing, the loser's answer is
refused (`ResumeConflictError`: the server rejected its run, or its run refused the spent
interrupt id; `UnknownInterruptError`: the winner's answer had applied before it looked),
and the tool's side effect happens once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import forked
import pytest
from server_support import Server, ai_message, race, serve, tool_call

from langgraph_hitl import Inbox

if TYPE_CHECKING:
    from collections.abc import Iterator

REVIEWERS = ("alice", "bob", "alice", "bob")
ROUNDS = 6


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("race")) as running:
        yield running


def test_parallel_reviewers_apply_each_request_once(server: Server) -> None:
    threads: dict[str, str] = {}
    rounds: list[tuple[str, str]] = []
    with Inbox.from_server(server.url) as inbox:
        for n in range(ROUNDS):
            call = tool_call("pay_invoice", invoice_id=f"RACE-{n}", amount=float(n + 1))
            thread_id = server.start("approval", ai_message(call))
            (item,) = inbox.pending(thread_id=thread_id)
            threads[thread_id] = f"RACE-{n}"
            rounds.append((thread_id, item.id))

    spawn = forked.context()
    barrier = spawn.Barrier(len(REVIEWERS))
    results = spawn.Queue()
    workers = [
        spawn.Process(target=race, args=(server.url, rounds, name, barrier, results))
        for name in REVIEWERS
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=300) for _ in range(len(REVIEWERS) * ROUNDS)]
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0

    for thread_id, invoice in threads.items():
        mine = sorted(outcome for _, tid, outcome in outcomes if tid == thread_id)
        assert mine.count("applied") == 1, mine
        assert set(mine) - {"applied"} <= {"ResumeConflictError", "UnknownInterruptError"}, mine
        assert len(server.effects(invoice_id=invoice)) == 1
    with Inbox.from_server(server.url) as inbox:
        assert [i for i in inbox.pending() if i.thread_id in threads] == []
