"""The inbox's listing over a checkpointer, as plans: pages, counts and the stream.

Each operation is written once, as a generator of effects (below) that receives what
came of each (sans-I/O, `core._plan`); `Inbox` carries the effects out with plain calls
or with awaits (`_inbox`). On SQLite and PostgreSQL a page is one plan of the listing
table (`store._listing`), keyset-paged with its filters applied in SQL; a request it ties
to no node (`Position`) sends its thread down the exact path, `pending_interrupts`, which
reads that one thread's state. Other checkpointers take the exact path for every thread.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

from ..store._backends import checkpoint_time, paused_gc
from ..store._cursor import Filters, Page, Position, encode_cursor, keeps, page_of, position_of
from ..store._listing import Dialect, RawPage, Schemas, count_plan, page_plan
from ..store._listing import Plan as ListingPlan

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from ..core._pending import PendingInterrupt
    from ._bounds import Bounds
    from ._progress import ProgressCallback

__all__ = [
    "PAGE_SIZE",
    "ListingEffect",
    "Outcome",
    "Query",
    "ReadThreads",
    "Ready",
    "Reader",
    "Steps",
    "Stream",
    "report",
    "stamped",
]

T = TypeVar("T")

PAGE_SIZE = 500
"""Requests read per query when a whole listing is read (and between progress calls)."""


@dataclass(frozen=True, slots=True)
class Ready:
    """Set the SQL listing up (once per inbox). Gives its `Dialect`, or None where the
    checkpointer has no SQL listing (every thread is then read the exact way)."""


@dataclass(frozen=True, slots=True)
class Query:
    """Run this plan of the listing table on the checkpointer's connection; gives its result."""

    plan: ListingPlan[RawPage | int]


@dataclass(frozen=True, slots=True)
class ReadThreads:
    """Read these threads the exact way (`pending_interrupts`; None: every thread of the
    checkpointer). Gives their requests thread by thread, each `stamped`."""

    threads: tuple[str, ...] | None


ListingEffect: TypeAlias = "Ready | Query | ReadThreads"
Outcome: TypeAlias = "Dialect | RawPage | int | list[PendingInterrupt] | None"
"""What an effect gives back (the answering effects give None)."""
Steps = Generator[ListingEffect, Outcome, T]


def stamped(item: PendingInterrupt) -> PendingInterrupt:
    """`item` with `created_at` read from its checkpoint id, as the fast path reads it.

    The same clock the deadlines are computed from (`_deadline.task_deadline`), so
    `expires_at - created_at` is exactly a tool's timeout.
    """
    if item.checkpoint_id is None:
        return item
    created = checkpoint_time(item.checkpoint_id)
    return item if created is None else replace(item, created_at=created)


def report(on_progress: ProgressCallback | None, done: int, total: int) -> None:
    """Call `on_progress` (when given) with `(done, total)`."""
    if on_progress is not None:
        on_progress(done, total)


# -- each effect asked, its outcome checked -------------------------------------------


def _ready() -> Steps[Dialect | None]:
    dialect = yield Ready()
    assert dialect is None or isinstance(dialect, Dialect)
    return dialect


def _read_page(plan: ListingPlan[RawPage]) -> Steps[RawPage]:
    raw = yield Query(plan)
    assert isinstance(raw, RawPage)
    return raw


def _count_rows(plan: ListingPlan[int]) -> Steps[int]:
    n = yield Query(plan)
    assert isinstance(n, int)
    return n


def _read_threads(thread_id: str | None) -> Steps[list[PendingInterrupt]]:
    """Every request of `thread_id` (None: of every thread), read the exact way."""
    found = yield ReadThreads(None if thread_id is None else (thread_id,))
    assert isinstance(found, list)
    return found


# -- the plans ------------------------------------------------------------------------


def _page(
    filters: Filters,
    items: list[PendingInterrupt],
    more: bool,
    earlier: bool,
    *,
    at: Position | None,
    raw: RawPage | None = None,
) -> Page:
    # The edges are the rows read, so a row dropped as answered meanwhile moves no cursor.
    if raw is not None:
        first, last = raw.first or at, raw.last or at
    else:
        first = position_of(items[0]) if items else at
        last = position_of(items[-1]) if items else at
    return Page(
        items=items,
        next_cursor=encode_cursor(last, filters) if more and last is not None else None,
        prev_cursor=encode_cursor(first, filters) if earlier and first is not None else None,
    )


def _merge(
    resolved: Iterable[PendingInterrupt | Position], exact: list[PendingInterrupt]
) -> Iterator[PendingInterrupt]:
    """The page's items, each request tied to no node replaced by its exact reading."""
    by_id = {(p.thread_id, p.id): p for p in exact}
    for entry in resolved:
        if isinstance(entry, Position):
            found = by_id.get((entry.thread_id, entry.interrupt_id))
            if found is None:
                continue  # answered since the row was read
            entry = found
        yield entry


class Reader:
    """The listing plans of one graph's inbox.

    Args:
        checkpointer: The graph's checkpointer.
        nodes: The graph's node names (an interrupt is tied to its node by its id).
    """

    def __init__(self, checkpointer: BaseCheckpointSaver[Any], nodes: tuple[str, ...]) -> None:
        self.checkpointer = checkpointer
        self.nodes = nodes
        self.schemas: Schemas = {}

    def read(
        self,
        dialect: Dialect,
        filters: Filters,
        start: Position | None,
        end: Position | None,
        limit: int,
        *,
        neighbours: bool,
    ) -> Steps[RawPage]:
        """One page of the listing table, as read (see `store._listing.page_plan`)."""
        return _read_page(
            page_plan(
                dialect,
                self.checkpointer,
                filters,
                after=start,
                before=end,
                limit=limit,
                nodes=self.nodes,
                neighbours=neighbours,
                schemas=self.schemas,
            )
        )

    @staticmethod
    def items(raw: RawPage) -> Steps[Iterator[PendingInterrupt]]:
        """A page's requests, built as they are iterated (no I/O is left to do then): each
        one tied to no node read from its thread's state first."""
        if not raw.unbound:
            return cast("Iterator[PendingInterrupt]", iter(raw.items))
        exact = yield ReadThreads(raw.unbound)
        assert isinstance(exact, list)
        return _merge(raw.items, exact)

    def page(self, at: Bounds) -> Steps[Page]:
        """The plan of `Inbox.page`."""
        dialect = yield from _ready()
        here = at.after or at.before
        if dialect is None:
            everything = yield from _read_threads(at.filters.thread_id)
            found = page_of(
                everything, at.filters, after=at.after, before=at.before, limit=at.limit
            )
            return _page(at.filters, *found, at=here)
        raw = yield from self.read(
            dialect, at.filters, at.after, at.before, at.limit, neighbours=True
        )
        if at.before is not None and not raw.earlier and raw.read < at.limit:
            raw = yield from self.read(dialect, at.filters, None, None, at.limit, neighbours=True)
        items = yield from self.items(raw)
        with paused_gc():  # a page of small dicts kept at once: no cycles to look for
            listed = list(items)
        return _page(at.filters, listed, raw.more, raw.earlier, at=here, raw=raw)

    def count(self, filters: Filters) -> Steps[int]:
        """The plan of `Inbox.count`."""
        dialect = yield from _ready()
        if dialect is None:
            everything = yield from _read_threads(filters.thread_id)
            return sum(1 for i in everything if keeps(i, filters))
        return (yield from _count_rows(count_plan(dialect, self.checkpointer, filters)))

    def pending(
        self, at: Bounds, limit: int | None, on_progress: ProgressCallback | None
    ) -> Steps[list[PendingInterrupt]]:
        """The plan of `Inbox.pending`: one page with `limit`, else the whole stream."""
        if limit is not None:
            items = [] if limit == 0 else (yield from self.page(at)).items
            report(on_progress, len(items), len(items))
            return items
        total = (yield from self.count(at.filters)) if on_progress else 0
        stream = Stream(self, at)
        items = []
        while not stream.done:
            read = len(items)
            page = yield from stream.next_page()
            with paused_gc():  # the whole listing kept: no cycles to look for
                items.extend(page)
            # A call each time PAGE_SIZE more requests are read.
            for done in range(read - read % PAGE_SIZE + PAGE_SIZE, len(items) + 1, PAGE_SIZE):
                report(on_progress, done, max(total, done))
        report(on_progress, len(items), len(items))
        return items


class Stream:
    """A streamed listing, a page per plan (`next_page`) until `done`.

    Memory stays bounded by the page size on SQLite and PostgreSQL; each page starts
    after the last row the one before read.
    """

    def __init__(self, reader: Reader, at: Bounds) -> None:
        self.reader = reader
        self.filters = at.filters
        self.start = at.after
        self.page_size = at.limit
        self.done = False

    def next_page(self) -> Steps[Iterator[PendingInterrupt]]:
        """The plan of the next page's requests, built as they are iterated (after the
        plan: no I/O is left then); the last one sets `done`."""
        dialect = yield from _ready()
        if dialect is None:
            self.done = True
            everything = yield from _read_threads(self.filters.thread_id)
            return iter(
                page_of(
                    everything, self.filters, after=self.start, before=None, limit=len(everything)
                )[0]
            )
        raw = yield from self.reader.read(
            dialect, self.filters, self.start, None, self.page_size, neighbours=False
        )
        items = yield from self.reader.items(raw)
        if raw.more:
            assert raw.last is not None  # more follow: the page read rows
            self.start = raw.last
        else:
            self.done = True
        return items
