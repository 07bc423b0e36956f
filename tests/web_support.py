"""A small agent for the web reviewer's tests: real approval and human-assistance tools.

The scripted model replays its answers in order across all threads of the graph, so a
test starts its threads first (each takes one tool call) and then answers them (each
answer takes one closing message).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from langgraph_hitl import (
    approval_tool,
    build_hitl_graph,
    human_assistance_tool,
    pending_interrupts,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from langgraph_hitl import PendingInterrupt

Graph = CompiledStateGraph[Any, Any, Any, Any]

CLOSING = "All done."


class PayInvoice(BaseModel):
    """Pay an invoice."""

    invoice_id: str = Field(description="The invoice's number.")
    amount: float = Field(gt=0, le=10_000, description="In euros.")


class Choice(BaseModel):
    """A structured answer with every kind of field the form knows."""

    color: Literal["red", "green"]
    count: int = Field(ge=1)
    urgent: bool = False
    note: str | None = None


@dataclass
class Ledger:
    """The tools' real side effects, and a gate to hold a payment while it runs."""

    paid: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)
    hold: threading.Event | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tools(self) -> list[BaseTool]:
        """`pay_invoice` (any decision), `delete_file` (alice only), and two human tools."""

        def pay_invoice(invoice_id: str, amount: float) -> str:
            self.entered.set()
            if self.hold is not None:
                assert self.hold.wait(20), "the test never released the payment"
            with self.lock:
                self.paid.append({"invoice_id": invoice_id, "amount": amount})
            return f"Paid {amount:.2f} EUR for {invoice_id}."

        def delete_file(path: str) -> str:
            """Delete a file."""
            self.deleted.append(path)
            return f"Deleted {path}."

        pay = StructuredTool.from_function(
            pay_invoice, args_schema=PayInvoice, description="Pay an invoice."
        )
        return [
            approval_tool(pay, description=lambda a: f"Pay invoice {a.get('invoice_id')}?"),
            approval_tool(
                delete_file, allowed_decisions=("approve", "reject"), reviewers={"alice"}
            ),
            human_assistance_tool(),
            human_assistance_tool(
                name="pick", description="Ask for a choice.", response_model=Choice
            ),
        ]


def pay(invoice_id: str = "INV-1", amount: float = 120.0) -> AIMessage:
    """The model asks to pay an invoice."""
    return ai_tool_calls(("pay_invoice", {"invoice_id": invoice_id, "amount": amount}))


def delete(path: str = "/tmp/report.txt") -> AIMessage:
    """The model asks to delete a file."""
    return ai_tool_calls(("delete_file", {"path": path}))


def ask(query: str = "Which region?") -> AIMessage:
    """The model asks a human a question."""
    return ai_tool_calls(("human_assistance", {"query": query}))


def pick(query: str = "Pick a colour.") -> AIMessage:
    """The model asks a human for a structured choice."""
    return ai_tool_calls(("pick", {"query": query}))


def agent(
    checkpointer: BaseCheckpointSaver[Any],
    calls: Sequence[AIMessage],
    *,
    ledger: Ledger,
    closings: int = 6,
) -> Graph:
    """The agent: its model makes `calls` (one per thread started), then closes."""
    model = ScriptedChatModel(responses=[*calls, *([CLOSING] * closings)])
    return build_hitl_graph(model, ledger.tools()).compile(checkpointer=checkpointer)


def config(thread_id: str) -> RunnableConfig:
    """The config of a thread."""
    return {"configurable": {"thread_id": thread_id}}


def start(graph: Graph, thread_id: str, text: str = "Please do it.") -> PendingInterrupt:
    """Run a thread until it pauses; return what it waits for."""
    graph.invoke({"messages": [HumanMessage(content=text)]}, config(thread_id))
    (item,) = pending_interrupts(graph, config(thread_id))
    return item


async def astart(graph: Graph, thread_id: str, text: str = "Please do it.") -> None:
    """Async twin of `start` (for async checkpointers)."""
    await graph.ainvoke({"messages": [HumanMessage(content=text)]}, config(thread_id))
