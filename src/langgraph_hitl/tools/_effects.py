"""What the tools' and the graph nodes' plans ask for, and the two drivers that do it.

A tool call or a node step is written once, as a plan (`core._plan`): a generator that
yields these effects and receives what came of them. `run_effect` carries an effect out
with plain calls (`invoke`, `get_tuple`, `list`), `arun_effect` with awaits (`ainvoke`,
`aget_tuple`, `alist`); nothing else differs between a sync and an async call.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.runnables.config import set_config_context

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from langchain_core.runnables import Runnable, RunnableConfig
    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = [
    "Effect",
    "InTask",
    "Invoke",
    "ListCheckpoints",
    "ReadCheckpoint",
    "arun_effect",
    "run_effect",
]


@dataclass(frozen=True, slots=True)
class ReadCheckpoint:
    """Read one checkpoint (with its pending writes): a `CheckpointTuple`, or None."""

    saver: BaseCheckpointSaver[Any]
    where: RunnableConfig


@dataclass(frozen=True, slots=True)
class ListCheckpoints:
    """Read the newest `limit` checkpoints at `where`, newest first (a list)."""

    saver: BaseCheckpointSaver[Any]
    where: RunnableConfig
    limit: int


@dataclass(frozen=True, slots=True)
class Invoke:
    """Run a runnable (a tool, a `ToolNode`, a bound model) on `input`: what it returns."""

    runnable: Runnable[Any, Any]
    input: object
    config: RunnableConfig | None
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InTask:
    """Call `function` where LangGraph's `interrupt()` finds the task's config: its result.

    Before 3.11 asyncio tasks carry no context of LangGraph's, so the async driver makes
    `config` the current one around the call (the sync driver runs in the task already).
    """

    function: Callable[[], object]
    config: RunnableConfig | None


Effect = ReadCheckpoint | ListCheckpoints | Invoke | InTask
"""Anything a tool's or a node's plan yields."""


def run_effect(effect: Effect) -> object:
    """Carry out `effect` with plain calls (the sync driver's `do`)."""
    if isinstance(effect, Invoke):
        return effect.runnable.invoke(effect.input, effect.config, **effect.kwargs)
    if isinstance(effect, InTask):
        return effect.function()
    if isinstance(effect, ReadCheckpoint):
        return effect.saver.get_tuple(effect.where)
    return list(effect.saver.list(effect.where, limit=effect.limit))


async def arun_effect(effect: Effect) -> object:
    """Carry out `effect` with awaits (the async driver's `do`)."""
    if isinstance(effect, Invoke):
        return await effect.runnable.ainvoke(effect.input, effect.config, **effect.kwargs)
    if isinstance(effect, InTask):
        if effect.config is not None and sys.version_info < (3, 11):
            with set_config_context(effect.config) as context:
                return context.run(effect.function)
        return effect.function()
    if isinstance(effect, ReadCheckpoint):
        return await effect.saver.aget_tuple(effect.where)
    return [t async for t in effect.saver.alist(effect.where, limit=effect.limit)]
