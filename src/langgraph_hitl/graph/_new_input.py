"""What `build_hitl_graph` does with new user input while tool calls wait for a human.

LangGraph starts a new run from START on new input and drops the interrupted task, so the
AI message's tool call is left without a tool message, which providers refuse on the next
model call. The default policy closes each waiting call in the history; the other refuses
the input before LangGraph saves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, RemoveMessage, ToolMessage
from langgraph.graph import StateGraph
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from ..core._errors import RequestsWaitingError
from ..tools._approval_tool import superseded_message

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Mapping, Sequence

    from langchain_core.messages.tool import ToolCall
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools import BaseTool
    from langgraph.types import StateSnapshot

__all__ = [
    "HITLStateGraph",
    "NewInputPolicy",
    "close_waiting",
    "waiting_calls",
    "with_history",
]

NewInputPolicy = Literal["supersede", "raise"]
"""What `build_hitl_graph` does with new user input while tool calls wait for a human.

- `"supersede"`: close each waiting call with a tool message saying the user's new
  message superseded it (an approval tool's call also gets an audit record, decision
  `"reject"`, source `"superseded"`), so the model sees a valid history and answers the
  new message.
- `"raise"`: refuse the input with `RequestsWaitingError`, naming the waiting requests,
  before anything is saved: the thread keeps its pending requests.
"""


def _unanswered(messages: Sequence[BaseMessage]) -> list[tuple[int, ToolCall]]:
    """Every tool call without a tool message, with the index of its AI message."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    return [
        (n, call)
        for n, message in enumerate(messages)
        if isinstance(message, AIMessage)
        for call in message.tool_calls
        if call.get("id") not in answered
    ]


def _waiting_text(waiting: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{name}(tool_call_id={call_id!r})" for name, call_id in waiting)


def _refusal(waiting: Sequence[tuple[str, str]], *, saved: bool) -> RequestsWaitingError:
    return RequestsWaitingError(
        f"New input reached a thread that waits for a human answer to {_waiting_text(waiting)}; "
        "this graph refuses it (on_new_input='raise'), "
        + ("" if saved else "nothing was saved and the requests still wait. ")
        + "Answer the waiting requests first (resume(...)), or build the graph with "
        "on_new_input='supersede' to close them when the user writes again.",
        waiting=waiting,
    )


def waiting_calls(messages: Sequence[BaseMessage]) -> list[str]:
    """The ids of the tool calls that have no tool message yet."""
    return [str(call["id"]) for _, call in _unanswered(messages)]


def close_waiting(
    messages: list[BaseMessage],
    policy: NewInputPolicy,
    tools: Mapping[str, BaseTool],
    requests: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[BaseMessage], bool]:
    """The history with every waiting call closed, and whether any was.

    The chatbot runs after the tools node answered every call, so a call without a tool
    message there was left waiting when new input started a run from START. `requests`
    holds what each waiting approval published last (by tool call id), so that its audit
    record keeps the votes given so far.
    """
    waiting = _unanswered(messages)
    if not waiting:
        return messages, False
    if policy == "raise":
        # The graph's stream() refuses such input before it is saved; this is reached
        # only when that check could not run (e.g. as a subgraph).
        raise _refusal([(c["name"], str(c["id"])) for _, c in waiting], saved=True)
    closing: dict[int, list[BaseMessage]] = {}
    for n, call in waiting:
        request = (requests or {}).get(str(call["id"]))
        closing.setdefault(n, []).append(superseded_message(tools.get(call["name"]), call, request))
    fixed: list[BaseMessage] = []
    pending: list[BaseMessage] = []
    for n, message in enumerate(messages):
        if pending and not isinstance(message, ToolMessage):
            # Providers want an AI message's tool results right after it.
            fixed += pending
            pending = []
        fixed.append(message)
        pending += closing.get(n, [])
    return [*fixed, *pending], True


def with_history(result: dict[str, Any], history: list[BaseMessage]) -> dict[str, Any]:
    """The chatbot's update, writing the closed history again before its answer.

    The closing tool messages go in the middle of the history, which add_messages cannot
    do (it appends): the history is written again, in its new order.
    """
    return {"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), *history, *result["messages"]]}


def _waiting(snapshot: StateSnapshot) -> list[tuple[str, str]]:
    """`(name, tool_call_id)` of each request a thread waits for (the interrupt id otherwise)."""
    found: list[tuple[str, str]] = []
    for pending in snapshot.interrupts:
        value = pending.value
        if isinstance(value, dict) and isinstance(value.get("tool_call_id"), str):
            found.append((str(value.get("name")), value["tool_call_id"]))
        else:
            found.append(("interrupt", pending.id))
    return found


def _is_new_input(input: object, config: RunnableConfig | None) -> bool:
    if input is None or isinstance(input, Command) or config is None:
        return False
    configurable = config.get("configurable") or {}
    # A nested run (this graph as a subgraph) is checked by its chatbot node instead.
    return bool(configurable.get("thread_id")) and not configurable.get("checkpoint_ns")


class _RefusingNewInput(CompiledStateGraph[Any, Any, Any, Any]):
    """A compiled `on_new_input="raise"` graph: new input is refused before it is saved.

    LangGraph saves the input in a checkpoint before any node runs, and that checkpoint
    drops the interrupted tasks, so a node could only refuse once the requests were lost.
    """

    def _can_read(self, config: RunnableConfig) -> bool:
        configurable = config.get("configurable") or {}
        return self.checkpointer not in (None, False, True) or (
            "__pregel_checkpointer" in configurable
        )

    def stream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        if _is_new_input(input, config) and config is not None and self._can_read(config):
            waiting = _waiting(self.get_state(config))
            if waiting:
                raise _refusal(waiting, saved=False)
        return super().stream(input, config, **kwargs)

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        if _is_new_input(input, config) and config is not None and self._can_read(config):
            waiting = _waiting(await self.aget_state(config))
            if waiting:
                raise _refusal(waiting, saved=False)
        async for chunk in super().astream(input, config, **kwargs):
            yield chunk


class HITLStateGraph(StateGraph[Any, None, Any, Any]):
    """The builder `build_hitl_graph` returns; it compiles to a graph that applies its policy."""

    refuse_new_input: bool = False

    def compile(self, *args: Any, **kwargs: Any) -> CompiledStateGraph[Any, None, Any, Any]:
        compiled = super().compile(*args, **kwargs)
        if self.refuse_new_input:
            # Same object, same slots: only its stream methods check the input first.
            compiled.__class__ = _RefusingNewInput
        return compiled
