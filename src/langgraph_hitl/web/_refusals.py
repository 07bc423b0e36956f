"""How a refused answer is told: its HTTP status and error code, and what the page says."""

from __future__ import annotations

from ..core._errors import (
    AmbiguousResumeError,
    HITLError,
    InvalidResumeError,
    NoPendingInterruptError,
    RequestExpiredError,
    ResumeConflictError,
    ResumeFailedError,
    UnknownInterruptError,
)

__all__ = ["friendly", "status_of"]


def status_of(exc: HITLError) -> tuple[int, str]:
    """The HTTP status and error code of a refused answer."""
    table: tuple[tuple[type[HITLError], int, str], ...] = (
        (InvalidResumeError, 422, "invalid_answer"),
        (UnknownInterruptError, 404, "unknown_interrupt"),
        (NoPendingInterruptError, 404, "no_pending_interrupt"),
        (ResumeConflictError, 409, "conflict"),
        (AmbiguousResumeError, 409, "ambiguous"),
        (RequestExpiredError, 410, "expired"),
        (ResumeFailedError, 500, "resume_failed"),
    )
    for kind, status, code in table:
        if isinstance(exc, kind):
            return status, code
    return 400, "refused"


def friendly(exc: HITLError) -> str:
    """What the page tells a reviewer whose answer was not sent."""
    if isinstance(exc, (UnknownInterruptError, NoPendingInterruptError)):
        return (
            "This request is no longer pending: another reviewer answered it first (or it "
            "was withdrawn). Nothing you entered was sent; the list below is up to date."
        )
    if isinstance(exc, ResumeConflictError):
        return (
            "Another reviewer is answering or has answered this request, or the agent moved "
            "on, while you were deciding. Nothing you entered was sent; the list below is up "
            "to date."
        )
    if isinstance(exc, RequestExpiredError):
        return (
            "This request expired before your answer arrived, so its default decision "
            "applies. Nothing you entered was sent."
        )
    return f"Your answer was not sent: {exc}"
