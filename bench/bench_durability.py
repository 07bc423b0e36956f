"""The cost of durability: one human-in-the-loop cycle on SQLite and PostgreSQL vs memory.

A cycle is a user turn that pauses at a request, then the answer sent through
`Inbox.resume` (claim, checks, run, release) until the thread finishes: an approve cycle
(`approval_tool`) and a human-assistance cycle (`human_assistance_tool`). The same cycle
on `InMemorySaver` is the baseline, so the figures show what writing every checkpoint to
a real database adds. PostgreSQL runs when LANGGRAPH_HITL_TEST_POSTGRES_URL is set
(`make bench` starts one).
"""

from __future__ import annotations

import itertools
import os
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver

from bench._timing import compare, report
from langgraph_hitl import Approve, approval_tool, build_hitl_graph, human_assistance_tool
from langgraph_hitl._checkpointers import open_checkpointer
from langgraph_hitl._inbox import Inbox
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

POSTGRES_ENV = "LANGGRAPH_HITL_TEST_POSTGRES_URL"
CYCLES = 1_000
"""Scripted model turns per store and kind; more than the timing rounds use."""
USER: Any = {"messages": [{"role": "user", "content": "Please mail Ada."}]}


@tool
def send_email(to: str, subject: str) -> str:
    """Send an e-mail."""
    return f"Sent to {to}."


def _cycle(saver: BaseCheckpointSaver[Any], kind: str) -> Callable[[], None]:
    """One approve (or human-assistance) cycle on a new thread, each call."""
    if kind == "approve":
        call = ai_tool_calls(("send_email", {"to": "ada@example.com", "subject": "Hi"}))
        tools = [approval_tool(send_email)]
        answer: object = Approve()
    else:
        call = ai_tool_calls(("human_assistance", {"query": "Which subject?"}))
        tools = [human_assistance_tool()]
        answer = {"data": "Hi"}
    script: list[AIMessage | str] = [call, "Done."] * CYCLES
    graph = build_hitl_graph(ScriptedChatModel(responses=script), tools).compile(checkpointer=saver)
    inbox = Inbox(graph)
    threads = (f"{kind}-{n}-{uuid.uuid4().hex[:6]}" for n in itertools.count())

    def run() -> None:
        thread = next(threads)
        config: RunnableConfig = {"configurable": {"thread_id": thread}}
        graph.invoke(USER, config)
        inbox.resume(thread, answer)

    return run


def _postgres(stack: ExitStack) -> str:
    import psycopg

    admin = os.environ[POSTGRES_ENV]
    base, sep, query = admin.partition("?")
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return f"{base.rsplit('/', 1)[0]}/{name}{sep}{query}"


def main() -> None:
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        stores: dict[str, BaseCheckpointSaver[Any]] = {
            "InMemorySaver": InMemorySaver(),
            "SqliteSaver (file)": stack.enter_context(open_checkpointer(str(Path(tmp) / "b.db"))),
        }
        if os.environ.get(POSTGRES_ENV):
            stores["PostgresSaver"] = stack.enter_context(open_checkpointer(_postgres(stack)))
        else:
            print(f"  PostgresSaver skipped: set {POSTGRES_ENV} (or run `make bench`)")
        for kind in ("approve", "human_assistance"):
            print(f"  {kind} cycle (user turn -> pause -> Inbox.resume -> done):")
            cases = {f"{kind} on {name}": _cycle(saver, kind) for name, saver in stores.items()}
            results = compare(cases, rounds=7, per_round=10, warmup=3)
            report(results, baseline=f"{kind} on InMemorySaver")


if __name__ == "__main__":
    main()
