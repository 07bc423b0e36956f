"""Where code that swallows LangGraph's interrupt is caught: `detect_swallowed_interrupts`.

`interrupt()` pauses a graph by raising `GraphInterrupt`, an `Exception`. A tool or node
that wraps its work in `try: ... except Exception:` catches it too, and then the graph
never pauses: the tool returns its fallback, the human is never asked, and nothing fails.

`detect_swallowed_interrupts()` watches every `GraphInterrupt` raised inside its block (in
any thread or task the block starts) and, on exit, fails with `SwallowedInterruptError`
for each one that did not make it back to LangGraph, naming where `interrupt()` was called
and where the exception was caught::

    with detect_swallowed_interrupts():
        graph.invoke({"messages": [("user", "Need an expert")]}, config)

The fix in the user's code is to let LangGraph's exception through before a broad handler:
`except GraphBubbleUp: raise` (from `langgraph.errors`) ahead of `except Exception:`.

How it knows: an exception's traceback holds the frames it unwound, up to the one that
caught it. A `GraphInterrupt` that LangGraph caught was last handled in a `langgraph.*`
frame; one whose last frame is user code was swallowed there.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core._compat import GraphInterrupt, hook_graph_interrupt, interrupts_of
from ..core._errors import SwallowedInterruptError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from types import TracebackType

__all__ = ["InterruptWatch", "SwallowedInterrupt", "detect_swallowed_interrupts"]

_watching: ContextVar[list[GraphInterrupt] | None] = ContextVar(
    "langgraph_hitl_watching", default=None
)
_install_lock = threading.Lock()
_installed = 0


def _record(exc: GraphInterrupt) -> None:
    seen = _watching.get()
    if seen is not None:
        seen.append(exc)


@contextmanager
def _recording() -> Iterator[None]:
    # `interrupt()` offers no hook, so the constructor is wrapped while a watch is open.
    # The wrapper only records when the running context opened a watch.
    global _installed
    with _install_lock:
        if _installed == 0:
            hook_graph_interrupt(_record)
        _installed += 1
    try:
        yield
    finally:
        with _install_lock:
            _installed -= 1
            if _installed == 0:
                hook_graph_interrupt(None)


@dataclass(frozen=True, kw_only=True, slots=True)
class SwallowedInterrupt:
    """One interrupt that user code caught before LangGraph could pause on it."""

    interrupt_id: str
    """The id of the interrupt that was lost."""
    value: Any
    """The value `interrupt()` was called with."""
    raised_at: str
    """Where `interrupt()` was called: `file:line in function`."""
    caught_at: str
    """Where the exception stopped: the handler that swallowed it, `file:line in function`."""

    def __str__(self) -> str:
        return (
            f"interrupt({self.value!r}) called at {self.raised_at} was caught at {self.caught_at}"
        )


def _module(tb: TracebackType) -> str:
    return str(tb.tb_frame.f_globals.get("__name__", ""))


def _where(tb: TracebackType) -> str:
    code = tb.tb_frame.f_code
    return f"{code.co_filename}:{tb.tb_lineno} in {code.co_name}"


def _frames(exc: BaseException) -> list[TracebackType]:
    frames: list[TracebackType] = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    return frames


def _by_langgraph(frames: Sequence[TracebackType]) -> bool:
    return _module(frames[0]).startswith("langgraph.")


@dataclass(slots=True)
class InterruptWatch:
    """What `detect_swallowed_interrupts` saw; `swallowed` is complete once the block ends."""

    _raised: list[GraphInterrupt] = field(default_factory=list)
    _escaped: set[int] = field(default_factory=set)

    @property
    def swallowed(self) -> list[SwallowedInterrupt]:
        """Every interrupt raised in the block that LangGraph never saw, in raise order."""
        handled: set[str] = set()
        lost: dict[str, SwallowedInterrupt] = {}
        for exc in self._raised:
            frames = _frames(exc)
            if not frames or id(exc) in self._escaped:
                continue  # built but never raised, or it left the block (not swallowed)
            items = interrupts_of(exc)
            if _by_langgraph(frames):
                handled.update(item.id for item in items)
                continue
            inner = [tb for tb in frames if not _module(tb).startswith("langgraph.types")]
            raised_at = _where(inner[-1] if inner else frames[-1])
            for item in items:
                lost.setdefault(
                    item.id,
                    SwallowedInterrupt(
                        interrupt_id=item.id,
                        value=item.value,
                        raised_at=raised_at,
                        caught_at=_where(frames[0]),
                    ),
                )
        return [entry for interrupt_id, entry in lost.items() if interrupt_id not in handled]


@contextmanager
def detect_swallowed_interrupts(*, raise_on_exit: bool = True) -> Iterator[InterruptWatch]:
    """Fail when code run in the block catches an interrupt that LangGraph should get.

    Wrap a graph run (sync or async) or a tool call made inside a graph. Threads and
    tasks that LangGraph starts for the run are watched too. Blocks may nest.

    Args:
        raise_on_exit: Raise `SwallowedInterruptError` when the block ends and an
            interrupt was swallowed. With False, read `watch.swallowed` instead.

    Raises:
        SwallowedInterruptError: An interrupt raised in the block was caught by user code.
            When the block itself raised, that exception is its `__cause__`.
    """
    watch = InterruptWatch()
    token = _watching.set(watch._raised)
    failure: BaseException | None = None
    with _recording():
        try:
            yield watch
        except BaseException as exc:
            failure = exc
            if isinstance(exc, GraphInterrupt):
                watch._escaped.add(id(exc))
            raise
        finally:
            _watching.reset(token)
            swallowed = watch.swallowed
            if raise_on_exit and swallowed:
                raise _error(swallowed) from failure


def _error(swallowed: Sequence[SwallowedInterrupt]) -> SwallowedInterruptError:
    listed = "; ".join(str(entry) for entry in swallowed)
    return SwallowedInterruptError(
        f"{len(swallowed)} interrupt(s) never reached LangGraph, so the graph did not pause "
        f"for the human: {listed}. A broad `except Exception:` catches LangGraph's "
        "GraphInterrupt; let it through first with `except GraphBubbleUp: raise` "
        "(from langgraph.errors), or catch narrower exceptions.",
        where=[f"{entry.raised_at} -> {entry.caught_at}" for entry in swallowed],
    )
