"""The errors of langgraph-hitl: one small tree.

```
HITLError                         base of every error this library raises
├── CheckpointerRequiredError     (TypeError)    the graph has no checkpointer to pause on
├── ParallelToolCallsError        (RuntimeError) a model turn asked for several tool calls
├── NoPendingInterruptError       (RuntimeError) a resume for a thread that waits for nothing
├── ResumeConflictError           (RuntimeError) the thread moved on since the answer was read
├── ResumeFailedError             (RuntimeError) the graph failed using an answer: taken back
├── UnknownInterruptError         (LookupError)  an answer for an interrupt that is not pending
├── AmbiguousResumeError          (ValueError)   a bare answer while several interrupts wait
├── InvalidResumeError            (ValueError)   an answer that fails its interrupt's schema
│   └── TimeoutTooEarlyError                     a timeout decision sent before the deadline
├── RequestExpiredError           (ValueError)   a human answer after the request's deadline
├── InvalidCursorError            (ValueError)   an inbox cursor that is malformed or foreign
├── ScriptExhaustedError          (RuntimeError) testing kit: the scripted model ran out
├── SwallowedInterruptError       (RuntimeError) testing kit: user code caught an interrupt
└── UpstreamChangedError          (ImportError)  a LangGraph/pydantic private detail changed
```

Every leaf also subclasses the matching built-in, so `except ValueError` keeps working in
code that does not know this library. The resume errors are raised before anything is
sent to the graph, so the thread stays at the same checkpoint with the same pending
interrupts; `ResumeFailedError` is raised after a run failed, once the answers that run
consumed have been taken back, which leaves the thread in that same state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AmbiguousResumeError",
    "CheckpointerRequiredError",
    "FieldError",
    "HITLError",
    "InvalidCursorError",
    "InvalidResumeError",
    "NoPendingInterruptError",
    "ParallelToolCallsError",
    "RequestExpiredError",
    "ResumeConflictError",
    "ResumeFailedError",
    "ScriptExhaustedError",
    "SwallowedInterruptError",
    "TimeoutTooEarlyError",
    "UnknownInterruptError",
    "UpstreamChangedError",
]


class HITLError(Exception):
    """Base class of every error raised by langgraph-hitl."""


class CheckpointerRequiredError(HITLError, TypeError):
    """The graph was compiled without a checkpointer, so it cannot pause or resume.

    LangGraph itself returns silently in that case; this library refuses instead.
    """


class ParallelToolCallsError(HITLError, RuntimeError):
    """A model turn asked for several tool calls under the `"raise"` policy.

    The AI message was not saved; the user's input is kept and the thread can run again.
    """

    def __init__(self, message: str, *, tool_calls: Sequence[tuple[str, str | None]]) -> None:
        super().__init__(message)
        self.tool_calls: tuple[tuple[str, str | None], ...] = tuple(tool_calls)
        """`(name, tool_call_id)` of every call in the refused model turn."""


class NoPendingInterruptError(HITLError, RuntimeError):
    """A resume was asked for a thread that waits for no human answer."""


class ResumeConflictError(HITLError, RuntimeError):
    """The thread moved on since the answer's request was read (another reviewer won)."""


class ResumeFailedError(HITLError, RuntimeError):
    """The graph failed while it used an answer; the answer was taken back.

    LangGraph saves an answer before the node that asked for it finishes, so a node that
    fails on it would fail the same way on every later answer. `resume()` takes the
    answer back instead: the thread waits at the same interrupt, so a corrected answer
    (or a fixed node) can be sent again. The graph's own exception is `__cause__`.
    """

    def __init__(
        self, message: str, *, taken_back: Sequence[str], delivered: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.taken_back: tuple[str, ...] = tuple(taken_back)
        """Ids of the interrupts whose answers were taken back: they are pending again."""
        self.delivered: tuple[str, ...] = tuple(delivered)
        """Ids of the interrupts whose answers were used by a node that finished."""


class UnknownInterruptError(HITLError, LookupError):
    """An answer names an interrupt (or tool call) that is not pending on the thread."""

    def __init__(self, message: str, *, unknown: Sequence[str], pending: Sequence[str]) -> None:
        super().__init__(message)
        self.unknown: tuple[str, ...] = tuple(unknown)
        """The keys of the answer that matched no pending interrupt."""
        self.pending: tuple[str, ...] = tuple(pending)
        """The ids of the interrupts that are pending."""

    def __str__(self) -> str:
        # LookupError's __str__ would repr() the message, as KeyError does.
        return str(self.args[0])


class AmbiguousResumeError(HITLError, ValueError):
    """A bare answer was given while several interrupts are pending."""


@dataclass(frozen=True, kw_only=True, slots=True)
class FieldError:
    """One reason an answer was refused."""

    loc: tuple[str | int, ...]
    """Where in the answer the problem is (empty for the answer as a whole)."""
    message: str
    """What is wrong there."""

    def __str__(self) -> str:
        where = ".".join(str(part) for part in self.loc) or "(answer)"
        return f"{where}: {self.message}"


class InvalidResumeError(HITLError, ValueError):
    """An answer does not fit the schema of the interrupt it answers; nothing was sent."""

    def __init__(
        self,
        message: str,
        *,
        errors: Sequence[FieldError] = (),
        interrupt_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.errors: tuple[FieldError, ...] = tuple(errors)
        """Each field error, with its location in the answer."""
        self.interrupt_id: str | None = interrupt_id
        """The interrupt whose schema refused the answer, if there is one."""


class RequestExpiredError(HITLError, ValueError):
    """A human answered a request after its deadline; its `on_timeout` answer applies instead."""


class InvalidCursorError(HITLError, ValueError):
    """An inbox cursor that is not one, or that was made for a listing with other filters."""


class ScriptExhaustedError(HITLError, RuntimeError):
    """`ScriptedChatModel` was called more often than it has scripted responses."""


class SwallowedInterruptError(HITLError, RuntimeError):
    """User code caught LangGraph's interrupt exception, so the graph never paused.

    Raised by `testing.detect_swallowed_interrupts()`; see `langgraph_hitl._guard`.
    """

    def __init__(self, message: str, *, where: Sequence[str]) -> None:
        super().__init__(message)
        self.where: tuple[str, ...] = tuple(where)
        """For each swallowed interrupt: where `interrupt()` was called and where it was caught."""


class TimeoutTooEarlyError(InvalidResumeError):
    """A decision sent as the system (`TIMEOUT_REVIEWER`) before the request's deadline.

    `Inbox.expire(now=...)` with a `now` later than the clock meets it for approvals: it
    skips them, since their tool will not take a timeout decision early.
    """


class UpstreamChangedError(HITLError, ImportError):
    """An upstream private detail this library relies on is gone or changed.

    Raised when the package is imported (or a saver is first used) by `_compat`, which
    names the detail, the installed versions and the supported ranges.
    """
