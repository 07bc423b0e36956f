"""What waits for a human on one thread: `PendingInterrupt` and `pending_interrupts`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.pregel import Pregel
from langgraph.types import Interrupt, PregelTask, StateSnapshot

from ._errors import CheckpointerRequiredError

__all__ = ["PendingInterrupt", "apending_interrupts", "pending_interrupts"]


@dataclass(frozen=True, kw_only=True, slots=True)
class PendingInterrupt:
    """One interrupt that waits for a human answer."""

    id: str
    """The interrupt's id: answer it with `resume(graph, config, {id: answer})`."""
    value: Any
    """What the graph surfaced to the human (for this library's tools, a JSON dict)."""
    response_schema: dict[str, Any] | None
    """The JSON schema the answer must match, or None when the graph published none."""
    tool_call_id: str | None
    """The tool call the interrupt is about, when a tool raised it (`value["tool_call_id"]`)."""
    type: str | None
    """The request's kind, `value["type"]` (e.g. `"human_assistance"`, `"tool_approval"`)."""
    node: str
    """The graph node that waits (for an interrupt inside a subgraph: the parent's node)."""
    path: tuple[str, ...]
    """The nodes from the top graph down to the one that raised it, e.g. `("sub", "ask")`."""
    thread_id: str | None
    """The thread the interrupt belongs to."""
    checkpoint_id: str | None
    """The checkpoint this was read from; `resume(..., expect_checkpoint=...)` checks it."""
    created_at: datetime | None
    """When the paused step started (the checkpoint's time), if the checkpointer says."""
    expires_at: datetime | None
    """When the request expires (`value["expires_at"]`), if it has a deadline."""


def _require_checkpointer(graph: Pregel[Any, Any, Any, Any]) -> None:
    if graph.checkpointer is None or graph.checkpointer is True:
        raise CheckpointerRequiredError(
            f"Graph {graph.name!r} was compiled without a checkpointer, so it cannot pause "
            "for a human or be resumed. Compile it with one, e.g. "
            "`builder.compile(checkpointer=InMemorySaver())` (or SqliteSaver / PostgresSaver)."
        )


def _parse_time(raw: object) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _collect(
    snapshot: StateSnapshot, *, thread_id: str | None, checkpoint_id: str | None
) -> list[PendingInterrupt]:
    found: list[PendingInterrupt] = []
    created_at = _parse_time(snapshot.created_at)
    for task in snapshot.tasks:
        found.extend(_from_task(task, thread_id, checkpoint_id, created_at, prefix=()))
    return found


def _from_task(
    task: PregelTask,
    thread_id: str | None,
    checkpoint_id: str | None,
    created_at: datetime | None,
    *,
    prefix: tuple[str, ...],
) -> list[PendingInterrupt]:
    if not task.interrupts:
        return []
    path = (*prefix, task.name)
    inner: dict[str, tuple[str, ...]] = {}
    if isinstance(task.state, StateSnapshot):
        # A subgraph: find the inner node each interrupt waits in.
        for sub in task.state.tasks:
            for pending in _from_task(sub, thread_id, checkpoint_id, created_at, prefix=path):
                inner[pending.id] = pending.path
    return [
        _pending(item, node=path[0], path=inner.get(item.id, path), thread_id=thread_id,
                 checkpoint_id=checkpoint_id, created_at=created_at)
        for item in task.interrupts
    ]


def _pending(
    item: Interrupt,
    *,
    node: str,
    path: tuple[str, ...],
    thread_id: str | None,
    checkpoint_id: str | None,
    created_at: datetime | None,
) -> PendingInterrupt:
    value = item.value
    fields: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    tool_call_id = fields.get("tool_call_id")
    kind = fields.get("type")
    schema = item.response_schema
    return PendingInterrupt(
        id=item.id,
        value=value,
        response_schema=schema if isinstance(schema, dict) else None,
        tool_call_id=tool_call_id if isinstance(tool_call_id, str) else None,
        type=kind if isinstance(kind, str) else None,
        node=node,
        path=path,
        thread_id=thread_id,
        checkpoint_id=checkpoint_id,
        created_at=created_at,
        expires_at=_parse_time(fields.get("expires_at")),
    )


def _has_subgraph(snapshot: StateSnapshot) -> bool:
    return any(task.interrupts and task.state is not None for task in snapshot.tasks)


def from_snapshot(snapshot: StateSnapshot) -> list[PendingInterrupt]:
    """The pending interrupts of a state snapshot (taken with `subgraphs=True` if nested)."""
    configurable = snapshot.config.get("configurable", {})
    thread_id = configurable.get("thread_id")
    checkpoint_id = configurable.get("checkpoint_id")
    return _collect(
        snapshot,
        thread_id=str(thread_id) if thread_id is not None else None,
        checkpoint_id=str(checkpoint_id) if checkpoint_id is not None else None,
    )


def _latest(config: RunnableConfig) -> RunnableConfig:
    """The thread's config without a checkpoint id: pending interrupts are the latest's."""
    configurable = {
        k: v for k, v in (config.get("configurable") or {}).items() if k != "checkpoint_id"
    }
    return {**config, "configurable": configurable}


def pending_interrupts(
    graph: Pregel[Any, Any, Any, Any], config: RunnableConfig
) -> list[PendingInterrupt]:
    """List what waits for a human on the thread of `config`, at its latest checkpoint.

    Works on any compiled graph with a checkpointer, including interrupts raised inside
    subgraphs and in parallel branches.

    Raises:
        CheckpointerRequiredError: The graph has no checkpointer.
    """
    _require_checkpointer(graph)
    config = _latest(config)
    snapshot = graph.get_state(config)
    if _has_subgraph(snapshot):
        snapshot = graph.get_state(config, subgraphs=True)
    return from_snapshot(snapshot)


async def apending_interrupts(
    graph: Pregel[Any, Any, Any, Any], config: RunnableConfig
) -> list[PendingInterrupt]:
    """Async twin of `pending_interrupts`."""
    _require_checkpointer(graph)
    config = _latest(config)
    snapshot = await graph.aget_state(config)
    if _has_subgraph(snapshot):
        snapshot = await graph.aget_state(config, subgraphs=True)
    return from_snapshot(snapshot)
