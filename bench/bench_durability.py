"""The cost of durability and of the claim, on SQLite and PostgreSQL.

1. The guarded approve cycle against the same cycle written by hand, on the same saver: a
   user turn, the tool call, the pause, `pending_interrupts`, `resume()` (claim, re-check,
   run, release) and the final answer, against the tutorial graph with an approval written
   by hand in the tool, answered with `graph.get_state(config).interrupts` and
   `graph.invoke(Command(resume={id: answer}))`, which takes no claim at all. Target: at
   most 1.10x, on a SQLite file and on PostgreSQL.
2. One cycle answered through `Inbox.resume`, on each store against `InMemorySaver`: what
   writing every checkpoint to a real database adds. An approve cycle (`approval_tool`)
   and a human-assistance cycle (`human_assistance_tool`).

PostgreSQL runs when LANGGRAPH_HITL_TEST_POSTGRES_URL is set (`make bench` starts one).
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
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt

from bench._timing import compare, report
from langgraph_hitl import (
    Approve,
    approval_tool,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
    resume,
)
from langgraph_hitl.graph._checkpointers import open_checkpointer
from langgraph_hitl.inbox._inbox import Inbox
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.pregel import Pregel

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


ARGS = {"to": "ada@example.com", "subject": "Hi"}
APPROVE = {"type": "approve"}


def _approve_script() -> ScriptedChatModel:
    call = ai_tool_calls(("send_email", ARGS))
    script: list[AIMessage | str] = [call, "Done."] * CYCLES
    return ScriptedChatModel(responses=script)


def tutorial_graph(saver: BaseCheckpointSaver[Any]) -> Pregel[Any, Any, Any, Any]:
    """The tutorial graph (ToolNode, tools_condition), the approval written in the tool."""

    @tool("send_email")
    def gated_send_email(to: str, subject: str) -> str:
        """Send an e-mail."""
        decision = interrupt({"type": "tool_approval", "name": "send_email", "args": ARGS})
        if not isinstance(decision, dict) or decision.get("type") not in ("approve", "reject"):
            raise ValueError(f"bad decision {decision!r}")
        if decision["type"] == "reject":
            return "The user rejected this call."
        return f"Sent to {to}."

    tools = [gated_send_email]
    bound = _approve_script().bind_tools(tools)

    def chatbot(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("chatbot", chatbot)
    builder.add_node("tools", ToolNode(tools=tools))
    builder.add_conditional_edges("chatbot", tools_condition)
    builder.add_edge("tools", "chatbot")
    builder.add_edge(START, "chatbot")
    return builder.compile(checkpointer=saver)


def _guarded_against_hand_written(saver: BaseCheckpointSaver[Any]) -> dict[str, Callable[[], None]]:
    hand = tutorial_graph(saver)
    ours = build_hitl_graph(_approve_script(), [approval_tool(send_email)]).compile(
        checkpointer=saver
    )
    threads = (f"vs-{n}-{uuid.uuid4().hex[:6]}" for n in itertools.count())

    def hand_cycle() -> None:
        config: RunnableConfig = {"configurable": {"thread_id": next(threads)}}
        hand.invoke(USER, config)
        (waiting,) = hand.get_state(config).interrupts
        done = hand.invoke(Command(resume={waiting.id: APPROVE}), config)
        assert done["messages"][-1].content == "Done."

    def our_cycle() -> None:
        config: RunnableConfig = {"configurable": {"thread_id": next(threads)}}
        ours.invoke(USER, config)
        (request,) = pending_interrupts(ours, config)
        done = resume(ours, config, {request.id: APPROVE})
        assert done.value["messages"][-1].content == "Done."

    return {"hand-written cycle": hand_cycle, "approval_tool + resume() (claimed)": our_cycle}


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
        durable = {name: saver for name, saver in stores.items() if name != "InMemorySaver"}
        for name, saver in durable.items():
            print(f"  approve cycle on {name}: resume() with its claim vs hand-written:")
            results = compare(_guarded_against_hand_written(saver), rounds=9, per_round=10)
            report(results, baseline="hand-written cycle")
        print("  target: <= 1.10x hand-written on each store")
        for kind in ("approve", "human_assistance"):
            print(f"  {kind} cycle (user turn -> pause -> Inbox.resume -> done):")
            cases = {f"{kind} on {name}": _cycle(saver, kind) for name, saver in stores.items()}
            results = compare(cases, rounds=7, per_round=10, warmup=3)
            report(results, baseline=f"{kind} on InMemorySaver")


if __name__ == "__main__":
    main()
