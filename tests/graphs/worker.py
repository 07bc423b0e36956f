"""Worker processes for the restart and concurrency tests.

As a command (`python -m graphs.worker start|pending|resume ...`, with `tests/` on the
path) each step runs in a fresh process that rebuilds the graph from `mail.py`, as a
restarted application would; it prints one JSON document. `race` and `hold` are targets
for `multiprocessing` (spawned) processes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langgraph_hitl import Inbox, open_checkpointer, pending_interrupts, resume
from langgraph_hitl.core._graphref import load_graph

from .mail import DELAY_ENV, GATE_ENV, STARTED_ENV, ask

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from multiprocessing.queues import Queue
    from multiprocessing.synchronize import Barrier

    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel

GRAPH = f"{Path(__file__).with_name('mail.py')}:graph"


@contextmanager
def opened(db: str) -> Iterator[Pregel[Any, Any, Any, Any]]:
    """The mail graph, loaded by its GRAPH reference and bound to the database `db`."""
    with open_checkpointer(db) as saver:
        yield load_graph(GRAPH, saver)


def _outcome(inbox: Inbox[Any], thread_id: str, answer: object) -> dict[str, Any]:
    try:
        output = inbox.resume(thread_id, answer)
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    messages = output.value["messages"] if isinstance(output.value, dict) else []
    return {"ok": True, "last": str(messages[-1].content) if messages else None}


def race(
    db: str,
    answers: Sequence[tuple[str, object]],
    barrier: Barrier,
    results: Queue[tuple[int, str, dict[str, Any]]],
) -> None:
    """Answer each `(thread_id, answer)` right as the other racers do (after `barrier`)."""
    with opened(db) as graph:
        inbox = Inbox(graph)
        inbox.pending(limit=1)  # set up before the race, as a long-running worker would be
        for thread_id, answer in answers:
            barrier.wait(timeout=600)  # generous: a loaded machine
            results.put((os.getpid(), thread_id, _outcome(inbox, thread_id, answer)))


DUEL_KINDS = ("bare", "by_id", "by_id_version", "inbox")
"""How a duelling process answers: plain `resume()` with a bare answer, keyed by interrupt
id, keyed by id with `expect_version`; or `Inbox.resume` with an edit."""


def _duel_answer(
    graph: Pregel[Any, Any, Any, Any], kind: str, name: str, thread_id: str
) -> Callable[[], Any]:
    """Read the request as a reviewer's page would, before the race; return the answer."""
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    approve = {"type": "approve", "reviewer": name}
    if kind == "bare":
        return lambda: resume(graph, config, approve)
    (seen,) = pending_interrupts(graph, config)
    if kind == "by_id":
        return lambda: resume(graph, config, {seen.id: approve})
    if kind == "by_id_version":
        return lambda: resume(graph, config, {seen.id: approve}, expect_version=seen.version)
    edit = {
        "type": "edit",
        "reviewer": name,
        "edited_action": {
            "name": "send_email",
            "args": {"to": f"{name}@example.com", "subject": thread_id},
        },
    }
    return lambda: Inbox(graph).resume(thread_id, {seen.id: edit})


def duel(
    db: str,
    name: str,
    trials: Sequence[tuple[str, str]],
    gate: str,
    barrier: Barrier,
    results: Queue[tuple[int, str, dict[str, Any]]],
) -> None:
    """Answer each `(thread_id, kind)` right as the other process does (after `barrier`).

    The e-mail tool waits at the gate folder `gate` until the test opens it, so the
    winner of each race is still inside the tool when the loser tries.
    """
    os.environ[GATE_ENV] = gate
    with opened(db) as graph:
        Inbox(graph).pending(limit=1)  # set up before the race, as a long-running worker is
        for thread_id, kind in trials:
            answer = _duel_answer(graph, kind, name, thread_id)
            barrier.wait(timeout=600)  # generous: a loaded machine
            try:
                answer()
                outcome: dict[str, Any] = {"ok": True}
            except Exception as exc:
                outcome = {"error": type(exc).__name__, "message": str(exc)}
            results.put((os.getpid(), thread_id, outcome))


def hold(db: str, thread_id: str, answer: object, started: str, lease: float) -> None:
    """Answer, then stall inside the tool (after writing `started`) until killed."""
    os.environ[STARTED_ENV] = started
    os.environ[DELAY_ENV] = "600"
    with opened(db) as graph:
        Inbox(graph, lease=timedelta(seconds=lease)).resume(thread_id, answer)


def _print(doc: object) -> None:
    print(json.dumps(doc, default=str), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="graphs.worker")
    sub = parser.add_subparsers(dest="step", required=True)
    start = sub.add_parser("start")
    start.add_argument("--thread", required=True)
    start.add_argument("--tool", default="send_email")
    start.add_argument("--args", default='{"to": "ada@example.com", "subject": "Hi"}')
    listing = sub.add_parser("pending")
    listing.add_argument("--tool", default=None)
    answer = sub.add_parser("resume")
    answer.add_argument("--thread", required=True)
    answer.add_argument("--answer", required=True, help="JSON")
    for step in (start, listing, answer):
        step.add_argument("--db", required=True)
    args = parser.parse_args(argv)
    with opened(args.db) as graph:
        if args.step == "start":
            config: RunnableConfig = {"configurable": {"thread_id": args.thread}}
            output = graph.invoke(ask(args.tool, **json.loads(args.args)), config, version="v2")
            _print({"interrupts": [i.id for i in output.interrupts]})
        elif args.step == "pending":
            _print(
                [
                    {
                        "thread_id": p.thread_id,
                        "id": p.id,
                        "type": p.type,
                        "value": p.value,
                        "created_at": p.created_at,
                        "checkpoint_id": p.checkpoint_id,
                    }
                    for p in Inbox(graph).pending(tool=args.tool)
                ]
            )
        else:
            _print(_outcome(Inbox(graph), args.thread, json.loads(args.answer)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
