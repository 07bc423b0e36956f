"""What the answer path asks to have done: its effects, plain data.

The guarded answer (`_send`) and the take-back of a used answer (`_rollback`) are plans:
generators that yield these effects and get their results back. The drivers in `_send`
carry them out, one with sync calls, one with awaits; no effect decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    from langchain_core.runnables import RunnableConfig
    from langgraph.types import Command, GraphOutput

    from ..store._lease import Lease

__all__ = [
    "Beat",
    "Claim",
    "Effect",
    "Invoke",
    "Load",
    "Plan",
    "Read",
    "Renew",
    "Unclaim",
    "Write",
]


# -- the thread's checkpoints ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Read:
    """Read what waits on the thread (`Wait`)."""

    config: RunnableConfig


@dataclass(frozen=True, slots=True)
class Load:
    """Load the thread's latest checkpoint tuple, with its pending writes."""

    config: RunnableConfig


@dataclass(frozen=True, slots=True)
class Write:
    """Save writes for a task of a checkpoint (`put_writes`)."""

    config: RunnableConfig
    writes: Sequence[tuple[str, Any]]
    task_id: str


@dataclass(frozen=True, slots=True)
class Invoke:
    """Run the graph with `command`."""

    command: Command[Any]
    config: RunnableConfig
    kwargs: dict[str, Any] = field(default_factory=dict)


# -- the thread's claim ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """Claim the thread: the lease's expiry, or None when another answer holds it."""

    thread_id: str
    owner: str
    seconds: float


@dataclass(frozen=True, slots=True)
class _OnLease:
    lease: Lease


class Beat(_OnLease):
    """Start renewing the claim while the answer runs."""

    __slots__ = ()


class Renew(_OnLease):
    """Renew the claim now: the new expiry, or None when it is lost."""

    __slots__ = ()


class Unclaim(_OnLease):
    """Stop renewing and release the claim (never fails: a claim left behind lapses)."""

    __slots__ = ()


Effect: TypeAlias = "Read | Load | Write | Invoke | Claim | Beat | Renew | Unclaim"
Plan: TypeAlias = "Generator[Effect, Any, GraphOutput[Any]]"
"""An answer's plan: it yields effects, gets each one's result, and returns the graph's output."""
