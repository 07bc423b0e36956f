"""What waits for a human on one thread: `PendingInterrupt` and `pending_interrupts`.

Interrupts raised inside subgraphs and in parallel branches are listed too, each with the
path of nodes that leads to it, so a caller can answer them without knowing how the
graph is built. Internally every interrupt is also tied to the task that raised it
(`TaskRef`), which is where LangGraph stores its answer: `_rollback` reads that slot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Interrupt, PregelTask, StateSnapshot

from ._compat import CHECKPOINT_MAP_KEY
from ._errors import CheckpointerRequiredError

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel

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
    version: str = ""
    """A token of everything that waited on the thread when this was read: its checkpoint
    and the ids of all its pending interrupts. `resume(..., expect_version=...)` refuses
    once either changed. Empty for an interrupt built by hand rather than read."""


# A frozen dataclass sets each field through `object.__setattr__`, by name: a listing that
# builds a million requests spends more there than in decoding them. `listed` sets the
# slots through their descriptors, in the class's own field order (`LISTED_FIELDS`, pinned
# by a test): the same object, a third of the cost.
LISTED_FIELDS = (
    "id",
    "value",
    "response_schema",
    "tool_call_id",
    "type",
    "node",
    "path",
    "thread_id",
    "checkpoint_id",
    "created_at",
    "expires_at",
    "version",
)
(
    _set_id,
    _set_value,
    _set_schema,
    _set_call,
    _set_type,
    _set_node,
    _set_path,
    _set_thread,
    _set_checkpoint,
    _set_created,
    _set_expires,
    _set_version,
) = (getattr(PendingInterrupt, name).__set__ for name in LISTED_FIELDS)
_new = object.__new__


def listed(
    id: str,
    value: object,
    response_schema: dict[str, Any] | None,
    tool_call_id: str | None,
    type: str | None,
    node: str,
    path: tuple[str, ...],
    thread_id: str | None,
    checkpoint_id: str | None,
    created_at: datetime | None,
    expires_at: datetime | None,
    version: str,
) -> PendingInterrupt:
    """`PendingInterrupt(...)` with every field given in order, built for a listing's pace."""
    item: PendingInterrupt = _new(PendingInterrupt)
    _set_id(item, id)
    _set_value(item, value)
    _set_schema(item, response_schema)
    _set_call(item, tool_call_id)
    _set_type(item, type)
    _set_node(item, node)
    _set_path(item, path)
    _set_thread(item, thread_id)
    _set_checkpoint(item, checkpoint_id)
    _set_created(item, created_at)
    _set_expires(item, expires_at)
    _set_version(item, version)
    return item


@dataclass(frozen=True, slots=True)
class TaskRef:
    """The task that raised an interrupt: where LangGraph keeps the answers it was given."""

    config: RunnableConfig
    """Config of the checkpoint that holds the task's writes (a subgraph's, if nested)."""
    task_id: str
    namespace: str
    """The task's checkpoint namespace; LangGraph derives the interrupt ids from it."""
    failed: bool
    """The task recorded an error (so it may hold an answer it never finished with)."""


@dataclass(frozen=True, slots=True)
class Wait:
    """Everything a resume needs to know about one thread, read in one go."""

    pending: list[PendingInterrupt]
    checkpoint_id: str | None
    next: tuple[str, ...]
    """The nodes the thread would run next (non-empty at a static breakpoint too)."""
    tasks: dict[str, TaskRef] = field(default_factory=dict)
    """The task of every pending interrupt, by interrupt id."""


def require_checkpointer(graph: Pregel[Any, Any, Any, Any]) -> None:
    """Refuse a graph compiled without a checkpointer (`CheckpointerRequiredError`)."""
    saver_of(graph)


def saver_of(graph: Pregel[Any, Any, Any, Any]) -> BaseCheckpointSaver[Any]:
    """The graph's checkpointer; `CheckpointerRequiredError` when it was compiled without."""
    saver = graph.checkpointer
    if not isinstance(saver, BaseCheckpointSaver):
        raise CheckpointerRequiredError(
            f"Graph {graph.name!r} was compiled without a checkpointer, so it cannot pause "
            "for a human or be resumed. Compile it with one, e.g. "
            "`builder.compile(checkpointer=InMemorySaver())` (or SqliteSaver / PostgresSaver)."
        )
    return saver


def parse_time(raw: object) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        if raw.endswith("Z"):
            # UTC as JavaScript and pydantic write it, which Python reads only from 3.11 on.
            raw = f"{raw[:-1]}+00:00"
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    return None


def version_of(checkpoint_id: str | None, ids: Sequence[str]) -> str:
    """The version token of a thread that waits at `checkpoint_id` for `ids`."""
    digest = hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]
    return f"{checkpoint_id}:{digest}"


def _namespace(snapshot: StateSnapshot) -> str:
    ns = snapshot.config.get("configurable", {}).get("checkpoint_ns", "")
    return str(ns) if ns else ""


@dataclass(slots=True)
class _Found:
    item: Interrupt
    path: tuple[str, ...]
    ref: TaskRef


def _from_task(
    task: PregelTask, snapshot: StateSnapshot, *, prefix: tuple[str, ...]
) -> list[_Found]:
    if not task.interrupts:
        return []
    path = (*prefix, task.name)
    inner: dict[str, _Found] = {}
    if isinstance(task.state, StateSnapshot):
        # A subgraph: the interrupt was raised (and its answer is kept) in an inner task.
        for sub in task.state.tasks:
            for found in _from_task(sub, task.state, prefix=path):
                inner[found.item.id] = found
    ns = _namespace(snapshot)
    ref = TaskRef(
        config=snapshot.config,
        task_id=task.id,
        namespace=f"{ns}|{task.name}:{task.id}" if ns else f"{task.name}:{task.id}",
        failed=task.error is not None,
    )
    return [inner.get(item.id) or _Found(item, path, ref) for item in task.interrupts]


def make_pending(
    item: Interrupt,
    *,
    node: str,
    path: tuple[str, ...],
    thread_id: str | None,
    checkpoint_id: str | None,
    created_at: datetime | None,
    version: str = "",
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
        expires_at=parse_time(fields.get("expires_at")),
        version=version,
    )


def wait_of(snapshot: StateSnapshot) -> Wait:
    """What waits on the thread of a state snapshot (taken with `subgraphs=True` if nested)."""
    configurable = snapshot.config.get("configurable", {})
    thread_id = configurable.get("thread_id")
    raw_checkpoint = configurable.get("checkpoint_id")
    checkpoint_id = str(raw_checkpoint) if raw_checkpoint is not None else None
    found: list[_Found] = []
    seen: set[str] = set()
    for task in snapshot.tasks:
        for entry in _from_task(task, snapshot, prefix=()):
            if entry.item.id not in seen:
                seen.add(entry.item.id)
                found.append(entry)
    version = version_of(checkpoint_id, [entry.item.id for entry in found])
    created_at = parse_time(snapshot.created_at)
    pending = [
        make_pending(
            entry.item,
            node=entry.path[0],
            path=entry.path,
            thread_id=str(thread_id) if thread_id is not None else None,
            checkpoint_id=checkpoint_id,
            created_at=created_at,
            version=version,
        )
        for entry in found
    ]
    return Wait(
        pending=pending,
        checkpoint_id=checkpoint_id,
        next=tuple(snapshot.next),
        tasks={entry.item.id: entry.ref for entry in found},
    )


def from_snapshot(snapshot: StateSnapshot) -> list[PendingInterrupt]:
    """The pending interrupts of a state snapshot (taken with `subgraphs=True` if nested)."""
    return wait_of(snapshot).pending


def _has_subgraph(snapshot: StateSnapshot) -> bool:
    return any(task.interrupts and task.state is not None for task in snapshot.tasks)


def latest(config: RunnableConfig) -> RunnableConfig:
    """The thread's config without a checkpoint id: what waits is the latest checkpoint's."""
    configurable = {
        k: v
        for k, v in (config.get("configurable") or {}).items()
        if k not in ("checkpoint_id", CHECKPOINT_MAP_KEY)
    }
    return {**config, "configurable": configurable}


def read_wait(graph: Pregel[Any, Any, Any, Any], config: RunnableConfig) -> Wait:
    """Read what waits on the thread of `config`, at its latest checkpoint."""
    require_checkpointer(graph)
    config = latest(config)
    snapshot = graph.get_state(config)
    if _has_subgraph(snapshot):
        snapshot = graph.get_state(config, subgraphs=True)
    return wait_of(snapshot)


async def aread_wait(graph: Pregel[Any, Any, Any, Any], config: RunnableConfig) -> Wait:
    """Async twin of `read_wait`."""
    require_checkpointer(graph)
    config = latest(config)
    snapshot = await graph.aget_state(config)
    if _has_subgraph(snapshot):
        snapshot = await graph.aget_state(config, subgraphs=True)
    return wait_of(snapshot)


def pending_interrupts(
    graph: Pregel[Any, Any, Any, Any], config: RunnableConfig
) -> list[PendingInterrupt]:
    """List what waits for a human on the thread of `config`, at its latest checkpoint.

    Works on any compiled graph with a checkpointer, including interrupts raised inside
    subgraphs (listed with the `path` down to the node that raised them) and in parallel
    branches.

    Raises:
        CheckpointerRequiredError: The graph has no checkpointer.
    """
    return read_wait(graph, config).pending


async def apending_interrupts(
    graph: Pregel[Any, Any, Any, Any], config: RunnableConfig
) -> list[PendingInterrupt]:
    """Async twin of `pending_interrupts`."""
    return (await aread_wait(graph, config)).pending
