"""A back-office agent whose actions wait for a reviewer in the browser.

    python examples/review_demo.py --db demo.db          # a few paused conversations
    langgraph-hitl serve examples/review_demo.py:graph --db demo.db
    # then open http://127.0.0.1:8765/ and approve, edit, reject or answer them

The agent pays invoices and sends e-mails only with a reviewer's approval, and asks a human
when it does not know something. It runs offline: `ScriptedChatModel` plays the model.
Seeding uses a script of tool calls, one per conversation; the served graph's model only
closes each conversation once its request is answered.
"""

from __future__ import annotations

import argparse
import uuid
from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel, Field

from langgraph_hitl import (
    HITLInput,
    HITLState,
    approval_tool,
    build_hitl_graph,
    human_assistance_tool,
    open_checkpointer,
    pending_interrupts,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.messages import AIMessage
    from langchain_core.runnables import RunnableConfig
    from langgraph.graph import StateGraph

PAID: list[dict[str, Any]] = []
"""Invoices this process paid (a real agent would call a payment API)."""
SENT: list[dict[str, Any]] = []
"""E-mails this process sent."""


class PayInvoice(BaseModel):
    """Pay a supplier's invoice."""

    invoice_id: str = Field(description="The invoice's number, e.g. INV-1042.")
    payee: str = Field(description="Who is paid.")
    amount: float = Field(gt=0, le=10_000, description="In euros; at most 10,000.")


@tool(args_schema=PayInvoice)
def pay_invoice(invoice_id: str, payee: str, amount: float) -> str:
    """Pay a supplier's invoice."""
    PAID.append({"invoice_id": invoice_id, "payee": payee, "amount": amount})
    return f"Paid {amount:.2f} EUR to {payee} for {invoice_id}."


class SendEmail(BaseModel):
    """Send an e-mail."""

    to: str = Field(description="The recipient's address.")
    subject: str
    body: str


@tool(args_schema=SendEmail)
def send_email(to: str, subject: str, body: str) -> str:
    """Send an e-mail."""
    SENT.append({"to": to, "subject": subject, "body": body})
    return f"E-mail {subject!r} sent to {to}."


def tools() -> list[BaseTool]:
    """The agent's tools: two behind a reviewer's approval, and one that asks a human."""
    return [
        approval_tool(
            pay_invoice,
            description=lambda a: (
                f"Pay {a.get('amount')} EUR to {a.get('payee')} for invoice {a.get('invoice_id')}?"
            ),
        ),
        approval_tool(send_email, allowed_decisions=("approve", "edit", "reject")),
        human_assistance_tool(),
    ]


CONVERSATIONS: tuple[tuple[str, AIMessage], ...] = (
    (
        "Please pay ACME's invoice INV-1042 (1,250 EUR).",
        ai_tool_calls(
            ("pay_invoice", {"invoice_id": "INV-1042", "payee": "ACME GmbH", "amount": 1250.0})
        ),
    ),
    (
        "Tell the team that the release slips to Friday.",
        ai_tool_calls(
            (
                "send_email",
                {
                    "to": "team@example.com",
                    "subject": "Release on Friday",
                    "body": "Hi all, the release moves to Friday.",
                },
            )
        ),
    ),
    (
        "Which region should the new database go to?",
        ai_tool_calls(
            (
                "human_assistance",
                {"query": "Which cloud region should the new database be deployed to?"},
            )
        ),
    ),
    (
        "Pay Globex for the March licences, invoice G-77, 480 EUR.",
        ai_tool_calls(("pay_invoice", {"invoice_id": "G-77", "payee": "Globex", "amount": 480.0})),
    ),
)


def build(model: ScriptedChatModel) -> StateGraph[HITLState, None, HITLInput, HITLState]:
    """The agent's graph, uncompiled, with `model` as its model."""
    return build_hitl_graph(model, tools(), system_prompt="You are a careful back-office agent.")


CLOSING = "Done: the reviewer's decision is applied, see the tool's result above."

graph = build(ScriptedChatModel(responses=[CLOSING] * 1000))
"""The served graph: its model closes each conversation once the request is answered."""


def seed(db: str, *, conversations: Sequence[tuple[str, AIMessage]] = CONVERSATIONS) -> list[str]:
    """Start one conversation per entry on the store `db`, each paused for a human.

    Returns the thread ids.
    """
    model = ScriptedChatModel(responses=[call for _, call in conversations])
    threads: list[str] = []
    with open_checkpointer(db) as saver:
        agent = build(model).compile(checkpointer=saver)
        for text, _ in conversations:
            thread_id = f"demo-{uuid.uuid4().hex[:8]}"
            config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
            agent.invoke({"messages": [{"role": "user", "content": text}]}, config)
            if not pending_interrupts(agent, config):
                raise RuntimeError(f"Thread {thread_id} did not pause for a human.")
            threads.append(thread_id)
    return threads


def main(argv: Sequence[str] | None = None) -> int:
    """Seed the demo store and say how to review it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", default="demo.db", help="SQLite path or postgresql:// URL")
    args = parser.parse_args(argv)
    threads = seed(args.db)
    print(f"{len(threads)} conversations wait for a reviewer in {args.db}: {', '.join(threads)}")
    print(f"Review them: langgraph-hitl serve examples/review_demo.py:graph --db {args.db}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
