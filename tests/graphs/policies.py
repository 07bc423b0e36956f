"""A payments agent with no LLM, whose `pay` needs two approvals (the policies of issue 16).

`pay` is gated by `approval_tool(quorum=2, reviewers={"alice", "bob", "carol"},
allow_self_approval=False, editable={"memo"})`; nobody answering within an hour escalates
the request to `cfo` for another hour, then rejects it. `overdue` is the same agent whose
first deadline is a microsecond after the call paused, so it is overdue by the time any
other process looks. Each payment appends one JSON line to the file named by
`LANGGRAPH_HITL_TEST_OUTBOX` (the side effect the tests count).

Used as `GRAPH` on the command line: `tests/graphs/policies.py:payments`.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.tools import tool

from langgraph_hitl import (
    Escalate,
    Inbox,
    Reject,
    approval_tool,
    build_hitl_graph,
    open_checkpointer,
)
from langgraph_hitl.core._graphref import load_graph

from .mail import OUTBOX_ENV, RuleModel, ask

if TYPE_CHECKING:
    import subprocess
    from multiprocessing.queues import Queue

    from langchain_core.runnables import RunnableConfig

REVIEWERS = {"alice", "bob", "carol"}


@tool
def pay(to: str, amount: int, memo: str = "") -> str:
    """Pay someone."""
    outbox = os.environ.get(OUTBOX_ENV)
    if outbox:
        with open(outbox, "a") as file:
            file.write(json.dumps({"to": to, "amount": amount, "memo": memo}) + "\n")
    return f"Paid {amount} to {to}."


def _graph(first: timedelta) -> Any:
    gated = approval_tool(
        pay,
        reviewers=REVIEWERS,
        quorum=2,
        allow_self_approval=False,
        editable={"memo"},
        timeout=first,
        on_timeout=Escalate(
            reviewers={"cfo"},
            timeout=timedelta(hours=1),
            on_timeout=Reject(message="Nobody approved the payment in time."),
        ),
    )
    return build_hitl_graph(RuleModel(), [gated])


payments = _graph(timedelta(hours=1))
overdue = _graph(timedelta(microseconds=1))

PAYMENTS = f"{__file__}:payments"
OVERDUE = f"{__file__}:overdue"


def vote(db: str, graph: str, thread_id: str, answer: object, results: Queue[Any]) -> None:
    """Answer one vote through `Inbox.resume` in this (spawned) process; report the outcome."""
    with open_checkpointer(db) as saver:
        inbox = Inbox(load_graph(graph, saver))
        try:
            inbox.resume(thread_id, answer)
        except Exception as exc:
            results.put({"error": type(exc).__name__, "message": str(exc)})
            return
        results.put({"ok": True})


TESTS = Path(__file__).parents[1]


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `python -m langgraph_hitl *args` in a process of its own, these graphs importable."""
    import forked  # the tests' (this module is also loaded as a graph file, without them)

    return forked.run(
        [sys.executable, "-m", "langgraph_hitl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", "PYTHONPATH": str(TESTS)},
        check=False,
    )


def pause_payment(db: str, graph: str, thread_id: str) -> RunnableConfig:
    """Run `graph` (`PAYMENTS` or `OVERDUE`) on `db` until Carol's payment of 5 to Ada waits."""
    config: RunnableConfig = {"configurable": {"thread_id": thread_id, "user_id": "carol"}}
    with open_checkpointer(db) as saver:
        load_graph(graph, saver).invoke(ask("pay", to="ada", amount=5), config)
    return config
