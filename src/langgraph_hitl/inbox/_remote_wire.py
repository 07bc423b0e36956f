"""What the LangGraph Server's JSON says, read without any I/O: threads, interrupts, runs.

A thread record of `threads.search` / `threads.get` carries, per waiting task, the
interrupts it raised as `{"id", "value", "response_schema"}` (LangGraph >= 1.2 serializes
`Interrupt.response_schema`, and the server keeps it), keyed by the task's id, with no
checkpoint id and no node name. The node is found as the local inbox finds it: LangGraph
derives an interrupt id from the namespace `node:task_id`, so the graph's node names tie
each interrupt to its node. An interrupt that matches none (raised inside a subgraph) needs
the thread's state (`threads.get_state(subgraphs=True)`), which gives its path.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langgraph.types import Interrupt

from ..core._compat import interrupt_id_of
from ..core._errors import (
    InvalidResumeError,
    ResumeConflictError,
    RunFailedError,
    TimeoutTooEarlyError,
)
from ..core._pending import PendingInterrupt, parse_time, version_of
from ..store._backends import checkpoint_time

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "ThreadRecord",
    "interrupt_id",
    "is_uuid",
    "items_from_state",
    "items_of",
    "output_interrupts",
    "run_refusal",
]

_MAX_ANSWERED = 32
"""How many earlier answers of one task are tried when matching an interrupt id to a node."""


def interrupt_id(namespace: str, answered: int) -> str:
    """The id LangGraph gives an interrupt (`langgraph.types._interrupt_id`)."""
    return interrupt_id_of(namespace, answered)


@dataclass(frozen=True, slots=True)
class ThreadRecord:
    """The parts of a server's thread record the inbox reads."""

    thread_id: str
    status: str
    assistant_id: str | None
    graph_id: str | None
    stamp: str
    """When the thread last changed (`updated_at`: its state, or its status)."""
    interrupts: tuple[tuple[str, Mapping[str, Any]], ...]
    """`(task_id, interrupt)` of every interrupt the server says the thread waits for."""

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> ThreadRecord:
        """Read a thread record as the server returns it."""
        metadata = raw.get("metadata") or {}
        found: list[tuple[str, Mapping[str, Any]]] = []
        interrupts = raw.get("interrupts") or {}
        if isinstance(interrupts, Mapping):
            for task_id, items in interrupts.items():
                for item in items or ():
                    if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                        found.append((str(task_id), item))
        # `updated_at`, never `state_updated_at`: a listing can ask for the first only, and
        # a version read from the listing must equal one read from `threads.get`.
        stamp = raw.get("updated_at") or ""
        assistant = metadata.get("assistant_id")
        graph = metadata.get("graph_id")
        return cls(
            thread_id=str(raw["thread_id"]),
            status=str(raw.get("status") or ""),
            assistant_id=str(assistant) if assistant else None,
            graph_id=str(graph) if graph else None,
            stamp=str(stamp),
            interrupts=tuple(found),
        )

    @property
    def ids(self) -> list[str]:
        """The ids of the interrupts it waits for, each once."""
        return list(dict.fromkeys(str(item["id"]) for _, item in self.interrupts))

    @property
    def version(self) -> str:
        """The `PendingInterrupt.version` of its requests: its last change and their ids."""
        return version_of(self.stamp, self.ids)

    @property
    def updated_at(self) -> datetime | None:
        """When it last changed."""
        return parse_time(self.stamp)


def _interrupt(raw: Mapping[str, Any]) -> Interrupt:
    schema = raw.get("response_schema")
    return Interrupt(
        value=raw.get("value"),
        id=str(raw["id"]),
        response_schema=schema if isinstance(schema, dict) else None,
    )


def _item(
    raw: Mapping[str, Any],
    *,
    path: tuple[str, ...],
    record: ThreadRecord,
    checkpoint_id: str | None,
    created_at: datetime | None,
) -> PendingInterrupt:
    value = raw.get("value")
    fields: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    tool_call_id = fields.get("tool_call_id")
    kind = fields.get("type")
    schema = raw.get("response_schema")
    return PendingInterrupt(
        id=str(raw["id"]),
        value=value,
        response_schema=schema if isinstance(schema, dict) else None,
        tool_call_id=tool_call_id if isinstance(tool_call_id, str) else None,
        type=kind if isinstance(kind, str) else None,
        node=path[0] if path else "",
        path=path,
        thread_id=record.thread_id,
        checkpoint_id=checkpoint_id,
        created_at=created_at,
        expires_at=parse_time(fields.get("expires_at")),
        version=record.version,
    )


def _node_of(task_id: str, wanted: str, nodes: Sequence[str]) -> str | None:
    for answered in range(_MAX_ANSWERED):
        for name in nodes:
            if interrupt_id(f"{name}:{task_id}", answered) == wanted:
                return name
    return None


def items_of(record: ThreadRecord, nodes: Sequence[str]) -> list[PendingInterrupt] | None:
    """The thread's requests from its record alone, or None when its state must be read.

    `created_at` is when the thread last changed (the server's record has no
    checkpoint id), and `checkpoint_id` is None.
    """
    items: list[PendingInterrupt] = []
    seen: set[str] = set()
    for task_id, raw in record.interrupts:
        if raw["id"] in seen:
            continue
        seen.add(str(raw["id"]))
        node = _node_of(task_id, str(raw["id"]), nodes)
        if node is None:
            return None
        items.append(
            _item(
                raw, path=(node,), record=record, checkpoint_id=None, created_at=record.updated_at
            )
        )
    return items


def _walk(task: Mapping[str, Any], prefix: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """`{interrupt id: path}` of one task of a state, down into its subgraph's tasks."""
    path = (*prefix, str(task.get("name") or ""))
    found: dict[str, tuple[str, ...]] = {}
    state = task.get("state")
    if isinstance(state, Mapping):
        for sub in state.get("tasks") or ():
            if isinstance(sub, Mapping):
                found.update(_walk(sub, path))
    for raw in task.get("interrupts") or ():
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
            found.setdefault(raw["id"], path)
    return found


def items_from_state(state: Mapping[str, Any], record: ThreadRecord) -> list[PendingInterrupt]:
    """The thread's requests from its state (`threads.get_state(..., subgraphs=True)`).

    Only the interrupts the thread record lists are kept, so this and `items_of` agree on
    what waits (and on `version`); the state adds the path and the checkpoint.
    """
    paths: dict[str, tuple[str, ...]] = {}
    for task in state.get("tasks") or ():
        if isinstance(task, Mapping):
            for key, path in _walk(task, ()).items():
                paths.setdefault(key, path)
    raw_checkpoint = state.get("checkpoint_id") or (state.get("checkpoint") or {}).get(
        "checkpoint_id"
    )
    checkpoint_id = str(raw_checkpoint) if raw_checkpoint else None
    created = checkpoint_time(checkpoint_id) if checkpoint_id else None
    created = created or parse_time(state.get("created_at")) or record.updated_at
    items: list[PendingInterrupt] = []
    seen: set[str] = set()
    for _, raw in record.interrupts:
        key = str(raw["id"])
        if key in seen:
            continue
        seen.add(key)
        items.append(
            _item(
                raw,
                path=paths.get(key, ()),
                record=record,
                checkpoint_id=checkpoint_id,
                created_at=created,
            )
        )
    return items


def output_interrupts(record: ThreadRecord) -> tuple[Interrupt, ...]:
    """What the thread waits for, as LangGraph's `Interrupt`s (for a `GraphOutput`)."""
    seen: dict[str, Interrupt] = {}
    for _, raw in record.interrupts:
        seen.setdefault(str(raw["id"]), _interrupt(raw))
    return tuple(seen.values())


def run_refusal(
    run: Mapping[str, Any], joined: object, *, thread_id: str, ids: Sequence[str]
) -> Exception | None:
    """The error a finished run of a resume stands for, or None when it succeeded.

    A run the graph refused because the answered interrupt was no longer pending (the
    `UnknownInterruptError` of LangGraph's strict resume) means another reviewer's answer
    applied first: nothing of this one did.
    """
    status = str(run.get("status") or "")
    if status == "success":
        return None
    error = joined.get("__error__") if isinstance(joined, Mapping) else None
    kind = str(error.get("error")) if isinstance(error, Mapping) else ""
    message = str(error.get("message")) if isinstance(error, Mapping) else ""
    if kind == "UnknownInterruptError":
        return ResumeConflictError(
            f"Another reviewer answered {list(ids)} on thread {thread_id!r} first: the "
            "server's run refused this answer as it loaded the thread (the interrupt was "
            "no longer pending), so nothing of it applied. List the inbox again."
        )
    if kind == "ValidationError":
        # The graph validated the answer as it loaded it and refused it: nothing saved.
        if "applies the timeout answer" in message:
            return TimeoutTooEarlyError(
                f"The server's graph refused the timeout answer to {list(ids)} on thread "
                f"{thread_id!r}: its deadline has not passed on the server's clock. Nothing "
                "of it was saved; the request is still pending."
            )
        return InvalidResumeError(
            f"The server's graph refused the answer to {list(ids)} on thread {thread_id!r}: "
            f"{message}. Nothing of it was saved; the request is still pending.",
            interrupt_id=ids[0] if len(ids) == 1 else None,
        )
    detail = f"{kind}: {message}" if kind else f"status {status!r}"
    return RunFailedError(
        f"The server's run with the answer to {list(ids)} on thread {thread_id!r} did not "
        f"succeed ({detail}). The server keeps whatever the run saved; read the thread "
        "(`pending(thread_id=...)`) before answering again.",
        run_id=str(run.get("run_id") or ""),
        status=status,
    )


def is_uuid(text: str) -> bool:
    """Whether `text` is a UUID (an assistant id) rather than a graph id."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
