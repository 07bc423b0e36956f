"""What one notification sweep decides, written once as a plan (`core._plan`).

`sweep_plan` holds the whole logic of a sweep (see `_sweep.py` for what a sweep
announces, and when) and does no I/O: it yields an `Effect` (statements to run, the
listing, an audit trail, a batch of deliveries) and gets its outcome back. The drivers
in `_sweep.py` carry out those effects, with sync or async I/O.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core import _clock as clock
from ._event import EventName, NotificationEvent, decode, encode, event_of, link_of
from ._outbox_sql import MARKER, Dialect, Step
from ._settings import MAX_BACKOFF, Outcome, OutcomeStatus, Settings, SweepResult

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence
    from datetime import datetime, timedelta

    from ..answers._audit import AuditRecord
    from ..core._pending import PendingInterrupt

__all__ = [
    "Attempt",
    "Claimed",
    "Deliver",
    "Effect",
    "ListPending",
    "ReadAudit",
    "RunSteps",
    "sweep_plan",
]

PURGE_BATCH = 1000
"""At most this many outbox rows are purged per sweep (the rest by the next ones)."""


@dataclass(frozen=True, slots=True)
class RunSteps:
    """Run these statements in one transaction; the rows of the last one come back."""

    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class ListPending:
    """List what is pending now (`Listing.pending`)."""


@dataclass(frozen=True, slots=True)
class ReadAudit:
    """Read the audit trail of a thread (its records come back)."""

    thread_id: str


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this sweep holds the claim of."""

    interrupt_id: str
    thread_id: str
    event: EventName
    channel: str
    payload: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Deliver:
    """Deliver these, renewing the claims of `owner` meanwhile: an `Attempt` each comes back."""

    claimed: tuple[Claimed, ...]
    owner: str


Effect = RunSteps | ListPending | ReadAudit | Deliver
"""What a sweep's plan asks its driver for."""

Attempt = tuple[bool, bool, str | None]
"""How one delivery went: (delivered, worth retrying, error)."""


@dataclass(frozen=True, slots=True)
class _Todo:
    thread_id: str
    interrupt_id: str
    event: EventName
    channel: str
    tool_call_id: str | None
    expires_at: float | None
    payload: str

    def params(self, lease_end: float, owner: str, now: float) -> tuple[str | float | None, ...]:
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


def _by_timeout(records: Sequence[AuditRecord], tool_call_id: str) -> bool:
    return any(r.tool_call_id == tool_call_id and r.source == "timeout" for r in records)


def _backoff(s: Settings, attempts: int) -> float:
    wait: timedelta = min(s.backoff * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
    return wait.total_seconds()


def sweep_plan(s: Settings, d: Dialect) -> Generator[Effect, Any, SweepResult]:
    """One sweep, as a plan: what to read, claim, deliver and record (see the module)."""
    # Rows first, then the listing: a row read here was written for a request that was
    # pending before the listing started, so one missing from the listing is truly gone.
    raw: list[tuple[Any, ...]] = yield RunSteps((Step(d.open_rows()),))
    rows = [_Row(*r) for r in raw]
    pending: list[PendingInterrupt] = yield ListPending()
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
                try:
                    trail: Sequence[AuditRecord] = yield ReadAudit(first.thread_id)
                except TypeError:  # a graph whose state has no messages keeps no audit trail
                    trail = ()
                timed_out = _by_timeout(trail, first.tool_call_id)
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
        yield RunSteps(tuple(writes))

    owner = uuid.uuid4().hex
    outcomes: list[Outcome] = []
    queue = list(todo.values())
    chunk = s.concurrency * 2
    for start in range(0, len(queue), chunk):
        part = queue[start : start + chunk]
        moment = clock.timestamp()
        lease_end = moment + s.lease.total_seconds()
        params = [p for t in sorted(part, key=_key) for p in t.params(lease_end, owner, moment)]
        got: list[tuple[Any, ...]] = yield RunSteps((Step(d.claim(len(part)), [*params, moment]),))
        # Sent oldest request first, whatever order the database returned them in.
        order = {_key(t): n for n, t in enumerate(part)}
        claimed = tuple(
            sorted(
                (
                    Claimed(iid, thread_id, event, channel, payload, attempts)
                    for thread_id, iid, event, channel, payload, attempts in got
                ),
                key=lambda c: order[(c.thread_id, c.interrupt_id, c.event, c.channel)],
            )
        )
        if not claimed:
            continue
        results: list[Attempt] = yield Deliver(claimed, owner)
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
        yield RunSteps((Step(d.record(), records, many=True),))

    # Retention: the oldest closed rows, a batch a sweep. Closed means the request is
    # gone; one listed pending now (it should not be) keeps its rows all the same.
    cutoff = clock.timestamp() - s.retention.total_seconds()
    old: list[tuple[Any, ...]] = yield RunSteps((Step(d.purgeable(PURGE_BATCH), (cutoff, cutoff)),))
    doomed = sorted((*r, cutoff) for r in old if (r[0], r[1]) not in listed)
    if doomed:
        yield RunSteps((Step(d.purge(), doomed, many=True),))
    return SweepResult(outcomes=tuple(outcomes), purged=len(doomed))
