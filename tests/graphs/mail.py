"""A mail agent with no LLM: an approval-gated `send_email` and `human_assistance`.

The user's message is the tool call the "model" makes, as JSON: `{"tool": ..., "args":
{...}}`; after the tool's result the model answers with it. So every process that builds
this graph makes the same decisions, whatever ran before. `send_email` appends one JSON
line to the file named by `LANGGRAPH_HITL_TEST_OUTBOX` (its side effect, counted by the
tests), after writing its pid to `LANGGRAPH_HITL_TEST_TOOL_STARTED` and sleeping
`LANGGRAPH_HITL_TEST_TOOL_DELAY` seconds when those are set. With
`LANGGRAPH_HITL_TEST_TOOL_GATE` set to a directory, it writes `<subject>.started` there and
then waits until the test creates `<subject>.open`: a race test holds the winner inside the
tool until it has seen the loser's outcome.

Used as `GRAPH` on the command line: `tests/graphs/mail.py:graph`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool

from langgraph_hitl import approval_tool, build_hitl_graph, human_assistance_tool

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.callbacks import CallbackManagerForLLMRun
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable

OUTBOX_ENV = "LANGGRAPH_HITL_TEST_OUTBOX"
STARTED_ENV = "LANGGRAPH_HITL_TEST_TOOL_STARTED"
DELAY_ENV = "LANGGRAPH_HITL_TEST_TOOL_DELAY"
GATE_ENV = "LANGGRAPH_HITL_TEST_TOOL_GATE"
GATE_TIMEOUT = 300.0
"""Seconds the tool waits at its gate before it goes on anyway (a test that never opens it)."""


def _wait_at_gate(subject: str) -> None:
    gate = os.environ.get(GATE_ENV)
    if not gate:
        return
    folder = Path(gate)
    (folder / f"{subject}.started").write_text(str(os.getpid()))
    deadline = time.monotonic() + GATE_TIMEOUT
    while not (folder / f"{subject}.open").exists() and time.monotonic() < deadline:
        time.sleep(0.01)  # polling the test's signal, another process's file


@tool
def send_email(to: str, subject: str) -> str:
    """Send an e-mail."""
    started = os.environ.get(STARTED_ENV)
    if started:
        # Written whole, then renamed: a test that sees the file can read the pid.
        Path(f"{started}.part").write_text(str(os.getpid()))
        os.replace(f"{started}.part", started)
    delay = float(os.environ.get(DELAY_ENV) or 0)
    if delay:
        time.sleep(delay)  # a slow side effect (a reviewer killed inside it), not a wait
    _wait_at_gate(subject)
    outbox = os.environ.get(OUTBOX_ENV)
    if outbox:
        line = json.dumps({"to": to, "subject": subject, "pid": os.getpid()})
        with open(outbox, "a") as file:
            file.write(line + "\n")
    return f"Sent to {to}."


class RuleModel(BaseChatModel):
    """Calls the tool the user's JSON message names; then reports the tool's result."""

    @property
    def _llm_type(self) -> str:
        return "rules"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        last = messages[-1]
        if isinstance(last, HumanMessage):
            text = str(last.content)
            call = json.loads(text)
            call_id = "call_" + hashlib.sha256(text.encode()).hexdigest()[:12]
            message = AIMessage(
                content="", tool_calls=[{"name": call["tool"], "args": call["args"], "id": call_id}]
            )
        else:
            message = AIMessage(content=f"Done: {last.content}")
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, Any]:
        return self


def ask(tool_name: str, **args: Any) -> dict[str, Any]:
    """The graph input that makes the model call `tool_name` with `args`."""
    return {"messages": [HumanMessage(content=json.dumps({"tool": tool_name, "args": args}))]}


def make_graph() -> Any:
    """The uncompiled graph; each process compiles it with its own checkpointer."""
    return build_hitl_graph(RuleModel(), [approval_tool(send_email), human_assistance_tool()])


graph = make_graph()
