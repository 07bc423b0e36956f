"""The errors of langgraph-hitl: one small tree.

```
HITLError                         base of every error this library raises
├── CheckpointerRequiredError     (TypeError)    the graph has no checkpointer to pause on
├── ParallelToolCallsError        (RuntimeError) a model turn asked for several tool calls
├── RequestsWaitingError          (RuntimeError) new input while requests wait (policy "raise")
├── NoPendingInterruptError       (RuntimeError) a resume for a thread that waits for nothing
├── ResumeConflictError           (RuntimeError) the thread moved on since the answer was read
├── ResumeFailedError             (RuntimeError) the graph failed using an answer: taken back
├── UnknownInterruptError         (LookupError)  an answer for an interrupt that is not pending
├── AmbiguousResumeError          (ValueError)   a bare answer while several interrupts wait
├── InvalidResumeError            (ValueError)   an answer that fails its interrupt's schema
│   └── TimeoutTooEarlyError                     a timeout decision sent before the deadline
├── RequestExpiredError           (ValueError)   a human answer after the request's deadline
├── DatabaseURLError              (ValueError)   a database URL or path that names no database
├── DatabaseUnavailableError      (RuntimeError) a database that cannot be reached or opened
├── ReviewersConfigError          (ValueError)   a bad reviewers mapping or file (web reviewer)
├── InvalidChannelError           (ValueError)   a notification channel set up with bad values
├── DeliveryError                 (RuntimeError) a notification the receiver did not accept
├── ServerError                   (RuntimeError) a LangGraph Server unreachable, or refusing
│   └── RunFailedError                           the server's run with an answer failed
├── InvalidCursorError            (ValueError)   an inbox cursor that is malformed or foreign
├── ScriptExhaustedError          (RuntimeError) testing kit: the scripted model ran out
├── InvalidHistoryError           (ValueError)   testing kit: a history providers refuse
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

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AmbiguousResumeError",
    "CheckpointerRequiredError",
    "DatabaseURLError",
    "DatabaseUnavailableError",
    "DeliveryError",
    "FieldError",
    "HITLError",
    "InvalidChannelError",
    "InvalidHistoryError",
    "InvalidCursorError",
    "InvalidResumeError",
    "NoPendingInterruptError",
    "ParallelToolCallsError",
    "RequestExpiredError",
    "RequestsWaitingError",
    "ResumeConflictError",
    "ResumeFailedError",
    "ReviewersConfigError",
    "RunFailedError",
    "ScriptExhaustedError",
    "ServerError",
    "SwallowedInterruptError",
    "TimeoutTooEarlyError",
    "UnknownInterruptError",
    "UpstreamChangedError",
    "exception_group",
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


class RequestsWaitingError(HITLError, RuntimeError):
    """New user input reached a thread whose tool calls still wait for a human.

    Raised by a `build_hitl_graph(..., on_new_input="raise")` graph before the input is
    saved: the thread stays at the same checkpoint with the same pending requests.
    """

    def __init__(self, message: str, *, waiting: Sequence[tuple[str, str]]) -> None:
        super().__init__(message)
        self.waiting: tuple[tuple[str, str], ...] = tuple(waiting)
        """`(tool name, tool_call_id)` of every call that waits."""


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


class ServerError(HITLError, RuntimeError):
    """A LangGraph Server could not be reached, or refused a request (credentials, ids).

    Raised by the inbox of `Inbox.from_server`; the message names the server and says what
    to check. Nothing was sent when it is raised before a run was accepted.
    """

    def __init__(self, message: str, *, url: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.url: str = url
        """The server's URL."""
        self.status_code: int | None = status_code
        """The HTTP status the server answered with, or None when it was not reached."""


class RunFailedError(ServerError):
    """The server accepted a run with the answer, and the run failed.

    Unlike a local `resume()`, which takes the answer back (`ResumeFailedError`), a remote
    inbox cannot reach the server's checkpoints: whatever the run saved stays saved.
    """

    def __init__(self, message: str, *, run_id: str, status: str, url: str = "") -> None:
        super().__init__(message, url=url)
        self.run_id: str = run_id
        """The server's id of the run that failed."""
        self.status: str = status
        """The run's final status on the server (e.g. `"error"`, `"timeout"`)."""


class InvalidCursorError(HITLError, ValueError):
    """An inbox cursor that is not one, or that was made for a listing with other filters."""


class ScriptExhaustedError(HITLError, RuntimeError):
    """`ScriptedChatModel` was called more often than it has scripted responses."""


class InvalidHistoryError(HITLError, ValueError):
    """`ScriptedChatModel(strict_history=True)` was given a history real providers refuse.

    A tool call without its tool message (or a tool message without its call) makes
    OpenAI, Anthropic and others reject the request; the scripted model fails the same way.
    """


class SwallowedInterruptError(HITLError, RuntimeError):
    """User code caught LangGraph's interrupt exception, so the graph never paused.

    Raised by `testing.detect_swallowed_interrupts()`; see `langgraph_hitl.graph._guard`.
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


class DatabaseURLError(HITLError, ValueError):
    """A database URL or path that is refused: nothing was opened or created.

    Accepted: the path of an existing SQLite file (`agent.db`, `sqlite:///agent.db`) or a
    `postgresql://` URL; a command that only reads and answers never creates a database.
    """


class DatabaseUnavailableError(HITLError, RuntimeError):
    """A database that cannot be reached or opened (server down, wrong password, not SQLite).

    The message names the host and port (never the password) or the file, and the reason;
    the driver's own exception is `__cause__`.
    """


class ReviewersConfigError(HITLError, ValueError):
    """The web reviewer's reviewers (token -> name) cannot be used: malformed, or a weak token.

    Messages name the reviewer, never the token.
    """


class InvalidChannelError(HITLError, ValueError):
    """A notification channel (`notify.Webhook`, `Email`, `Slack`) got a value it cannot use."""


class DeliveryError(HITLError, RuntimeError):
    """A notification was not accepted by its receiver (raised by a channel's `deliver`).

    The sweep records it and, when `retryable`, tries again on a later sweep.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable: bool = retryable
        """Whether a later attempt may succeed (a timeout, a 5xx); False for e.g. a 404."""


def exception_group(message: str, errors: Sequence[Exception]) -> Exception:
    """An `ExceptionGroup` of `errors` (the `exceptiongroup` backport's on Python 3.10).

    Raised where one call finishes its work and then reports several failures at once
    (`Inbox.expire`); `except*` and `exceptiongroup.catch` split it by error type.
    """
    if sys.version_info >= (3, 11):
        import builtins

        return builtins.ExceptionGroup(message, list(errors))
    from exceptiongroup import ExceptionGroup as Backport  # type: ignore[import-not-found,unused-ignore]

    group: Exception = Backport(message, list(errors))
    return group
