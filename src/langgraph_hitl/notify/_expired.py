"""What `Inbox.expire()` leaves in the outbox: a marker per request it answered.

A sweep cannot tell by itself that a request it finds gone was answered by its
`on_timeout` answer rather than by a human (a question keeps no audit trail), nor
learn of a request that came and expired between two sweeps. So `expire()` says so:
right after it answered a request, it writes one row, channel `MARKER`, status `armed`,
with the request's `request.expired` event as its payload. The next sweep arms that
event on each of its channels, in the transaction that marks the marker `sent`, then
sends it: once per channel, whichever process expired the request.

Nothing is written on a database where no sweep ever ran (no outbox table): a
deployment that sends no notifications keeps no markers, and one that starts sending
them is not told of every request that ever expired.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..core import _clock as clock
from ._event import encode, event_of
from ._outbox_sql import MARKER, Step
from ._store import AsyncDb, SyncDb, adb_for, db_for

if TYPE_CHECKING:
    from ..core._pending import PendingInterrupt

__all__ = ["AsyncExpiryRecorder", "ExpiryRecorder"]

logger = logging.getLogger("langgraph_hitl")


def _marker(item: PendingInterrupt) -> tuple[str | float | None, ...]:
    event = event_of(item, "request.expired", link_base=None)
    return (
        item.thread_id or "",
        item.id,
        "request.expired",
        MARKER,
        item.tool_call_id,
        item.expires_at.timestamp() if item.expires_at else None,
        encode(event),
        clock.timestamp(),
    )


def _step(db: SyncDb | AsyncDb, item: PendingInterrupt) -> tuple[Step, ...]:
    return (Step(db.dialect.arm(1), _marker(item)),)


def _warn(item: PendingInterrupt, exc: Exception) -> None:
    # The request is answered either way: expire() must not report it as failed.
    logger.warning(
        "Could not record request.expired of %r (thread %r) for notifications: %r",
        item.id,
        item.thread_id,
        exc,
    )


class ExpiryRecorder:
    """Records, for `expire()`, each request it answered (see the module's docstring)."""

    def __init__(self, saver: object) -> None:
        self._saver = saver
        self._db: SyncDb | None = None
        self._off = False

    def __call__(self, item: PendingInterrupt) -> None:
        if self._off:
            return
        try:
            if self._db is None:
                db = db_for(self._saver)
                if not db.exists():
                    self._off = True
                    return
                self._db = db
            self._db.run(_step(self._db, item))
        except Exception as exc:
            _warn(item, exc)


class AsyncExpiryRecorder:
    """Async twin of `ExpiryRecorder`, for `aexpire()`."""

    def __init__(self, saver: object) -> None:
        self._saver = saver
        self._db: AsyncDb | None = None
        self._off = False

    async def __call__(self, item: PendingInterrupt) -> None:
        if self._off:
            return
        try:
            if self._db is None:
                db = await adb_for(self._saver)
                if not await db.exists():
                    self._off = True
                    return
                self._db = db
            await self._db.run(_step(self._db, item))
        except Exception as exc:
            _warn(item, exc)
