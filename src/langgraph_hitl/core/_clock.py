"""The one clock the library reads: deadlines, claim leases and audit times.

Every "what time is it" of the library goes through `now()`, so a test can move time
with `langgraph_hitl.testing.FakeClock` and `use_clock` instead of sleeping.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    """Returns the current time, timezone-aware (the library compares it with UTC times)."""

    def __call__(self) -> datetime: ...


def utc_now() -> datetime:
    """The real clock: the current time in UTC."""
    return datetime.now(timezone.utc)


_current: Clock = utc_now


def now() -> datetime:
    """The current time of the clock in use (the real UTC clock unless a test set another)."""
    moment = _current()
    if moment.tzinfo is None:
        raise ValueError(
            f"the clock in use returned a naive datetime {moment!r}; "
            "a clock must return timezone-aware times, e.g. datetime.now(timezone.utc)"
        )
    return moment


def timestamp() -> float:
    """`now()` as POSIX seconds: what claim leases store and compare."""
    return now().timestamp()


def swap(clock: Clock) -> Clock:
    """Make `clock` the library's clock; return the one it replaces."""
    global _current
    previous, _current = _current, clock
    return previous
