"""The offline demo: LangGraph's human-assistance tutorial, run with this library.

A scripted model asks for expert help, the graph pauses at the `human_assistance` call,
a human answers in the terminal (or with `--answer`, or on piped stdin), and the
conversation finishes. The thread is stored in a SQLite file, so it survives the process.
"""

from __future__ import annotations

import sys
import uuid
from typing import TYPE_CHECKING, Any, TextIO

from ..answers._resume import resume
from ..core._pending import pending_interrupts
from ..graph._builder import build_hitl_graph
from ..graph._checkpointers import open_checkpointer
from ..testing import ScriptedChatModel, ai_tool_calls
from ..tools._human import human_assistance_tool

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel

__all__ = ["DEFAULT_ANSWER", "USER_MESSAGE", "run_demo"]

USER_MESSAGE = (
    "I need some expert guidance for building an AI agent. Could you request assistance for me?"
)
DEFAULT_ANSWER = (
    "We, the experts are here to help! We'd recommend you check out LangGraph to build your "
    "agent. It's much more reliable and extensible than simple autonomous agents."
)


def demo_model() -> ScriptedChatModel:
    """The scripted model of the demo: one tool call, then a closing answer."""
    return ScriptedChatModel(
        responses=[
            ai_tool_calls(
                ("human_assistance", {"query": "I need expert guidance for building an AI agent."})
            ),
            "Thanks for waiting. The experts have answered: see their advice above. "
            "Is there anything else I can help with?",
        ]
    )


def _print_new(messages: list[BaseMessage], seen: set[str], out: TextIO) -> None:
    for message in messages:
        key = message.id or str(id(message))
        if key not in seen:
            seen.add(key)
            out.write(message.pretty_repr() + "\n")


def _stream(
    graph: Pregel[Any, Any, Any, Any],
    payload: Any,
    config: RunnableConfig,
    seen: set[str],
    out: TextIO,
) -> None:
    for event in graph.stream(payload, config, stream_mode="values"):
        if isinstance(event, dict) and "messages" in event:
            _print_new(event["messages"], seen, out)


def run_demo(
    *,
    db: str,
    answer: str | None = None,
    ask: Callable[[str], str] | None = None,
    out: TextIO = sys.stdout,
) -> str:
    """Run the tutorial conversation once; return the thread id.

    Args:
        db: Where the SQLite checkpointer stores the thread.
        answer: The human's answer; when None, `ask` is called with the model's query.
        ask: How to ask the human (defaults to `input()`).
        out: Where the conversation is printed.
    """
    thread_id = f"demo-{uuid.uuid4().hex[:8]}"
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    with open_checkpointer(db) as saver:
        graph = build_hitl_graph(demo_model(), [human_assistance_tool()]).compile(
            checkpointer=saver
        )
        seen: set[str] = set()
        _stream(graph, {"messages": [{"role": "user", "content": USER_MESSAGE}]}, config, seen, out)
        (request,) = pending_interrupts(graph, config)
        query = str(request.value["query"])
        out.write(
            f"\n--- The agent waits for a human (thread {thread_id}, next node: "
            f"{graph.get_state(config).next}) ---\nQuery: {query}\n"
        )
        if answer is None:
            answer = (ask or input)("Your answer, as the expert: ").strip() or DEFAULT_ANSWER
        out.write(f"Answer sent: {answer}\n\n")
        resume(graph, config, {"data": answer})
        _print_new(graph.get_state(config).values["messages"], seen, out)
    out.write(f"\nThe conversation is stored in {db} (thread {thread_id}).\n")
    return thread_id
