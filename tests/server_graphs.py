"""Graphs the test `langgraph dev` server serves (see `server_support`): library tools only.

Loaded by the server from this file's path, so it imports nothing from `tests`. Every tool
call comes in the run's input (an AI message with tool calls), so no model is needed, and
the tools' side effects are lines appended to the file `$HITL_TEST_LEDGER`, which the tests
read to count what really ran.
"""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from langgraph.types import interrupt
from typing_extensions import TypedDict

from langgraph_hitl import HumanReply, approval_tool, human_assistance_tool

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool
    from langgraph.graph.state import CompiledStateGraph

LEDGER_ENV = "HITL_TEST_LEDGER"
"""The file the tools append their side effects to, one JSON line each."""
GATE_ENV = "HITL_TEST_GATE"
"""A file `held`'s tool waits for before it finishes."""

REVIEWERS = ("alice", "bob")
DEADLINE = timedelta(hours=1)

SURVEY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}},
    "required": ["score"],
    "additionalProperties": False,
}
"""A plain JSON schema (not a pydantic type of this library) for `survey`'s answer."""


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


class SurveyState(TypedDict, total=False):
    score: int


def _record(entry: dict[str, Any]) -> None:
    path = os.environ[LEDGER_ENV]
    # One write per line in append mode: lines from concurrent runs never interleave.
    with open(path, "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(entry) + "\n")


def pay_invoice(invoice_id: str, amount: float) -> str:
    """Pay an invoice."""
    _record({"tool": "pay_invoice", "invoice_id": invoice_id, "amount": amount})
    return f"Paid {amount:.2f} EUR for {invoice_id}."


def hold_payment(invoice_id: str) -> str:
    """Pay an invoice, once the test opens the gate."""
    _record({"tool": "hold_payment", "invoice_id": invoice_id, "state": "entered"})
    gate = Path(os.environ[GATE_ENV])
    deadline = time.monotonic() + 120
    # Polls a condition the test sets; the generous bound only ends a forgotten run.
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return f"Paid {invoice_id}."


def _tools_graph(tools: list[BaseTool]) -> CompiledStateGraph[Any, Any, Any, Any]:
    builder = StateGraph(State)
    builder.add_node("tools", ToolNode(tools))
    builder.add_edge(START, "tools")
    builder.add_edge("tools", END)
    return builder.compile()


def _reply_with_user(reply: HumanReply, tool_call_id: str) -> str:
    # The server puts the authenticated user of the run that resumed into its config.
    user = get_config().get("configurable", {}).get("langgraph_auth_user_id")
    _record({"tool": "whoami", "answer": reply.data, "user": user})
    return f"{reply.data} (answered by {user})"


def _survey(state: SurveyState) -> SurveyState:
    answer = interrupt({"type": "survey", "question": "How was it?"}, response_schema=SURVEY_SCHEMA)
    return {"score": int(answer["score"])}


def _survey_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    builder = StateGraph(SurveyState)
    builder.add_node("ask", _survey)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile()


def _subgraph() -> CompiledStateGraph[Any, Any, Any, Any]:
    builder = StateGraph(State)
    builder.add_node("review", _tools_graph([approval_tool(pay_invoice)]))
    builder.add_edge(START, "review")
    builder.add_edge("review", END)
    return builder.compile()


approval = _tools_graph([approval_tool(pay_invoice, reviewers=set(REVIEWERS), timeout=DEADLINE)])
"""An approval that only alice or bob may decide, with a one-hour deadline."""
expiring = _tools_graph([approval_tool(pay_invoice, timeout=timedelta(milliseconds=1))])
"""An approval whose deadline passes as soon as it is asked (rejected by `expire`)."""
human = _tools_graph([human_assistance_tool()])
whoami = _tools_graph([human_assistance_tool(on_reply=_reply_with_user)])
"""Human assistance whose result names the server's authenticated user of the resume."""
held = _tools_graph([approval_tool(hold_payment)])
"""An approval whose tool, once approved, runs until the test opens the gate file."""
survey = _survey_graph()
subgraph = _subgraph()
"""The approval inside a subgraph node `review` (its interrupt's path is review/tools)."""

GRAPHS = ("approval", "expiring", "held", "human", "whoami", "survey", "subgraph")
