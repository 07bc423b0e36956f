"""One notification sweep: what is due, claimed, delivered and recorded.

The logic is written once, as a generator (`_plan`) that yields what it needs done, the
database steps, the inbox listing, an audit lookup, a batch of deliveries, and gets the
results back. `sweep` and `asweep` are the two small drivers that do those things, with
sync or async I/O; deliveries run in a bounded pool of threads in both.

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
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from ..answers._audit import aaudit_trail, audit_trail
from ..core import _clock as clock
from ..core._errors import DeliveryError
from ..core._pending import saver_of
from ._channels import Channel, Delivery
from ._event import (
    EventName,
    NotificationEvent,
    decode,
    encode,
    event_of,
    idempotency_key,
    link_of,
)
from ._settings import (
    MAX_BACKOFF,
    Outcome,
    OutcomeStatus,
    Settings,
    SweepOptions,
    SweepResult,
    settings,
)
from ._store import MARKER, AsyncDb, Dialect, Step, SyncDb, adb_for, db_for

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Sequence
    from datetime import datetime, timedelta

    from langchain_core.runnables import RunnableConfig
    from langgraph.pregel import Pregel
    from typing_extensions import Unpack

    from ..answers._audit import AuditRecord
    from ..core._pending import PendingInterrupt

__all__ = ["Listing", "asweep", "sweep"]

logger = logging.getLogger("langgraph_hitl")

PURGE_BATCH = 1000
"""At most this many outbox rows are purged per sweep (the rest by the next ones)."""


class Listing(Protocol):
    """What a sweep needs of an `Inbox`: its graph and its listings (so no import of it)."""

    @property
    def graph(self) -> Pregel[Any, Any, Any, Any]: ...

    def pending(self) -> list[PendingInterrupt]: ...

    async def apending(self) -> list[PendingInterrupt]: ...


# -- what the plan asks its driver for ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Db:
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class _List:
    pass


@dataclass(frozen=True, slots=True)
class _TimedOut:
    thread_id: str
    tool_call_id: str


@dataclass(frozen=True, slots=True)
class _Claimed:
    interrupt_id: str
    thread_id: str
    event: EventName
    channel: str
    payload: str
    attempts: int


@dataclass(frozen=True, slots=True)
class _Send:
    claimed: tuple[_Claimed, ...]
    owner: str


_Op = _Db | _List | _TimedOut | _Send


@dataclass(frozen=True, slots=True)
class _Todo:
    thread_id: str
    interrupt_id: str
    event: EventName
    channel: str
    tool_call_id: str | None
    expires_at: float | None
    payload: str

    def params(self, lease_end: float, owner: str, now: float) -> tuple[Any, ...]:
        return (
            self.thread_id,
            self.interrupt_id,
            self.event,
            self.channel,
            self.tool_call_id,
            self.expires_at,
            self.payload,
            lease_end,
            owner,
            now,
        )


@dataclass(frozen=True, slots=True)
class _Row:
    thread_id: str
    interrupt_id: str
    event: EventName
    channel: str
    status: str
    attempts: int
    next_at: float
    tool_call_id: str | None
    expires_at: float | None
    payload: str

    def due(self, now: float) -> bool:
        return self.status in ("retry", "sending") and self.next_at <= now

    def todo(self, event: EventName, payload: str) -> _Todo:
        return _Todo(
            self.thread_id,
            self.interrupt_id,
            event,
            self.channel,
            self.tool_call_id,
            self.expires_at,
            payload,
        )


def _todo(item: PendingInterrupt, event: EventName, channel: str, s: Settings) -> _Todo:
    tool_call_id = item.tool_call_id
    return _Todo(
        item.thread_id or "",
        item.id,
        event,
        channel,
        tool_call_id,
        item.expires_at.timestamp() if item.expires_at else None,
        encode(event_of(item, event, link_base=s.link_base)),
    )


def _key(todo: _Todo) -> tuple[str, str, str, str]:
    return (todo.thread_id, todo.interrupt_id, todo.event, todo.channel)


def _reminder_due(item: PendingInterrupt, now: datetime, before: timedelta | None) -> bool:
    if before is None or item.expires_at is None:
        return False
    opens = item.expires_at - before
    if item.created_at is not None and item.created_at >= opens:
        return False  # raised inside the window: its request.created says when it expires
    return opens <= now < item.expires_at


def _as_expired(payload: str) -> str:
    event: NotificationEvent = decode(payload)
    event["event"] = "request.expired"
    return encode(event)


def _overdue(row: _Row, stamp: float) -> bool:
    return row.expires_at is not None and row.expires_at <= stamp


def _expired_todo(rows: list[_Row], channel: str, s: Settings) -> _Todo:
    """The `request.expired` of a gone request (`rows`, all its open rows) on `channel`.

    The very body the channel was sent, as `request.created`, with the event changed;
    for a channel never told of the request, the same built from any row of it, its
    link this sweep's.
    """
    for row in rows:
        if row.channel == channel and row.event == "request.created":
            return row.todo("request.expired", _as_expired(row.payload))
    base = rows[0]
    event: NotificationEvent = decode(base.payload)
    event["event"] = "request.expired"
    event["link"] = link_of(s.link_base, base.thread_id, base.interrupt_id)
    return _Todo(
        base.thread_id,
        base.interrupt_id,
        "request.expired",
        channel,
        base.tool_call_id,
        base.expires_at,
        encode(event),
    )


def _backoff(s: Settings, attempts: int) -> float:
    wait: timedelta = min(s.backoff * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    return wait.total_seconds()


def _plan(s: Settings, d: Dialect) -> Generator[_Op, Any, SweepResult]:
    # Rows first, then the listing: a row read here was written for a request that was
    # pending before the listing started, so one missing from the listing is truly gone.
    raw: list[tuple[Any, ...]] = yield _Db((Step(d.open_rows()),))
    rows = [_Row(*r) for r in raw]
    pending: list[PendingInterrupt] = yield _List()
    now = clock.now()
    stamp = now.timestamp()
    known = {(r.thread_id, r.interrupt_id, r.event, r.channel): r for r in rows}
    todo: dict[tuple[str, str, str, str], _Todo] = {}
    arms: list[_Todo] = []

    def want(item: _Todo) -> None:
        todo.setdefault((item.thread_id, item.interrupt_id, item.event, item.channel), item)

    listed: set[tuple[str, str]] = set()
    for item in pending:
        thread = item.thread_id or ""
        listed.add((thread, item.id))
        events: list[EventName] = ["request.created"]
        if _reminder_due(item, now, s.remind_before):
            events.append("request.reminder")
        overdue = item.expires_at is not None and item.expires_at <= now
        for key in s.channels:
            for event in events:
                row = known.get((thread, item.id, event, key))
                if row is None or row.due(stamp):
                    want(_todo(item, event, key, s))
            announced = (thread, item.id, "request.created", key) in known
            if overdue and announced and (thread, item.id, "request.expired", key) not in known:
                arms.append(_todo(item, "request.expired", key, s))

    gone: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        if (row.thread_id, row.interrupt_id) not in listed:
            gone.setdefault((row.thread_id, row.interrupt_id), []).append(row)
    consumed: list[tuple[float, str, str]] = []
    for (thread, iid), its in gone.items():
        expired = {r.channel: r for r in its if r.event == "request.expired"}
        for key, row in expired.items():
            if key in s.channels and (row.status == "armed" or row.due(stamp)):
                want(row.todo("request.expired", row.payload))
        marker = expired.pop(MARKER, None)
        if marker is not None:
            consumed.append((stamp, thread, iid))
        # Expired: expire() said so (its marker), or a sweep saw it pending when overdue
        # (its armed rows), or, for an approval, its audit trail says a timeout answered.
        timed_out = marker is not None or bool(expired)
        created = [r for r in its if r.event == "request.created" and r.channel in s.channels]
        if not timed_out and created:
            first = created[0]
            if first.tool_call_id is not None and _overdue(first, stamp):
                timed_out = yield _TimedOut(first.thread_id, first.tool_call_id)
        if timed_out:
            for key in s.channels:
                if key not in expired:
                    # Armed in the transaction that closes the request's rows: a sweeper
                    # that dies before it claims them leaves them to the next sweep.
                    arms.append(_expired_todo(its, key, s))
                    want(arms[-1])

    # Every write below touches its rows in key order: two sweepers' transactions then
    # take PostgreSQL's row locks in the same order, and cannot deadlock.
    writes: list[Step] = []
    if arms:
        armed = [(*a.params(0, "", stamp)[:7], stamp) for a in sorted(arms, key=_key)]
        writes.append(Step(d.arm(1), armed, many=True))
    if gone:
        writes.append(Step(d.close(), [(stamp, *k) for k in sorted(gone)], many=True))
    if consumed:
        writes.append(Step(d.consume(), sorted(consumed, key=lambda c: c[1:]), many=True))
    if writes:
        yield _Db(tuple(writes))

    owner = uuid.uuid4().hex
    outcomes: list[Outcome] = []
    queue = list(todo.values())
    chunk = s.concurrency * 2
    for start in range(0, len(queue), chunk):
        part = queue[start : start + chunk]
        moment = clock.timestamp()
        lease_end = moment + s.lease.total_seconds()
        params = [p for t in sorted(part, key=_key) for p in t.params(lease_end, owner, moment)]
        got: list[tuple[Any, ...]] = yield _Db((Step(d.claim(len(part)), [*params, moment]),))
        # Sent oldest request first, whatever order the database returned them in.
        order = {_key(t): n for n, t in enumerate(part)}
        claimed = tuple(
            sorted(
                (
                    _Claimed(iid, thread_id, event, channel, payload, attempts)
                    for thread_id, iid, event, channel, payload, attempts in got
                ),
                key=lambda c: order[(c.thread_id, c.interrupt_id, c.event, c.channel)],
            )
        )
        if not claimed:
            continue
        results: list[tuple[bool, bool, str | None]] = yield _Send(claimed, owner)
        moment = clock.timestamp()
        records = []
        for c, (ok, retryable, error) in zip(claimed, results, strict=True):
            status: OutcomeStatus
            if ok:
                status, next_at = "sent", moment
            elif retryable and c.attempts < s.max_attempts:
                status, next_at = "retry", moment + _backoff(s, c.attempts)
            else:
                status, next_at = "failed", moment
            final = c.event == "request.expired" and status != "retry"
            records.append(
                (
                    status,
                    next_at,
                    error,
                    int(final),
                    moment,
                    c.thread_id,
                    c.interrupt_id,
                    c.event,
                    c.channel,
                    owner,
                )
            )
            outcomes.append(
                Outcome(
                    interrupt_id=c.interrupt_id,
                    thread_id=c.thread_id,
                    event=c.event,
                    channel=c.channel,
                    status=status,
                    attempts=c.attempts,
                    error=error,
                )
            )
        records.sort(key=lambda r: r[5:9])
        yield _Db((Step(d.record(), records, many=True),))

    # Retention: the oldest closed rows, a batch a sweep. Closed means the request is
    # gone; one listed pending now (it should not be) keeps its rows all the same.
    cutoff = clock.timestamp() - s.retention.total_seconds()
    old: list[tuple[Any, ...]] = yield _Db((Step(d.purgeable(PURGE_BATCH), (cutoff, cutoff)),))
    doomed = sorted((*r, cutoff) for r in old if (r[0], r[1]) not in listed)
    if doomed:
        yield _Db((Step(d.purge(), doomed, many=True),))
    return SweepResult(outcomes=tuple(outcomes), purged=len(doomed))


def _attempt(s: Settings, claimed: _Claimed) -> tuple[bool, bool, str | None]:
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


def _by_timeout(records: Sequence[AuditRecord], tool_call_id: str) -> bool:
    return any(r.tool_call_id == tool_call_id and r.source == "timeout" for r in records)


def _close_all(s: Settings) -> None:
    for channel in s.channels.values():
        channel.close()


def _renew_step(db: SyncDb | AsyncDb, s: Settings, owner: str) -> tuple[Step, ...]:
    until = clock.timestamp() + s.lease.total_seconds()
    return (Step(db.dialect.renew(), (until, owner)),)


def _renew(db: SyncDb, s: Settings, owner: str) -> None:
    db.run(_renew_step(db, s, owner))


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
    plan = _plan(s, db.dialect)
    try:
        with ThreadPoolExecutor(s.concurrency, thread_name_prefix="langgraph-hitl-notify") as pool:
            answer: Any = None
            while True:
                op = plan.send(answer)
                if isinstance(op, _Db):
                    answer = db.run(op.steps)
                elif isinstance(op, _List):
                    answer = inbox.pending()
                elif isinstance(op, _TimedOut):
                    answer = _sync_timed_out(graph, op)
                else:
                    renew = partial(_renew, db, s, op.owner)
                    with _Renewing(renew, max(s.lease.total_seconds() / 3, 0.01)):
                        answer = list(pool.map(partial(_attempt, s), op.claimed))
    except StopIteration as stop:
        result: SweepResult = stop.value
        return result
    finally:
        _close_all(s)


def _sync_timed_out(graph: Pregel[Any, Any, Any, Any], op: _TimedOut) -> bool:
    try:
        return _by_timeout(audit_trail(graph, _config(op.thread_id)), op.tool_call_id)
    except TypeError:  # a graph whose state has no messages keeps no audit trail
        return False


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
    every = max(s.lease.total_seconds() / 3, 0.01)
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
    plan = _plan(s, db.dialect)
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(s.concurrency, thread_name_prefix="langgraph-hitl-notify")
    try:
        answer: Any = None
        while True:
            op = plan.send(answer)
            if isinstance(op, _Db):
                answer = await db.run(op.steps)
            elif isinstance(op, _List):
                answer = await inbox.apending()
            elif isinstance(op, _TimedOut):
                try:
                    trail = await aaudit_trail(graph, _config(op.thread_id))
                    answer = _by_timeout(trail, op.tool_call_id)
                except TypeError:
                    answer = False
            else:
                heartbeat = asyncio.create_task(_renew_forever(db, s, op.owner))
                try:
                    answer = await asyncio.gather(
                        *(loop.run_in_executor(pool, _attempt, s, c) for c in op.claimed)
                    )
                finally:
                    heartbeat.cancel()
                    await asyncio.gather(heartbeat, return_exceptions=True)
    except StopIteration as stop:
        result: SweepResult = stop.value
        return result
    finally:
        await asyncio.to_thread(pool.shutdown)
        await asyncio.to_thread(_close_all, s)
