"""Where an answer a failed run used is taken back, so a node cannot poison its thread.

LangGraph keeps the answers a task was given in one fixed slot of the task's writes (the
`RESUME` control write; `INTERRUPT`, `RESUME` and `ERROR` each have a slot per task, and a
newer write of the same kind replaces the older one). The slot is saved when the task
stops, also when it stops with an error. A rerun of the task replays the saved answers,
so a task that failed on its answer fails the same way on every later answer: the thread
is poisoned.

Taking an answer back rewrites that slot to the answers the task had before the one it
failed on. The interrupt stays pending with the same id (the id is derived from the
task's namespace and the number of answers it had when it asked), and the next answer
reaches it. Only tasks that did not finish are touched, and only when their slot holds
an answer to the very interrupt that is still pending, so a delivered answer is never
taken back.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langgraph.types import Interrupt

from ..core._compat import CONTROL_CHANNELS, INTERRUPT, RESUME, interrupt_id_of
from ._effects import Load, Write

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableConfig
    from langgraph.checkpoint.base import CheckpointTuple

    from ..core._pending import TaskRef

__all__ = ["CONTROL", "take_back"]

# Writes that say what happened to a task rather than what it produced; any other write
# means the task finished.
CONTROL = CONTROL_CHANNELS


def _slot(namespace: str, interrupt_id: str, answers: int) -> int | None:
    """How many answers the task had when it raised `interrupt_id`, or None if unknown."""
    for n in range(answers + 1):
        if interrupt_id_of(namespace, n) == interrupt_id:
            return n
    return None


def _key(config: RunnableConfig) -> tuple[str, str, str]:
    conf = config.get("configurable", {})
    return (
        str(conf.get("thread_id")),
        str(conf.get("checkpoint_ns", "")),
        str(conf.get("checkpoint_id")),
    )


def _group(
    refs: Mapping[str, TaskRef], ids: Iterable[str]
) -> dict[tuple[str, str, str], list[tuple[str, TaskRef]]]:
    groups: dict[tuple[str, str, str], list[tuple[str, TaskRef]]] = {}
    for interrupt_id in ids:
        ref = refs.get(interrupt_id)
        if ref is not None:
            groups.setdefault(_key(ref.config), []).append((interrupt_id, ref))
    return groups


def _plan(
    saved: CheckpointTuple | None, targets: Sequence[tuple[str, TaskRef]]
) -> list[tuple[str, TaskRef, list[Any]]]:
    """`(interrupt id, task, answers to keep)` for each target whose answer must go back."""
    if saved is None:
        return []
    writes = saved.pending_writes or []
    plan: list[tuple[str, TaskRef, list[Any]]] = []
    for interrupt_id, ref in targets:
        mine = [(channel, value) for task_id, channel, value in writes if task_id == ref.task_id]
        if any(channel not in CONTROL for channel, _ in mine):
            continue  # the task finished: its answer was delivered
        asked = [
            item.id
            for channel, value in mine
            if channel == INTERRUPT
            for item in (value if isinstance(value, Sequence) else [value])
            if isinstance(item, Interrupt)
        ]
        if interrupt_id not in asked:
            continue  # the task went on to a later question: this one was answered
        stored = next((value for channel, value in mine if channel == RESUME), None)
        answers = [] if stored is None else stored if isinstance(stored, list) else [stored]
        slot = _slot(ref.namespace, interrupt_id, len(answers))
        if slot is not None and len(answers) > slot:
            plan.append((interrupt_id, ref, answers[:slot]))
    return plan


def take_back(
    refs: Mapping[str, TaskRef], ids: Iterable[str]
) -> Generator[Load | Write, Any, list[str]]:
    """Take back the saved answers to `ids` whose tasks did not finish; return those ids.

    A plan (`_effects`): it loads each checkpoint the tasks wrote to and rewrites the
    slots to take back; the answer path's drivers carry that out.
    """
    taken: list[str] = []
    for targets in _group(refs, ids).values():
        config = targets[0][1].config
        saved: CheckpointTuple | None = yield Load(config)
        for interrupt_id, ref, keep in _plan(saved, targets):
            yield Write(config, [(RESUME, keep)], ref.task_id)
            taken.append(interrupt_id)
    return taken
