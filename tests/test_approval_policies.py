"""Approval tools under each `on_parallel_tool_calls` policy of `build_hitl_graph`.

Whatever the policy, no call ever runs without its own decision, and none runs twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, tool

from langgraph_hitl import (
    Approve,
    HITLInput,
    HITLState,
    ParallelToolCallsError,
    Reject,
    approval_tool,
    audit_trail,
    build_hitl_graph,
    pending_interrupts,
    resume,
)
from langgraph_hitl.testing import ScriptedChatModel, ai_tool_calls

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

    from langgraph_hitl import ParallelToolCallsPolicy

USER: HITLInput = {"messages": [HumanMessage(content="Pay both invoices, then tell me.")]}


class Ledger:
    """Counts each real payment: a side effect that must happen once per approved call."""

    def __init__(self) -> None:
        self.paid: list[str] = []

    def pay(self) -> BaseTool:
        @tool
        def pay_invoice(invoice: str) -> str:
            """Pay an invoice."""
            self.paid.append(invoice)
            return f"Paid {invoice}."

        return pay_invoice

    def lookup(self) -> BaseTool:
        @tool
        def lookup_invoice(invoice: str) -> str:
            """Look an invoice up (harmless: not gated)."""
            return f"{invoice}: 120 EUR"

        return lookup_invoice


def _graph(
    checkpointer: BaseCheckpointSaver[Any],
    policy: ParallelToolCallsPolicy,
    tools: list[BaseTool],
    turn: AIMessage,
) -> CompiledStateGraph[HITLState, None, HITLInput, HITLState]:
    model = ScriptedChatModel(responses=[turn, "Both handled."])
    return build_hitl_graph(model, tools, on_parallel_tool_calls=policy).compile(
        checkpointer=checkpointer
    )


TWO_PAYMENTS = ai_tool_calls(
    ("pay_invoice", {"invoice": "A-1"}), ("pay_invoice", {"invoice": "B-2"})
)


def test_sequential_asks_for_each_call_one_at_a_time(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _graph(checkpointer, "sequential", [approval_tool(ledger.pay())], TWO_PAYMENTS)
    graph.invoke(USER, config)

    (first,) = pending_interrupts(graph, config)
    assert (first.tool_call_id, first.value["args"]) == ("call_0_0", {"invoice": "A-1"})
    assert ledger.paid == []

    out = resume(graph, config, Approve())
    assert ledger.paid == ["A-1"]
    (second,) = pending_interrupts(graph, config)
    assert (second.tool_call_id, second.value["args"]) == ("call_0_1", {"invoice": "B-2"})
    assert [i.id for i in out.interrupts] == [second.id]

    out = resume(graph, config, Reject(message="Already paid."))
    assert ledger.paid == ["A-1"]  # the rejected call never ran, the approved one ran once
    assert out.value["messages"][-1].content == "Both handled."
    tool_messages = [m for m in out.value["messages"] if isinstance(m, ToolMessage)]
    assert [(m.tool_call_id, m.status) for m in tool_messages] == [
        ("call_0_0", "success"),
        ("call_0_1", "error"),
    ]
    assert [r.decision for r in audit_trail(graph, config)] == ["approve", "reject"]


def test_sequential_answers_by_tool_call_id_and_ungated_calls_run_between(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    turn = ai_tool_calls(
        ("lookup_invoice", {"invoice": "A-1"}),
        ("pay_invoice", {"invoice": "A-1"}),
        ("pay_invoice", {"invoice": "B-2"}),
    )
    tools = [ledger.lookup(), approval_tool(ledger.pay())]
    graph = _graph(checkpointer, "sequential", tools, turn)
    graph.invoke(USER, config)
    # The lookup ran without asking; the first payment waits.
    (pending,) = pending_interrupts(graph, config)
    assert pending.tool_call_id == "call_0_1"
    resume(graph, config, {"call_0_1": Approve()})
    resume(graph, config, {"call_0_2": Approve()})
    assert ledger.paid == ["A-1", "B-2"]
    assert pending_interrupts(graph, config) == []


def test_keep_first_asks_only_for_the_first_call(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _graph(checkpointer, "keep_first", [approval_tool(ledger.pay())], TWO_PAYMENTS)
    graph.invoke(USER, config)
    (pending,) = pending_interrupts(graph, config)
    assert pending.tool_call_id == "call_0_0"
    out = resume(graph, config, Approve())
    assert ledger.paid == ["A-1"]
    assert out.interrupts == ()
    stored = [m for m in out.value["messages"] if isinstance(m, AIMessage) and m.tool_calls]
    assert [c["id"] for c in stored[0].tool_calls] == ["call_0_0"]


def test_raise_refuses_the_turn_before_anyone_is_asked(
    checkpointer: BaseCheckpointSaver[Any], config: RunnableConfig
) -> None:
    ledger = Ledger()
    graph = _graph(checkpointer, "raise", [approval_tool(ledger.pay())], TWO_PAYMENTS)
    with pytest.raises(ParallelToolCallsError) as refused:
        graph.invoke(USER, config)
    assert refused.value.tool_calls == (("pay_invoice", "call_0_0"), ("pay_invoice", "call_0_1"))
    assert pending_interrupts(graph, config) == []
    assert ledger.paid == []
