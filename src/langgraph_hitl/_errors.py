"""The errors of langgraph-hitl: one small tree.

```
HITLError                         base of every error this library raises
├── CheckpointerRequiredError     (TypeError)    the graph has no checkpointer to pause on
├── ParallelToolCallsError        (RuntimeError) a model turn asked for several tool calls
├── NoPendingInterruptError       (RuntimeError) a resume for a thread that waits for nothing
├── ResumeConflictError           (RuntimeError) the thread moved on since the answer was read
├── UnknownInterruptError         (LookupError)  an answer for an interrupt that is not pending
├── AmbiguousResumeError          (ValueError)   a bare answer while several interrupts wait
├── InvalidResumeError            (ValueError)   an answer that fails its interrupt's schema
└── ScriptExhaustedError          (RuntimeError) testing kit: the scripted model ran out
```

Every leaf also subclasses the matching built-in, so `except ValueError` keeps working in
code that does not know this library. None of them is raised after anything was sent to
the graph: the thread stays at the same checkpoint with the same pending interrupts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AmbiguousResumeError",
    "CheckpointerRequiredError",
    "FieldError",
    "HITLError",
    "InvalidResumeError",
    "NoPendingInterruptError",
    "ParallelToolCallsError",
    "ResumeConflictError",
    "ScriptExhaustedError",
    "UnknownInterruptError",
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


class ScriptExhaustedError(HITLError, RuntimeError):
    """`ScriptedChatModel` was called more often than it has scripted responses."""
