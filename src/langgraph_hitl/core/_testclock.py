"""A clock a test moves by hand: deadlines and leases without sleeping."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from . import _clock

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._clock import Clock


class FakeClock:
    """A clock that stands still until the test moves it.

    Install it with `use_clock`; every deadline, claim lease and audit time of the library
    then reads it. Deadlines are still counted from the checkpoint's own (real) time, so
    the clock starts at the real current time by default.
    """

    def __init__(self, start: datetime | None = None) -> None:
        """Start at `start` (timezone-aware), or at the real current UTC time."""
        moment = start if start is not None else datetime.now(timezone.utc)
        if moment.tzinfo is None:
            raise ValueError(f"FakeClock needs a timezone-aware start, got {moment!r}")
        self._now = moment
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by `delta` (never back); return the new time."""
        if delta < timedelta(0):
            raise ValueError(f"a FakeClock only moves forward; got {delta!r}")
        with self._lock:
            self._now += delta
            return self._now

    def advance_to(self, moment: datetime) -> datetime:
        """Move the clock to `moment` (timezone-aware, not before now); return it.

        For a time read off a request, e.g. `clock.advance_to(item.expires_at)`: a
        deadline counts from its checkpoint's real time, a moment after the clock was made
        that a fixed `advance` can only guess (on a loaded machine, seconds).
        """
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise ValueError(f"advance_to needs a timezone-aware datetime, got {moment!r}")
        with self._lock:
            if moment < self._now:
                raise ValueError(
                    f"a FakeClock only moves forward; {moment.isoformat()} is before its "
                    f"time, {self._now.isoformat()}"
                )
            self._now = moment
            return self._now


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    """Make `clock` the library's clock in this process for the `with` block.

    Example::

        clock = FakeClock()
        with use_clock(clock):
            graph.invoke(inputs, config)          # pauses with a 4-hour deadline
            clock.advance(timedelta(hours=4))
            Inbox(graph).expire()                 # applies the on_timeout answer
    """
    previous = _clock.swap(clock)
    try:
        yield clock
    finally:
        _clock.swap(previous)
