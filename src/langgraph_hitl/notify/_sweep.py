"""One notification sweep: what is due, claimed, delivered and recorded.

The logic is written once, as a plan (`_sweep_plan.sweep_plan`) that yields what it needs
done, the database steps, the inbox listing, an audit lookup, a batch of deliveries, and
gets the results back. `sweep` and `asweep` are the two small drivers that do those
things, with sync or async I/O (`core._plan.drive` / `adrive`); deliveries run in a
bounded pool of threads in both.

Per sweep, for each pending request and channel: a `request.created` once; a
`request.reminder` once its deadline is within `remind_before` (unless the request was
raised inside that window: its first notification already says when it expires); a
`request.expired` once it is gone and `Inbox.expire()` answered it. How the sweep knows
that last one: `expire()` leaves a marker row for each request it answers
(`_expired.py`), which the sweep turns into one armed `request.expired` per channel;
should that marker be missing (`expire()` died between its answer and the marker), a
request seen pending after its deadline can only have been answered by its
`on_timeout` answer (the library refuses a human's), so the sweep arms its
`request.expired` then, and an approval that went between two sweeps is looked up in
the thread's audit trail (`source == "timeout"`). Last, the rows of finished requests
older than the retention are purged, a batch per sweep.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from ..answers._audit import aaudit_trail, audit_trail
from ..core import _clock as clock
from ..core._errors import DeliveryError
from ..core._pending import saver_of
from ..core._plan import adrive, drive
from ._channels import Channel, Delivery
from ._event import decode, idempotency_key
from ._outbox_sql import Step
from ._settings import Settings, SweepOptions, SweepResult, settings
from ._store import AsyncDb, SyncDb, adb_for, db_for
from ._sweep_plan import Attempt, Claimed, Deliver, Effect, ListPending, ReadAudit, sweep_plan

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import timedelta

    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel
    from typing_extensions import Unpack

    from ..core._pending import PendingInterrupt

__all__ = ["Listing", "asweep", "sweep"]

logger = logging.getLogger("langgraph_hitl")


class Listing(Protocol):
    """What a sweep needs of an `Inbox`: its graph and its listings (so no import of it)."""

    @property
    def graph(self) -> Pregel[Any, Any, Any, Any]: ...

    def pending(self) -> list[PendingInterrupt]: ...

    async def apending(self) -> list[PendingInterrupt]: ...


def _attempt(s: Settings, claimed: Claimed) -> Attempt:
    """Deliver one claimed notification: (delivered, worth retrying, error)."""
    delivery = Delivery(
        event=decode(claimed.payload),
        body=claimed.payload.encode(),
        idempotency_key=idempotency_key(claimed.interrupt_id, claimed.event),
        attempt=claimed.attempts,
    )
    try:
        s.channels[claimed.channel].deliver(delivery)
    except DeliveryError as exc:
        return False, exc.retryable, str(exc)
    except Exception as exc:  # a channel's bug must not stop the other deliveries
        return False, True, f"{type(exc).__name__}: {exc}"
    return True, False, None


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _close_all(s: Settings) -> None:
    for channel in s.channels.values():
        channel.close()


def _renew_step(db: SyncDb | AsyncDb, s: Settings, owner: str) -> tuple[Step, ...]:
    until = clock.timestamp() + s.lease.total_seconds()
    return (Step(db.dialect.renew(), (until, owner)),)


def _renew(db: SyncDb, s: Settings, owner: str) -> None:
    db.run(_renew_step(db, s, owner))


def _renew_every(s: Settings) -> float:
    return max(s.lease.total_seconds() / 3, 0.01)


def sweep(
    inbox: Listing,
    channels: Sequence[Channel],
    *,
    remind_before: timedelta | None = None,
    **options: Unpack[SweepOptions],
) -> SweepResult:
    """One notification sweep over `inbox` (see `Inbox.notify`)."""
    s = settings(channels, remind_before, options)
    graph: Pregel[Any, Any, Any, Any] = inbox.graph
    db = db_for(saver_of(graph))
    try:
        with ThreadPoolExecutor(s.concurrency, thread_name_prefix="langgraph-hitl-notify") as pool:

            def do(op: Effect) -> object:
                if isinstance(op, ListPending):
                    return inbox.pending()
                if isinstance(op, ReadAudit):
                    return audit_trail(graph, _config(op.thread_id))
                if isinstance(op, Deliver):
                    with _Renewing(partial(_renew, db, s, op.owner), _renew_every(s)):
                        return list(pool.map(partial(_attempt, s), op.claimed))
                return db.run(op.steps)

            return drive(sweep_plan(s, db.dialect), do)
    finally:
        _close_all(s)


class _Renewing:
    """Renews this sweep's delivery claims every `every` seconds, in a thread, while used."""

    def __init__(self, renew: Callable[[], None], every: float) -> None:
        self._renew = renew
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="langgraph-hitl-notify-claims")

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._renew()
            except Exception as exc:  # a missed renewal only shortens the lease: say so
                logger.warning("Could not renew notification claims: %r; retrying.", exc)

    def __enter__(self) -> None:
        self._thread.start()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def _renew_forever(db: AsyncDb, s: Settings, owner: str) -> None:
    every = _renew_every(s)
    while True:
        await asyncio.sleep(every)
        try:
            await db.run(_renew_step(db, s, owner))
        except Exception as exc:  # a missed renewal only shortens the lease: say so
            logger.warning("Could not renew notification claims: %r; retrying.", exc)


async def asweep(
    inbox: Listing,
    channels: Sequence[Channel],
    *,
    remind_before: timedelta | None = None,
    **options: Unpack[SweepOptions],
) -> SweepResult:
    """Async twin of `sweep` (for async checkpointers; deliveries still run in threads)."""
    s = settings(channels, remind_before, options)
    graph: Pregel[Any, Any, Any, Any] = inbox.graph
    db = await adb_for(saver_of(graph))
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(s.concurrency, thread_name_prefix="langgraph-hitl-notify")

    async def ado(op: Effect) -> object:
        if isinstance(op, ListPending):
            return await inbox.apending()
        if isinstance(op, ReadAudit):
            return await aaudit_trail(graph, _config(op.thread_id))
        if isinstance(op, Deliver):
            heartbeat = asyncio.create_task(_renew_forever(db, s, op.owner))
            try:
                return await asyncio.gather(
                    *(loop.run_in_executor(pool, _attempt, s, c) for c in op.claimed)
                )
            finally:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
        return await db.run(op.steps)

    try:
        return await adrive(sweep_plan(s, db.dialect), ado)
    finally:
        await asyncio.to_thread(pool.shutdown)
        await asyncio.to_thread(_close_all, s)
