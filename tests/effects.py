"""Helpers shared by the builder tests: a tool with a countable side effect, and checks."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import BaseTool, tool

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.messages import BaseMessage

    from langgraph_hitl import HITLState

__all__ = ["Effects", "assert_every_call_answered_once", "user_turn"]


class Effects:
    """Counts how often each tool body really ran (a side effect, e.g. an email sent)."""

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()

    def tool(self) -> BaseTool:
        @tool
        def send_email(to: str) -> str:
            """Send an email."""
            self.runs[to] += 1
            return f"sent to {to}"

        return send_email


def user_turn(text: str = "Go.") -> HITLState:
    """A user's turn as graph input."""
    return {"messages": [HumanMessage(content=text)]}


def assert_every_call_answered_once(messages: Sequence[BaseMessage]) -> None:
    """Every tool call in the history has exactly one tool message, and no other."""
    calls = [str(c["id"]) for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    answers = [m.tool_call_id for m in messages if isinstance(m, ToolMessage)]
    assert len(calls) == len(set(calls))
    assert sorted(answers) == sorted(calls), (calls, answers)
