"""A process that writes a random history into a checkpointer, for the kill -9 test.

`python tests/listing_child.py URL SEED`: forever, one random step at a time (a thread
pauses, a request is answered, a thread is deleted, the inbox lists a page), printing
`step N` after each, until the test kills it with SIGKILL. Drains commit a few queued
writes at a time here, so that a kill lands between two of their transactions too.
"""

from __future__ import annotations

import random
import sys
from typing import TYPE_CHECKING, Any

from graphs.mail import ask, make_graph

import langgraph_hitl.store._listing as listing
from langgraph_hitl import Approve, open_checkpointer, pending_interrupts, resume
from langgraph_hitl.inbox._inbox import Inbox

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def main(url: str, seed: int) -> None:
    listing._DRAIN_BATCH = 3
    rng = random.Random(seed)
    with open_checkpointer(url) as saver:
        graph: Any = make_graph().compile(checkpointer=saver)
        inbox = Inbox(graph)
        threads = [f"s{seed}-{n}" for n in range(12)]
        for step in range(10**9):
            thread = rng.choice(threads)
            waiting = pending_interrupts(graph, _config(thread))
            roll = rng.random()
            if roll < 0.1:
                saver.delete_thread(thread)
            elif roll < 0.3:
                inbox.page(limit=rng.randint(1, 4), tool=rng.choice([None, "send_email"]))
            elif waiting:
                kind = waiting[0].type
                resume(
                    graph, _config(thread), Approve() if kind == "tool_approval" else {"data": "ok"}
                )
            elif rng.random() < 0.5:
                graph.invoke(
                    ask("send_email", to=f"{thread}@example.com", subject="Hi"), _config(thread)
                )
            else:
                graph.invoke(ask("human_assistance", query=f"Help {thread}?"), _config(thread))
            print(f"step {step}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
