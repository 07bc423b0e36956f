"""Answering from the inbox: one request (`Inbox.resume`) and the deadline sweep (`expire`).

An answer goes through the same guarded path as `resume()` (`answers._send`: the thread
claimed in the database, so two reviewers or processes answering one request cannot both
act), with the inbox's lease. The sweep is a plan (`core._plan`) over the listing's effects
and two of its own, `Answer` and `Record`, which `Inbox` carries out sync or async.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from ..answers._send import answer_plan
from ..core import _clock as clock
from ..core._errors import (
    NoPendingInterruptError,
    ResumeConflictError,
    TimeoutTooEarlyError,
    UnknownInterruptError,
    exception_group,
)
from ..store._cursor import Filters
from ._bounds import Bounds
from ._listing import PAGE_SIZE, ListingEffect, Outcome, Reader

if TYPE_CHECKING:
    from datetime import datetime, timedelta

    from ..answers._effects import Plan as AnswerPlan
    from ..core._pending import PendingInterrupt
    from ._progress import ProgressCallback

__all__ = ["Answer", "Effect", "Record", "answering", "expire_plan"]


@dataclass(frozen=True, slots=True)
class Answer:
    """Carry this answer plan (`answers._send`) out on the graph; gives None."""

    plan: AnswerPlan


@dataclass(frozen=True, slots=True)
class Record:
    """Note that the sweep answered `item`: its `request.expired`, left in the
    notification outbox for the next `notify` sweep (where one ran); gives None."""

    item: PendingInterrupt


Effect: TypeAlias = "ListingEffect | Answer | Record"
"""Every effect of the inbox's plans."""


def answering(
    thread_id: str,
    answer: object,
    *,
    lease: timedelta,
    expect_checkpoint: str | None,
    expect_version: str | None,
    system: bool,
    invoke_kwargs: dict[str, Any],
) -> AnswerPlan:
    """The plan of an answer to `thread_id`; the system's (`expire`) may come late."""
    return answer_plan(
        {"configurable": {"thread_id": thread_id}},
        answer,
        expect_checkpoint=expect_checkpoint,
        expect_version=expect_version,
        refuse_late=not system,
        lease=lease.total_seconds(),
        invoke_kwargs=invoke_kwargs,
    )


def _expired(item: PendingInterrupt, now: datetime) -> bool:
    return item.expires_at is not None and item.expires_at <= now


def _has_timeout(item: PendingInterrupt) -> bool:
    return isinstance(item.value, Mapping) and "on_timeout" in item.value


def _timeout_answer(item: PendingInterrupt) -> object:
    """The answer a request's tool published for its deadline (`value["on_timeout"]`)."""
    return item.value.get("on_timeout") if isinstance(item.value, Mapping) else None


def _timeout_plan(item: PendingInterrupt, lease: timedelta) -> AnswerPlan:
    """The system's answer to an overdue request: its `on_timeout` answer."""
    assert item.thread_id is not None
    return answering(
        item.thread_id,
        {item.id: _timeout_answer(item)},
        lease=lease,
        expect_checkpoint=None,
        expect_version=None,
        system=True,
        invoke_kwargs={},
    )


def expire_plan(
    reader: Reader,
    *,
    lease: timedelta,
    now: datetime | None,
    on_progress: ProgressCallback | None,
) -> Generator[Effect, Outcome, list[PendingInterrupt]]:
    """The plan of `Inbox.expire`: list what is overdue, answer each, then report."""
    moment = now or clock.now()
    every = Bounds(filters=Filters(None, None, None), after=None, before=None, limit=PAGE_SIZE)
    listed = yield from reader.pending(every, None, None)
    due = [p for p in listed if _expired(p, moment) and _has_timeout(p)]
    sweep = _Sweep(len(due), on_progress)
    for item in due:
        try:
            yield Answer(_timeout_plan(item, lease))
        except Exception as exc:
            sweep.failed(item, exc)
        else:
            yield Record(item)
            sweep.answered(item)
    return sweep.result()


class _Sweep:
    """The bookkeeping of one `expire` sweep."""

    def __init__(self, total: int, on_progress: ProgressCallback | None) -> None:
        self.total = total
        self.on_progress = on_progress
        self.done: list[PendingInterrupt] = []
        self.errors: list[tuple[PendingInterrupt, Exception]] = []
        self._skipped = 0

    def _step(self) -> None:
        if self.on_progress is not None:
            self.on_progress(len(self.done) + self._skipped + len(self.errors), self.total)

    def answered(self, item: PendingInterrupt) -> None:
        self.done.append(item)
        self._step()

    def failed(self, item: PendingInterrupt, exc: Exception) -> None:
        if isinstance(exc, (ResumeConflictError, UnknownInterruptError, NoPendingInterruptError)):
            self._skipped += 1  # answered (or being answered) by someone else since listed
        elif isinstance(exc, TimeoutTooEarlyError):
            self._skipped += 1  # a `now` ahead of the clock: no timeout decision early
        else:
            self.errors.append((item, exc))
        self._step()

    def result(self) -> list[PendingInterrupt]:
        if not self.errors:
            return self.done
        named = "; ".join(
            f"{item.id!r} on thread {item.thread_id!r}: {type(exc).__name__}"
            for item, exc in self.errors
        )
        raise exception_group(
            f"{len(self.errors)} of {self.total} overdue requests could not be answered with "
            f"their on_timeout answer ({named}); {len(self.done)} were answered.",
            [exc for _, exc in self.errors],
        )
